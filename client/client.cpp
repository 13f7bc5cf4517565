// client/client.cpp: see client.hpp for the design notes.
#include <utility>  // before Asio: Boost 1.74 awaitable.hpp uses std::exchange without it

#include "client/client.hpp"

#include "common/mqtt/codec.hpp"
#include "common/net/stream_impl.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>
#include <unistd.h>

namespace harperrt::client {

namespace {

namespace beast = boost::beast;
namespace ws = boost::beast::websocket;
using net::tcp;

}  // namespace

Client::Client(asio::any_io_executor executor, Options options)
    : executor_(std::move(executor)), options_(std::move(options)), deadline_timer_(executor_), ping_timer_(executor_), idle_timer_(executor_) {}

Client::~Client() {
    *alive_ = false;
    close();
}

void Client::set_deadline(std::optional<std::chrono::steady_clock::time_point> deadline) {
    deadline_timer_.cancel();
    if (!deadline) return;
    deadline_timer_.expires_at(*deadline);
    deadline_timer_.async_wait([this, alive = alive_](const error_code& ec) {
        if (ec || !*alive) return;  // cancelled, or the Client is gone: touch nothing
        timed_out_ = true;
        close();
    });
}

void Client::close() {
    if (closed_) return;
    closed_ = true;
    deadline_timer_.cancel();
    ping_timer_.cancel();
    idle_timer_.cancel();
    if (stream_) stream_->close();
}

error_code Client::fail(error_code ec, std::string detail) {
    if (timed_out_) {
        detail_.clear();
        return Errc::timeout;
    }
    detail_ = std::move(detail);
    return ec;
}

error_code Client::io_error(const error_code& ec) {
    if (timed_out_) return fail(Errc::timeout);
    if (peer_lost_)
        return fail(Errc::connection_closed,
                    "no answer from the server for " + std::to_string(options_.keep_alive) + " s (keep alive)");
    if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == ws::error::closed)
        return fail(Errc::connection_closed);
    return fail(Errc::connection_closed, ec.message());
}

std::uint16_t Client::next_packet_id() {
    last_packet_id_ = static_cast<std::uint16_t>(last_packet_id_ == 65535 ? 1 : last_packet_id_ + 1);
    return last_packet_id_;
}

asio::awaitable<error_code> Client::async_open() {
    error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    const std::string host = options_.host;
    const std::string port = std::to_string(options_.effective_port());
    tcp::resolver resolver(executor_);
    auto endpoints = co_await resolver.async_resolve(host, port, token);
    if (ec) co_return fail(Errc::cannot_connect, "cannot resolve " + host + ": " + ec.message());
    tcp::socket socket(executor_);
    co_await asio::async_connect(socket, endpoints, token);
    if (ec) co_return fail(Errc::cannot_connect, "cannot connect to " + options_.authority() + ": " + ec.message());

    const bool tls = options_.transport == net::Transport::tls || options_.transport == net::Transport::wss;
    std::shared_ptr<asio::ssl::context> ctx;
    if (tls) {
        ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
        ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1);
        error_code tls_ec;
        if (options_.insecure) {
            ctx->set_verify_mode(asio::ssl::verify_none);
        } else {
            ctx->set_verify_mode(asio::ssl::verify_peer);
            if (options_.cafile) ctx->load_verify_file(*options_.cafile, tls_ec);
            else ctx->set_default_verify_paths(tls_ec);
            if (tls_ec) co_return fail(Errc::cannot_connect, "cannot load CA certificates: " + tls_ec.message());
        }
        if (options_.certfile) {
            ctx->use_certificate_chain_file(*options_.certfile, tls_ec);
            if (tls_ec) co_return fail(Errc::cannot_connect, "cannot load " + *options_.certfile + ": " + tls_ec.message());
        }
        if (options_.keyfile) {
            ctx->use_private_key_file(*options_.keyfile, asio::ssl::context::pem, tls_ec);
            if (tls_ec) co_return fail(Errc::cannot_connect, "cannot load " + *options_.keyfile + ": " + tls_ec.message());
        }
        tls_context_ = ctx;
    }
    const auto prepare_tls = [&](net::TlsStream& s) {
        // SNI names a host; RFC 6066 §3 forbids an address there.
        error_code not_an_address;
        (void)asio::ip::make_address(host, not_an_address);
        if (not_an_address) SSL_set_tlsext_host_name(s.native_handle(), host.c_str());
        if (!options_.insecure) s.set_verify_callback(asio::ssl::host_name_verification(host));
    };
    const auto decorate = [](ws::request_type& req) {
        req.set(beast::http::field::sec_websocket_protocol, "mqtt");
        req.set(beast::http::field::user_agent, "harperrt");
    };
    const std::string host_header = options_.authority();
    const std::string path = options_.path;
    ws::response_type response;

    switch (options_.transport) {
    case net::Transport::tcp:
        stream_ = std::make_unique<net::Stream>(net::make_tcp_stream(std::move(socket)));
        break;
    case net::Transport::tls: {
        net::TlsStream s(std::move(socket), *ctx);
        prepare_tls(s);
        co_await s.async_handshake(asio::ssl::stream_base::client, token);
        if (ec) co_return fail(Errc::cannot_connect, "TLS handshake with " + host_header + " failed: " + ec.message());
        stream_ = std::make_unique<net::Stream>(net::make_tls_stream(std::move(s)));
        break;
    }
    case net::Transport::ws: {
        net::WsStream s(std::move(socket));
        s.set_option(ws::stream_base::decorator(decorate));
        co_await s.async_handshake(response, host_header, path, token);
        if (ec) co_return fail(Errc::cannot_connect, "WebSocket upgrade at " + host_header + path + " failed: " + ec.message());
        stream_ = std::make_unique<net::Stream>(net::make_ws_stream(std::move(s), {}));
        break;
    }
    case net::Transport::wss: {
        net::WssStream s(std::move(socket), *ctx);
        prepare_tls(s.next_layer());
        co_await s.next_layer().async_handshake(asio::ssl::stream_base::client, token);
        if (ec) co_return fail(Errc::cannot_connect, "TLS handshake with " + host_header + " failed: " + ec.message());
        s.set_option(ws::stream_base::decorator(decorate));
        co_await s.async_handshake(response, host_header, path, token);
        if (ec) co_return fail(Errc::cannot_connect, "WebSocket upgrade at " + host_header + path + " failed: " + ec.message());
        stream_ = std::make_unique<net::Stream>(net::make_wss_stream(std::move(s), {}));
        break;
    }
    }
    co_return error_code{};
}

asio::awaitable<error_code> Client::async_connect() {
    if (auto ec = co_await async_open()) {
        close();
        co_return ec;
    }
    mqtt::Connect connect;
    connect.version = options_.version;
    connect.clean_start = options_.clean_start;
    connect.keep_alive = options_.keep_alive;
    connect.client_id = options_.client_id;
    if (connect.client_id.empty() && !mqtt::is_v5(options_.version) && !options_.clean_start)
        connect.client_id = "harperrt-" + std::to_string(::getpid());
    connect.username = options_.username;
    connect.password = options_.password;
    if (mqtt::is_v5(options_.version) && options_.session_expiry)
        connect.properties.session_expiry_interval = options_.session_expiry;
    const mqtt::Packet packet = std::move(connect);
    if (auto ec = co_await async_send(packet)) {
        close();
        if (ec == Errc::connection_closed)
            co_return fail(Errc::cannot_connect, "the server closed the connection before CONNACK" +
                                                     (detail_.empty() ? std::string() : ": " + detail_));
        co_return ec;
    }
    auto reply = co_await async_read_packet();
    if (!reply) {
        // No CONNACK: the server never accepted the connection (a TLS 1.3 alert for a missing
        // client certificate arrives here, after the client's handshake finished).
        if (reply.error() == Errc::connection_closed) {
            close();
            co_return fail(Errc::cannot_connect, "the server closed the connection before CONNACK" +
                                                     (detail_.empty() ? std::string() : ": " + detail_));
        }
        co_return reply.error();
    }
    auto* connack = std::get_if<mqtt::Connack>(&*reply);
    if (connack == nullptr) co_return fail(Errc::protocol_error, "expected CONNACK");
    connack_ = std::move(*connack);
    if (mqtt::is_failure(connack_.reason_code)) {
        close();
        co_return fail(connack_.reason_code, connack_.properties.reason_string.value_or(""));
    }
    const std::uint16_t keep_alive = connack_.properties.server_keep_alive.value_or(options_.keep_alive);
    if (keep_alive > 0) {
        options_.keep_alive = keep_alive;
        asio::co_spawn(executor_, async_keep_alive(), asio::detached);
    }
    co_return error_code{};
}

asio::awaitable<void> Client::async_keep_alive() {
    const std::shared_ptr<bool> alive = alive_;
    for (;;) {
        ping_timer_.expires_after(std::chrono::seconds(options_.keep_alive));
        error_code ec;
        auto token = asio::redirect_error(asio::use_awaitable, ec);
        co_await ping_timer_.async_wait(token);
        if (ec || !*alive || closed_) co_return;  // the Client may be gone: check before touching it
        if (reading_ && pings_sent_ > pingresps_ &&
            std::chrono::steady_clock::now() - last_received_ >= std::chrono::seconds(options_.keep_alive)) {
            // Our last PINGREQ and a whole period since: not a byte from the server.
            peer_lost_ = true;
            close();
            co_return;
        }
        ++pings_sent_;
        const mqtt::Packet ping = mqtt::Pingreq{};
        if (co_await async_send(ping)) co_return;
    }
}

asio::awaitable<error_code> Client::async_send(const mqtt::Packet& packet) {
    if (closed_ || !stream_) co_return io_error(asio::error::operation_aborted);
    outbox_.push_back(mqtt::encode(packet, options_.version));
    if (writing_) {
        // Another coroutine is the writer; wait until it has written this packet too.
        const std::shared_ptr<bool> alive = alive_;
        while (writing_ && !closed_) {
            error_code ignored;
            auto token = asio::redirect_error(asio::use_awaitable, ignored);
            idle_timer_.expires_at(std::chrono::steady_clock::time_point::max());
            co_await idle_timer_.async_wait(token);
            if (!*alive) co_return make_error_code(asio::error::operation_aborted);
        }
        co_return write_error_ ? write_error_ : (closed_ ? io_error(asio::error::operation_aborted) : error_code{});
    }
    writing_ = true;
    while (!outbox_.empty() && !write_error_) {
        const std::vector<std::byte> bytes = std::move(outbox_.front());
        outbox_.pop_front();
        const asio::const_buffer buffer(bytes.data(), bytes.size());
        const std::span<const asio::const_buffer> buffers(&buffer, 1);
        error_code ec;
        co_await stream_->async_write(buffers, ec);
        if (ec) write_error_ = io_error(ec);
    }
    outbox_.clear();
    writing_ = false;
    idle_timer_.cancel();
    co_return write_error_;
}

asio::awaitable<Result<mqtt::Packet>> Client::async_read_packet() {
    for (;;) {
        if (closed_ || !stream_) co_return error(io_error(asio::error::operation_aborted));
        const std::span<const std::byte> avail(in_.data() + in_start_, in_.size() - in_start_);
        auto size = mqtt::frame_size(avail, static_cast<std::uint32_t>(mqtt::max_frame_size));
        if (!size) co_return error(fail(Errc::protocol_error, "malformed packet from the server"));
        if (*size > 0 && avail.size() >= *size) {
            auto packet = mqtt::decode(avail.first(*size), options_.version);
            in_start_ += *size;
            if (!packet)
                co_return error(fail(Errc::protocol_error, "bad packet from the server: " + packet.error().message()));
            co_return std::move(*packet);
        }
        if (in_start_ > 0) {
            in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(in_start_));
            in_start_ = 0;
        }
        constexpr std::size_t chunk = 64 * 1024;
        const std::size_t old = in_.size();
        in_.resize(old + chunk);
        error_code ec;
        const asio::mutable_buffer buffer(in_.data() + old, chunk);
        reading_ = true;
        const std::size_t n = co_await stream_->async_read_some(buffer, ec);
        reading_ = false;
        in_.resize(old + n);
        if (n > 0) last_received_ = std::chrono::steady_clock::now();
        if (ec) co_return error(io_error(ec));
    }
}

asio::awaitable<error_code> Client::async_dispatch(mqtt::Packet& packet) {
    if (auto* publish = std::get_if<mqtt::Publish>(&packet)) {
        const std::uint16_t id = publish->packet_id;
        switch (publish->qos) {
        case mqtt::QoS::at_most_once:
            inbox_.push_back(std::move(*publish));
            break;
        case mqtt::QoS::at_least_once: {
            inbox_.push_back(std::move(*publish));
            const mqtt::Packet ack = mqtt::Puback{id, mqtt::ReasonCode::success, {}};
            co_return co_await async_send(ack);
        }
        case mqtt::QoS::exactly_once: {
            // Method A of v5 §4.3.3: deliver on PUBLISH, then ignore redeliveries of the
            // same packet id until its PUBREL [MQTT-4.3.3-9].
            if (inbound_qos2_.insert(id).second) inbox_.push_back(std::move(*publish));
            const mqtt::Packet ack = mqtt::Pubrec{id, mqtt::ReasonCode::success, {}};
            co_return co_await async_send(ack);
        }
        }
        co_return error_code{};
    }
    if (auto* pubrel = std::get_if<mqtt::Pubrel>(&packet)) {
        inbound_qos2_.erase(pubrel->packet_id);
        const mqtt::Packet ack = mqtt::Pubcomp{pubrel->packet_id, mqtt::ReasonCode::success, {}};
        co_return co_await async_send(ack);
    }
    if (auto* pubrec = std::get_if<mqtt::Pubrec>(&packet)) {
        if (pubrec->packet_id != wait_id_) co_return error_code{};
        if (mqtt::is_failure(pubrec->reason_code)) {
            wait_result_ = std::move(packet);
            co_return error_code{};
        }
        const mqtt::Packet rel = mqtt::Pubrel{pubrec->packet_id, mqtt::ReasonCode::success, {}};
        co_return co_await async_send(rel);
    }
    if (auto* pingresp = std::get_if<mqtt::Pingresp>(&packet)) {
        (void)pingresp;
        ++pingresps_;
        while (!barriers_.empty() && barriers_.front() <= pingresps_) {
            barriers_.pop_front();
            ++barriers_done_;
        }
        co_return error_code{};
    }
    if (auto* disconnect = std::get_if<mqtt::Disconnect>(&packet)) {
        const auto reason = disconnect->reason_code;
        std::string detail = "server sent DISCONNECT";
        if (disconnect->properties.reason_string) detail += ": " + *disconnect->properties.reason_string;
        close();
        if (reason == mqtt::ReasonCode::success) co_return fail(Errc::connection_closed, detail);
        co_return fail(reason, detail);
    }
    std::uint16_t id = 0;
    if (auto* a = std::get_if<mqtt::Puback>(&packet)) id = a->packet_id;
    else if (auto* c = std::get_if<mqtt::Pubcomp>(&packet)) id = c->packet_id;
    else if (auto* s = std::get_if<mqtt::Suback>(&packet)) id = s->packet_id;
    else if (auto* u = std::get_if<mqtt::Unsuback>(&packet)) id = u->packet_id;
    else co_return fail(Errc::protocol_error, "unexpected " + std::string(mqtt::name(mqtt::type_of(packet))) + " from the server");
    if (id != 0 && id == wait_id_) wait_result_ = std::move(packet);
    co_return error_code{};
}

asio::awaitable<Result<mqtt::Packet>> Client::async_wait_for(std::uint16_t packet_id) {
    wait_id_ = packet_id;
    wait_result_.reset();
    while (!wait_result_) {
        auto packet = co_await async_read_packet();
        if (!packet) co_return error(packet.error());
        if (auto ec = co_await async_dispatch(*packet)) co_return error(ec);
    }
    wait_id_ = 0;
    mqtt::Packet result = std::move(*wait_result_);
    wait_result_.reset();
    co_return result;
}

namespace {

template <class A>
Ack ack_of(const A& a) {
    return Ack{a.reason_code, a.properties.reason_string};
}

}  // namespace

asio::awaitable<Result<Ack>> Client::async_publish(mqtt::Publish publish) {
    const auto qos = publish.qos;
    const std::uint16_t id = qos == mqtt::QoS::at_most_once ? 0 : next_packet_id();
    publish.packet_id = id;
    const mqtt::Packet packet = std::move(publish);
    if (auto ec = co_await async_send(packet)) co_return error(ec);
    if (qos == mqtt::QoS::at_most_once) co_return Ack{};
    auto reply = co_await async_wait_for(id);
    if (!reply) co_return error(reply.error());
    if (auto* a = std::get_if<mqtt::Puback>(&*reply)) co_return ack_of(*a);
    if (auto* r = std::get_if<mqtt::Pubrec>(&*reply)) co_return ack_of(*r);
    if (auto* c = std::get_if<mqtt::Pubcomp>(&*reply)) co_return ack_of(*c);
    co_return error(fail(Errc::protocol_error, "unexpected acknowledgement"));
}

asio::awaitable<Result<mqtt::Suback>> Client::async_subscribe(std::vector<mqtt::Subscription> subscriptions,
                                                               mqtt::Properties properties) {
    const std::uint16_t id = next_packet_id();
    const mqtt::Packet packet = mqtt::Subscribe{id, std::move(subscriptions), std::move(properties)};
    if (auto ec = co_await async_send(packet)) co_return error(ec);
    auto reply = co_await async_wait_for(id);
    if (!reply) co_return error(reply.error());
    auto* suback = std::get_if<mqtt::Suback>(&*reply);
    if (suback == nullptr) co_return error(fail(Errc::protocol_error, "expected SUBACK"));
    if (suback->properties.reason_string) detail_ = *suback->properties.reason_string;
    co_return std::move(*suback);
}

asio::awaitable<error_code> Client::async_barrier() {
    ++pings_sent_;
    barriers_.push_back(pings_sent_);
    const mqtt::Packet ping = mqtt::Pingreq{};
    co_return co_await async_send(ping);
}

asio::awaitable<Result<std::optional<mqtt::Publish>>> Client::async_receive() {
    for (;;) {
        if (!inbox_.empty()) {
            std::optional<mqtt::Publish> next(std::move(inbox_.front()));
            inbox_.pop_front();
            co_return next;
        }
        if (barriers_done_ > 0) {
            --barriers_done_;
            co_return std::optional<mqtt::Publish>{};
        }
        auto packet = co_await async_read_packet();
        if (!packet) co_return error(packet.error());
        if (auto ec = co_await async_dispatch(*packet)) co_return error(ec);
    }
}

asio::awaitable<void> Client::async_disconnect() {
    if (closed_ || !stream_) co_return;
    const mqtt::Packet packet = mqtt::Disconnect{};
    if (!co_await async_send(packet)) co_await stream_->async_shutdown();
    close();
}

}  // namespace harperrt::client
