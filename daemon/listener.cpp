#include "daemon/listener.hpp"

#include "daemon/session/connection.hpp"

#include "common/net/stream_impl.hpp"
#include "common/util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace harperrt::daemon {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

bool ConnectRateLimiter::allow(const std::string& address) {
    if (rate_ == 0) return true;
    const auto now = std::chrono::steady_clock::now();
    std::scoped_lock lock(mu_);
    if (buckets_.size() > 100000) buckets_.clear();  // bound the table under address floods
    auto [it, inserted] = buckets_.try_emplace(address, Bucket{static_cast<double>(rate_), now});
    auto& b = it->second;
    const std::chrono::duration<double> elapsed = now - b.last;
    b.tokens = std::min(static_cast<double>(rate_), b.tokens + elapsed.count() * rate_);
    b.last = now;
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

bool ConnectionGate::allow_rate(const std::string& address) {
    if (rate_.allow(address)) return true;
    broker::Stats::add(broker_.stats().refused_rate_limit);
    return false;
}

bool ConnectionGate::allow_mqtt() {
    if (broker_.connection_count() < broker_.config().mqtt.limits.max_connections) return true;
    broker::Stats::add(broker_.stats().refused_max_connections);
    return false;
}

std::optional<ConnectionGate::Slot> ConnectionGate::acquire_pending() {
    const auto max = broker_.config().mqtt.limits.max_connections;
    auto n = pending_.load(std::memory_order_relaxed);
    do {
        if (n >= max) {
            broker::Stats::add(broker_.stats().refused_max_connections);
            return std::nullopt;
        }
    } while (!pending_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    return Slot(this);
}

std::string peer_address(const tcp::socket& socket) {
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    return ec ? std::string{} : peer.address().to_string();
}

namespace {

// The executor of an accepted MQTT connection. With threads > 1 a strand of its own
// (connection.hpp, design note 1). With one I/O thread every handler runs on that thread in
// turn already, so the io_context's executor serializes a connection's handlers as well,
// and a strand would only cost memory: its state and an executor too large for
// any_io_executor's inline storage, about 180 bytes per idle connection.
asio::any_io_executor connection_executor(broker::Broker& broker) {
    if (broker.config().threads <= 1) return broker.io().get_executor();
    return asio::make_strand(broker.io());
}

// The server side of a TLS handshake, bounded by tls_handshake_timeout(), then the
// connection. Runs on the socket's strand; holds a pre-connection slot until then.
asio::awaitable<void> run_tls_handshake(broker::Broker& broker, std::unique_ptr<net::TlsStream> stream,
                                        std::shared_ptr<asio::ssl::context> ctx, std::string address,
                                        ConnectionGate::Slot slot) {
    asio::steady_timer timer(stream->get_executor(), tls_handshake_timeout(broker));
    auto* raw = stream.get();
    auto on_timeout = [raw](const boost::system::error_code& e) {
        if (e) return;  // cancelled (the handshake ended first): `raw` may be gone
        boost::system::error_code ignored;
        raw->lowest_layer().close(ignored);
    };
    timer.async_wait(std::move(on_timeout));
    broker::Stats::add(broker.stats().tls_handshakes_started);
    boost::system::error_code ec;
    co_await stream->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    ctx.reset();  // the SSL holds its own reference to the SSL_CTX
    slot.release();
    if (ec) {
        broker::Stats::add(broker.stats().tls_handshakes_failed);
        log::debug("TLS handshake with {} failed: {}", address, ec.message());
        boost::system::error_code ignored;
        stream->lowest_layer().close(ignored);
        co_return;
    }
    start_connection(broker, net::make_tls_stream(std::move(*stream)), address);
}

}  // namespace

asio::awaitable<void> accept_mqtt(tcp::acceptor& acceptor, broker::Broker& broker, ConnectionGate& gate,
                                  const TlsContextHolder* tls) {
    for (;;) {
        boost::system::error_code ec;
        tcp::socket socket =
            co_await acceptor.async_accept(connection_executor(broker), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            log::warn("accept: {}", ec.message());
            if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
                // Out of file descriptors: back off instead of spinning.
                asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(100));
                co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            continue;
        }
        const auto address = peer_address(socket);
        // The gate comes before any further work (TLS handshakes included): a refused
        // socket is closed at once, without a byte read or written.
        if (!gate.allow_rate(address)) {
            log::debug("connection from {} refused: mqtt.limits.connectRatePerIp", address);
            socket.close(ec);
            continue;
        }
        if (!gate.allow_mqtt()) {
            log::debug("connection from {} refused: mqtt.limits.maxConnections", address);
            socket.close(ec);
            continue;
        }
        if (tls != nullptr) {
            auto slot = gate.acquire_pending();
            if (!slot) {
                log::debug("connection from {} refused: too many TLS handshakes in progress", address);
                socket.close(ec);
                continue;
            }
            auto ctx = tls->get();
            auto stream = std::make_unique<net::TlsStream>(std::move(socket), *ctx);
            const auto executor = stream->get_executor();
            auto task = run_tls_handshake(broker, std::move(stream), std::move(ctx), address, std::move(*slot));
            asio::co_spawn(executor, std::move(task), asio::detached);
            continue;
        }
        start_connection(broker, net::make_tcp_stream(std::move(socket)), address);
    }
}

void start_connection(broker::Broker& broker, net::Stream stream, const std::string& address) {
    auto conn = std::make_shared<session::Connection>(broker, std::move(stream));
    if (!broker.add_connection(conn)) {
        broker::Stats::add(broker.stats().refused_max_connections);
        log::warn("connection from {} refused: mqtt.limits.maxConnections reached", address);
        conn->close();
        return;
    }
    conn->start();
}

}  // namespace harperrt::daemon
