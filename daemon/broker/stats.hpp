// Stats: the broker's counters, read by $SYS/broker/... (mosquitto's names) and metrics.
// Relaxed atomics: each is exact, the set is not a consistent snapshot.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace harperrt::daemon::broker {

struct Stats {
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::atomic<std::uint64_t> clients_connected{0};
    std::atomic<std::uint64_t> clients_maximum{0};
    std::atomic<std::uint64_t> clients_expired{0};
    std::atomic<std::uint64_t> messages_received{0};          // all packets in
    std::atomic<std::uint64_t> messages_sent{0};              // all packets out
    std::atomic<std::uint64_t> publish_received{0};
    std::atomic<std::uint64_t> publish_sent{0};
    std::atomic<std::uint64_t> publish_dropped{0};            // queue full, too large, expired
    std::atomic<std::uint64_t> bytes_received{0};
    std::atomic<std::uint64_t> bytes_sent{0};
    std::atomic<std::uint64_t> v3_rejections{0};              // refusals 3.1.1 could not report
    std::atomic<std::uint64_t> slow_consumers_disconnected{0};

    // Query subscriptions (DESIGN.md §5): snapshots sent (SUBSCRIBE and reconnect).
    std::atomic<std::uint64_t> query_snapshots{0};

    static void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
};

}  // namespace harperrt::daemon::broker
