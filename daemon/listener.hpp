// Listener: accepts TCP connections on one endpoint and starts a Connection for each,
// after the per-address connection rate limit and the connection limit.
#pragma once

#include "daemon/broker/broker.hpp"
#include "daemon/tls.hpp"

#include "common/net/stream.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace harperrt::daemon {

// Token bucket per source address: `rate` new connections per second, bursts up to `rate`.
class ConnectRateLimiter {
public:
    explicit ConnectRateLimiter(std::uint32_t rate) : rate_(rate) {}
    // True if a connection from `address` may proceed now. Thread-safe.
    bool allow(const std::string& address);

private:
    struct Bucket {
        double tokens;
        std::chrono::steady_clock::time_point last;
    };
    const std::uint32_t rate_;
    std::mutex mu_;
    std::unordered_map<std::string, Bucket> buckets_;  // guarded by mu_
};

// Accepts until `acceptor` is closed. Each connection gets its own strand. With `tls`
// (securePort), each accepted socket passes the rate limit, then does its TLS handshake on
// its own strand (so a slow client does not hold up accepting), bounded by
// tls_handshake_timeout; `tls` must outlive the loop.
boost::asio::awaitable<void> accept_mqtt(boost::asio::ip::tcp::acceptor& acceptor, broker::Broker& broker,
                                         ConnectRateLimiter& limiter, const TlsContextHolder* tls = nullptr);

inline constexpr std::chrono::seconds tls_handshake_timeout{10};

// Registers a connected stream with the broker (the connection limit) and starts it.
void start_connection(broker::Broker& broker, net::Stream stream, const std::string& address);

}  // namespace harperrt::daemon
