#include "daemon/http/http_server.hpp"

#include "daemon/auth/acl.hpp"
#include "daemon/broker/record_write.hpp"

#include "common/encoding/codec.hpp"
#include "common/encoding/content_type.hpp"
#include "common/net/stream_impl.hpp"
#include "common/topic/record_topic.hpp"
#include "common/util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <fmt/format.h>

#include <chrono>
#include <type_traits>

namespace harperrt::daemon::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto idle_timeout = std::chrono::seconds(30);
constexpr std::size_t max_body = 16 * 1024 * 1024;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

Response make_response(const Request& req, bhttp::status status, std::string body,
                       std::string_view content_type = "application/json") {
    Response res{status, req.version()};
    res.set(bhttp::field::server, "harperrt");
    res.set(bhttp::field::content_type, beast::string_view(content_type.data(), content_type.size()));
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

Response error_response(const Request& req, bhttp::status status, std::string_view message) {
    auto res = make_response(req, status, fmt::format(R"({{"error":"{}"}})", message));
    if (status == bhttp::status::unauthorized) res.set(bhttp::field::www_authenticate, R"(Basic realm="harperrt")");
    return res;
}

std::optional<std::string> decode_base64(std::string_view s) {
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    while (!s.empty() && s.back() == '=') s.remove_suffix(1);
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : s) {
        const auto pos = alphabet.find(c);
        if (pos == std::string_view::npos) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return out;
}

// Credentials from an `Authorization: Basic …` header; nullopt when malformed or not Basic.
std::optional<auth::Credentials> basic_credentials(std::string_view header) {
    constexpr std::string_view scheme = "Basic ";
    if (header.size() <= scheme.size() || !beast::iequals(beast::string_view(header.data(), scheme.size()), beast::string_view(scheme.data(), scheme.size()))) return std::nullopt;
    auto decoded = decode_base64(header.substr(scheme.size()));
    if (!decoded) return std::nullopt;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    return auth::Credentials{decoded->substr(0, colon), decoded->substr(colon + 1), std::nullopt};
}

// Who sends `req`: nullopt (and `status` 401) when it must or did authenticate and failed.
std::optional<auth::Identity> identify(broker::Broker& broker, const Request& req) {
    auth::Credentials cred;
    if (const auto h = req.find(bhttp::field::authorization); h != req.end()) {
        auto basic = basic_credentials(std::string_view(h->value().data(), h->value().size()));
        if (!basic) return std::nullopt;
        cred = std::move(*basic);
    }
    const auto login = broker.authorizer().authenticate(cred);
    if (login.result != auth::LoginResult::ok) return std::nullopt;
    return auth::Identity{login.user, "http"};
}

encoding::Format response_format(const Request& req) {
    if (const auto h = req.find(bhttp::field::accept); h != req.end())
        if (auto f = encoding::choose_from_accept(std::string_view(h->value().data(), h->value().size()))) return *f;
    return encoding::Format::json;
}

Response health(const Request& req, broker::Broker& broker) {
    return make_response(req, bhttp::status::ok,
                         fmt::format(R"({{"status":"ok","connections":{},"sessions":{}}})", broker.connection_count(),
                                     broker.session_count()));
}

// REST on /Table/ID and /Table/ (DESIGN.md §7).
asio::awaitable<Response> rest(const Request& req, broker::Broker& broker) {
    const auto target = std::string_view(req.target().data(), req.target().size());
    const auto path = target.substr(0, target.find('?'));
    const auto& records = broker.records();
    auto who = identify(broker, req);
    if (!who) co_return error_response(req, bhttp::status::unauthorized, "authentication required");
    const auto topic_name = path.substr(1);
    const auto slash = topic_name.find('/');
    const auto table = topic_name.substr(0, slash);
    if (records.tables().find(table) == nullptr) co_return error_response(req, bhttp::status::not_found, "no such table");
    const auto& authorizer = broker.authorizer();
    const auto method = req.method();

    if (slash == std::string_view::npos || slash + 1 == topic_name.size()) {  // the collection
        if (method != bhttp::verb::get) co_return error_response(req, bhttp::status::method_not_allowed, "GET only");
        if (!authorizer.can_table(*who, table, auth::TableAction::read))
            co_return error_response(req, bhttp::status::forbidden, "not authorized");
        encoding::Array all;
        std::optional<std::string> after;
        for (;;) {
            auto batch = records.store().scan(table, after, 1000);
            if (!batch) co_return error_response(req, bhttp::status::internal_server_error, batch.error().message());
            for (const auto& rec : *batch)
                if (auto v = encoding::decode(rec.data, encoding::Format::msgpack)) all.push_back(std::move(*v));
            if (batch->size() < 1000) break;
            after = batch->back().key.id;
        }
        const auto format = response_format(req);
        co_return make_response(req, bhttp::status::ok, encoding::encode(encoding::Value(std::move(all)), format),
                                encoding::content_type(format));
    }

    auto key = records.key_of(topic_name);
    if (!key || !*key) co_return error_response(req, bhttp::status::bad_request, "not a record path");
    const auto origin = std::make_shared<const broker::WriteOrigin>();
    switch (method) {
    case bhttp::verb::get: {
        if (!authorizer.can_table(*who, table, auth::TableAction::read))
            co_return error_response(req, bhttp::status::forbidden, "not authorized");
        auto found = records.store().get(**key);
        if (!found) co_return error_response(req, bhttp::status::internal_server_error, found.error().message());
        if (!*found) co_return error_response(req, bhttp::status::not_found, "no such record");
        auto value = encoding::decode((**found).data, encoding::Format::msgpack);
        if (!value) co_return error_response(req, bhttp::status::internal_server_error, value.error().message());
        const auto format = response_format(req);
        auto res = make_response(req, bhttp::status::ok, encoding::encode(*value, format), encoding::content_type(format));
        res.set(bhttp::field::etag, fmt::format("\"{}\"", (**found).version));
        co_return res;
    }
    case bhttp::verb::put: {
        if (!authorizer.can_table(*who, table, auth::TableAction::insert_or_update))
            co_return error_response(req, bhttp::status::forbidden, "not authorized");
        auto format = encoding::Format::json;
        if (const auto h = req.find(bhttp::field::content_type); h != req.end()) {
            auto f = encoding::format_from_content_type(std::string_view(h->value().data(), h->value().size()));
            if (!f) co_return error_response(req, bhttp::status::unsupported_media_type, "JSON, CBOR or MessagePack");
            format = *f;
        }
        auto record = records.make_record(**key, req.body(), format);
        if (!record) co_return error_response(req, bhttp::status::bad_request, record.error().message());
        auto value = std::make_shared<const encoding::Value>(std::move(*record));
        auto put = co_await broker::async_put_record(broker, **key, std::move(value), origin);
        if (!put) co_return error_response(req, bhttp::status::internal_server_error, put.error().message());
        auto res = make_response(req, bhttp::status::no_content, "");
        res.set(bhttp::field::etag, fmt::format("\"{}\"", put->version));
        co_return res;
    }
    case bhttp::verb::delete_: {
        if (!authorizer.can_table(*who, table, auth::TableAction::remove))
            co_return error_response(req, bhttp::status::forbidden, "not authorized");
        auto removed = co_await broker::async_remove_record(broker, **key, origin);
        if (!removed) co_return error_response(req, bhttp::status::internal_server_error, removed.error().message());
        if (!removed->existed) co_return error_response(req, bhttp::status::not_found, "no such record");
        co_return make_response(req, bhttp::status::no_content, "");
    }
    default:
        co_return error_response(req, bhttp::status::method_not_allowed, "GET, PUT or DELETE");
    }
}

bool wants_mqtt_subprotocol(const Request& req) {
    const auto h = req.find(bhttp::field::sec_websocket_protocol);
    if (h == req.end()) return false;
    std::string_view list(h->value().data(), h->value().size());
    while (!list.empty()) {
        const auto comma = list.find(',');
        auto item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item == "mqtt") return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::string header(const Request& req, bhttp::field f) {
    const auto h = req.find(f);
    return h == req.end() ? std::string{} : std::string(h->value().data(), h->value().size());
}

tcp::socket& lowest(tcp::socket& s) { return s; }
tcp::socket& lowest(net::TlsStream& s) { return s.next_layer(); }

// Serves requests on `socket` (TCP, or TLS after its handshake) until it closes, goes
// idle or upgrades to WebSocket.
template <class Socket>
asio::awaitable<void> serve_connection(broker::Broker& broker, Socket socket, std::string address) {
    beast::flat_buffer buffer;
    asio::steady_timer idle(socket.get_executor());
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.body_limit(max_body);
        idle.expires_after(idle_timeout);
        auto on_idle = [&socket](const boost::system::error_code& e) {
            if (e) return;
            boost::system::error_code ignored;
            lowest(socket).close(ignored);
        };
        idle.async_wait(std::move(on_idle));
        boost::system::error_code ec;
        co_await bhttp::async_read(socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        idle.cancel();
        if (ec) break;
        auto req = parser.release();

        if (beast::websocket::is_upgrade(req)) {
            if (!broker.config().mqtt.web_socket || !wants_mqtt_subprotocol(req)) {
                auto res = error_response(req, bhttp::status::bad_request, "WebSocket needs subprotocol mqtt");
                co_await bhttp::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
                break;
            }
            if (req.find(bhttp::field::authorization) != req.end() && !identify(broker, req)) {
                auto res = error_response(req, bhttp::status::unauthorized, "bad credentials");
                co_await bhttp::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
                break;
            }
            net::Stream::UpgradeInfo info{header(req, bhttp::field::content_type), header(req, bhttp::field::accept),
                                          header(req, bhttp::field::authorization)};
            beast::websocket::stream<Socket> ws(std::move(socket));
            auto decorate = [](beast::websocket::response_type& res) {
                res.set(bhttp::field::sec_websocket_protocol, "mqtt");
                res.set(bhttp::field::server, "harperrt");
            };
            ws.set_option(beast::websocket::stream_base::decorator(std::move(decorate)));
            ws.binary(true);
            co_await ws.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                log::debug("WebSocket upgrade from {} failed: {}", address, ec.message());
                co_return;
            }
            if constexpr (std::is_same_v<Socket, tcp::socket>)
                start_connection(broker, net::make_ws_stream(std::move(ws), std::move(info)), address);
            else
                start_connection(broker, net::make_wss_stream(std::move(ws), std::move(info)), address);
            co_return;
        }

        const auto target = std::string_view(req.target().data(), req.target().size());
        Response res;
        if (req.method() == bhttp::verb::get && target == "/health") res = health(req, broker);
        else if (req.method() == bhttp::verb::get && target == "/metrics")
            res = make_response(req, bhttp::status::ok, metrics_text(broker), "text/plain; version=0.0.4");
        else if (target.size() > 1 && target.front() == '/') res = co_await rest(req, broker);
        else res = error_response(req, bhttp::status::not_found, "not found");
        const bool keep = res.keep_alive();
        co_await bhttp::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
        if (ec || !keep) break;
    }
    boost::system::error_code ignored;
    lowest(socket).shutdown(tcp::socket::shutdown_send, ignored);
    lowest(socket).close(ignored);
}

// HTTPS: the TLS handshake (bounded by tls_handshake_timeout), then serve_connection.
asio::awaitable<void> serve_tls_connection(broker::Broker& broker, std::unique_ptr<net::TlsStream> stream,
                                           std::string address) {
    asio::steady_timer timer(stream->get_executor(), tls_handshake_timeout);
    auto* raw = stream.get();
    auto on_timeout = [raw](const boost::system::error_code& e) {
        if (e) return;  // cancelled: the handshake ended first
        boost::system::error_code ignored;
        raw->next_layer().close(ignored);
    };
    timer.async_wait(std::move(on_timeout));
    boost::system::error_code ec;
    co_await stream->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    if (ec) {
        log::debug("TLS handshake with {} failed: {}", address, ec.message());
        co_return;
    }
    auto task = serve_connection(broker, std::move(*stream), std::move(address));
    co_await std::move(task);
}

}  // namespace

std::string metrics_text(broker::Broker& broker) {
    auto& s = broker.stats();
    const auto st = broker.records().store().stats();
    std::string out;
    const auto metric = [&out](std::string_view name, std::string_view type, std::string_view help, auto value) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
    };
    const auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    metric("harperrt_connections", "gauge", "Open client connections.", broker.connection_count());
    metric("harperrt_sessions", "gauge", "Sessions (connected and persistent).", broker.session_count());
    metric("harperrt_clients_connected", "gauge", "Connected MQTT clients.", get(s.clients_connected));
    metric("harperrt_messages_received_total", "counter", "MQTT packets received.", get(s.messages_received));
    metric("harperrt_messages_sent_total", "counter", "MQTT packets sent.", get(s.messages_sent));
    metric("harperrt_publish_received_total", "counter", "PUBLISH packets received.", get(s.publish_received));
    metric("harperrt_publish_sent_total", "counter", "PUBLISH packets sent.", get(s.publish_sent));
    metric("harperrt_publish_dropped_total", "counter", "Messages dropped (queue full, too large, expired).",
           get(s.publish_dropped));
    metric("harperrt_bytes_received_total", "counter", "Bytes received from MQTT clients.", get(s.bytes_received));
    metric("harperrt_bytes_sent_total", "counter", "Bytes sent to MQTT clients.", get(s.bytes_sent));
    metric("harperrt_v3_rejections_total", "counter", "Refusals a 3.1.1 client could not be told.", get(s.v3_rejections));
    metric("harperrt_store_commits_total", "counter", "Store group commits.", st.commits);
    metric("harperrt_store_failed_commits_total", "counter", "Store group commits that failed.", st.failed_commits);
    metric("harperrt_store_operations_total", "counter", "Store write operations.", st.ops);
    metric("harperrt_store_queue_depth", "gauge", "Store writes queued.", st.queue_depth);
    metric("harperrt_store_commit_latency_seconds_total", "counter", "Total time spent committing.",
           std::chrono::duration<double>(st.total_commit_latency).count());
    metric("harperrt_store_last_commit_latency_seconds", "gauge", "Latency of the last commit.",
           std::chrono::duration<double>(st.last_commit_latency).count());
    return out;
}

asio::awaitable<void> accept_http(tcp::acceptor& acceptor, broker::Broker& broker, ConnectRateLimiter& limiter,
                                  const TlsContextHolder* tls) {
    auto& io = broker.io();
    for (;;) {
        boost::system::error_code ec;
        tcp::socket socket =
            co_await acceptor.async_accept(asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            log::warn("http accept: {}", ec.message());
            continue;
        }
        boost::system::error_code peer_ec;
        const auto peer = socket.remote_endpoint(peer_ec);
        auto address = peer_ec ? std::string{} : peer.address().to_string();
        if (!limiter.allow(address)) {
            socket.close(peer_ec);
            continue;
        }
        const auto executor = socket.get_executor();
        if (tls != nullptr) {
            auto ctx = tls->get();
            auto stream = std::make_unique<net::TlsStream>(std::move(socket), *ctx);
            auto task = serve_tls_connection(broker, std::move(stream), std::move(address));
            asio::co_spawn(executor, std::move(task), asio::detached);
            continue;
        }
        auto task = serve_connection(broker, std::move(socket), std::move(address));
        asio::co_spawn(executor, std::move(task), asio::detached);
    }
}

}  // namespace harperrt::daemon::http
