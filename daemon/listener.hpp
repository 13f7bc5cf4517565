// Listener: accepts TCP connections on one endpoint and starts a Connection for each. Every
// accepted socket first passes the ConnectionGate (the per-address connection rate limit and
// the connection limits), before any other work: no TLS handshake, no HTTP parsing, no
// allocation beyond the socket for a refused connection.
#pragma once

#include "daemon/broker/broker.hpp"
#include "daemon/tls.hpp"

#include "common/net/stream.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

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

// What every listener checks on accept (DESIGN.md §6, mqtt.limits):
//   - connectRatePerIp, one bucket per source address shared by all listeners;
//   - maxConnections for MQTT connections (the broker's count), checked again before a TLS
//     handshake so that a full server does no handshake work;
//   - maxConnections for sockets that are not MQTT connections yet: TLS handshakes in
//     progress and HTTP connections (REST, /health, /metrics, before a WebSocket upgrade).
//     They have their own pool of that size, so /health and /metrics still answer when
//     MQTT is full, and the number of open sockets stays below 2 × maxConnections.
// Refusals are counted in the broker's Stats. Thread-safe.
class ConnectionGate {
public:
    ConnectionGate(broker::Broker& broker, std::uint32_t connect_rate_per_ip)
        : broker_(broker), rate_(connect_rate_per_ip) {}

    // A place in the pre-connection pool; released when destroyed (or moved from).
    class Slot {
    public:
        Slot() = default;
        explicit Slot(ConnectionGate* gate) : gate_(gate) {}
        Slot(Slot&& o) noexcept : gate_(std::exchange(o.gate_, nullptr)) {}
        Slot& operator=(Slot&& o) noexcept {
            if (this != &o) {
                release();
                gate_ = std::exchange(o.gate_, nullptr);
            }
            return *this;
        }
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() { release(); }
        void release() {
            if (gate_ != nullptr) std::exchange(gate_, nullptr)->pending_.fetch_sub(1, std::memory_order_relaxed);
        }

    private:
        ConnectionGate* gate_ = nullptr;
    };

    // The rate limit for `address`; false (counted) when it is exceeded.
    bool allow_rate(const std::string& address);
    // False (counted) when mqtt.limits.maxConnections MQTT connections are open.
    bool allow_mqtt();
    // A pre-connection slot, or nullopt (counted) when the pool is full.
    std::optional<Slot> acquire_pending();
    std::uint32_t pending() const noexcept { return pending_.load(std::memory_order_relaxed); }

private:
    broker::Broker& broker_;
    ConnectRateLimiter rate_;
    std::atomic<std::uint32_t> pending_{0};
};

// Accepts until `acceptor` is closed. Each connection gets its own strand (with threads: 1,
// the io_context's executor, which serializes its handlers as well). With `tls`
// (securePort), each accepted socket passes the gate, then does its TLS handshake on its
// own strand (so a slow client does not hold up accepting), bounded by
// tls_handshake_timeout(); `tls` must outlive the loop.
boost::asio::awaitable<void> accept_mqtt(boost::asio::ip::tcp::acceptor& acceptor, broker::Broker& broker,
                                         ConnectionGate& gate, const TlsContextHolder* tls = nullptr);

// How long a TLS handshake may take (MQTT and HTTPS): mqtt.limits.connectTimeout, which
// then bounds the CONNECT again from the end of the handshake.
inline std::chrono::seconds tls_handshake_timeout(const broker::Broker& broker) {
    return broker.config().mqtt.limits.connect_timeout;
}

// Registers a connected stream with the broker (the connection limit) and starts it.
void start_connection(broker::Broker& broker, net::Stream stream, const std::string& address);

// The source address of an accepted socket ("" when the peer is already gone).
std::string peer_address(const boost::asio::ip::tcp::socket& socket);

}  // namespace harperrt::daemon
