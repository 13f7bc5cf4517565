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

namespace {

// The server side of a TLS handshake, bounded by tls_handshake_timeout, then the
// connection. Runs on the socket's strand.
asio::awaitable<void> run_tls_handshake(broker::Broker& broker, std::unique_ptr<net::TlsStream> stream,
                                        std::shared_ptr<asio::ssl::context> ctx, std::string address) {
    asio::steady_timer timer(stream->get_executor(), tls_handshake_timeout);
    auto* raw = stream.get();
    auto on_timeout = [raw](const boost::system::error_code& e) {
        if (e) return;  // cancelled (the handshake ended first): `raw` may be gone
        boost::system::error_code ignored;
        raw->lowest_layer().close(ignored);
    };
    timer.async_wait(std::move(on_timeout));
    boost::system::error_code ec;
    co_await stream->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    ctx.reset();  // the SSL holds its own reference to the SSL_CTX
    if (ec) {
        log::debug("TLS handshake with {} failed: {}", address, ec.message());
        boost::system::error_code ignored;
        stream->lowest_layer().close(ignored);
        co_return;
    }
    start_connection(broker, net::make_tls_stream(std::move(*stream)), address);
}

}  // namespace

asio::awaitable<void> accept_mqtt(tcp::acceptor& acceptor, broker::Broker& broker, ConnectRateLimiter& limiter,
                                  const TlsContextHolder* tls) {
    auto& io = broker.io();
    for (;;) {
        boost::system::error_code ec;
        tcp::socket socket = co_await acceptor.async_accept(asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
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
        boost::system::error_code peer_ec;
        const auto peer = socket.remote_endpoint(peer_ec);
        const auto address = peer_ec ? std::string{} : peer.address().to_string();
        // The rate limit applies before any further work (TLS handshakes included).
        if (!limiter.allow(address)) {
            log::debug("connection from {} refused: connect rate", address);
            socket.close(peer_ec);
            continue;
        }
        if (tls != nullptr) {
            auto ctx = tls->get();
            auto stream = std::make_unique<net::TlsStream>(std::move(socket), *ctx);
            const auto executor = stream->get_executor();
            auto task = run_tls_handshake(broker, std::move(stream), std::move(ctx), address);
            asio::co_spawn(executor, std::move(task), asio::detached);
            continue;
        }
        start_connection(broker, net::make_tcp_stream(std::move(socket)), address);
    }
}

void start_connection(broker::Broker& broker, net::Stream stream, const std::string& address) {
    auto conn = std::make_shared<session::Connection>(broker, std::move(stream));
    if (!broker.add_connection(conn)) {
        log::warn("connection from {} refused: mqtt.limits.maxConnections reached", address);
        conn->close();
        return;
    }
    conn->start();
}

}  // namespace harperrt::daemon
