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
    // Refusals (GET /metrics): failed logins (CONNECT, HTTP Basic), what the ACL denied, and
    // connections refused before they became clients.
    std::atomic<std::uint64_t> auth_failures_mqtt{0};         // CONNACK 0x86 / 0x87 (3.1.1: 4 / 5)
    std::atomic<std::uint64_t> auth_failures_http{0};         // REST / WebSocket upgrade 401
    std::atomic<std::uint64_t> denied_publish{0};             // PUBLISH refused as not authorized
    std::atomic<std::uint64_t> denied_subscribe{0};           // SUBACK entries 0x87 / 0x80 for the ACL
    std::atomic<std::uint64_t> denied_rest_read{0};           // REST GET 403
    std::atomic<std::uint64_t> denied_rest_write{0};          // REST PUT 403
    std::atomic<std::uint64_t> denied_rest_delete{0};         // REST DELETE 403
    std::atomic<std::uint64_t> refused_rate_limit{0};         // mqtt.limits.connectRatePerIp
    std::atomic<std::uint64_t> refused_max_connections{0};    // mqtt.limits.maxConnections
    std::atomic<std::uint64_t> tls_handshakes_started{0};
    std::atomic<std::uint64_t> tls_handshakes_failed{0};      // failed or timed out

    // Snapshots (DESIGN.md §2, §5): one per subscription that asked for one (queries also on
    // reconnect), and the records and retained messages they delivered.
    std::atomic<std::uint64_t> snapshots{0};
    std::atomic<std::uint64_t> query_snapshots{0};
    std::atomic<std::uint64_t> snapshot_messages{0};

    static void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
};

}  // namespace harperrt::daemon::broker
