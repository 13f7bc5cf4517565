// Snapshots (DESIGN.md §2, §5): what a new subscription receives before live changes: the
// stored records its filter (or query) matches and the retained messages of ordinary
// topics, each with RETAIN=1.
//
// The snapshot streams from a coroutine of its own, in batches, waiting for the client to
// drain before reading more (so 100k records are never in memory at once, and never
// dropped: the session queue limit does not apply to them). Until it is written, the
// connection handles only acks of its PUBLISHes, so the answer to any later packet (a
// PINGREQ, the next SUBSCRIBE) comes after the whole snapshot. The subscription was
// registered before anything is read, so no update in between is lost; the session drops a
// snapshot copy that a live update overtook.
#include "daemon/broker/broker.hpp"

#include "daemon/session/connection.hpp"
#include "daemon/session/session.hpp"

#include "common/topic/record_topic.hpp"
#include "common/topic/topic.hpp"
#include "common/util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <limits>

namespace harperrt::daemon::broker {

namespace {

constexpr std::size_t batch_size = 256;              // records read from the store at once
constexpr std::size_t drain_bytes = 256 * 1024;      // output buffered before the next batch
constexpr std::size_t drain_queued = batch_size;     // QoS 1/2 messages queued before the next batch

boost::asio::awaitable<void> send_snapshot(Broker& broker, std::shared_ptr<session::Connection> conn,
                                           std::vector<SnapshotRequest> requests) {
    auto session = conn->state().session;
    session->begin_snapshot();
    const auto& records = broker.records();
    auto deliver = [&](const MessagePtr& msg, const SnapshotRequest& r) {
        std::vector<std::uint32_t> ids;
        if (r.subscription_id != 0) ids.push_back(r.subscription_id);
        // Retained messages sent because of a subscription have RETAIN=1 (v5 [MQTT-3.3.1-9],
        // 3.1.1 [MQTT-3.3.1-8]); a stored record goes at the granted QoS (DESIGN.md §3).
        session->deliver(msg, std::min(msg->qos, r.qos), std::move(ids), true, r.accept, true);
        Stats::add(broker.stats().snapshot_messages);
    };
    for (const auto& r : requests) {
        Stats::add(broker.stats().snapshots);
        if (r.query) {
            QueryScan scan(records, r.query, batch_size);
            log::debug("snapshot of query {}: {}", r.filter, scan.plan().empty() ? "full scan" : "index: " + scan.plan());
            while (!scan.done()) {
                co_await conn->async_wait_drained(drain_bytes, drain_queued);
                if (conn->closing()) break;
                auto matches = scan.next();
                if (!matches) {
                    log::error("snapshot of {}: {}", r.filter, matches.error().message());
                    break;
                }
                for (auto& m : *matches) deliver(records.message_of(m.key, std::move(m.value), m.version), r);
            }
            Stats::add(broker.stats().query_snapshots);
            continue;
        }
        const auto scope = topic::scope(r.filter, records.tables());
        for (const auto& table : scope.tables) {
            if (table.kind == topic::TableScope::Kind::one) {
                auto found = records.store().get(table.key());
                if (!found) log::error("snapshot of {}: {}", r.filter, found.error().message());
                else if (*found) deliver(records.message_of(std::move(**found)), r);
                continue;
            }
            std::optional<std::string> after;
            for (;;) {
                co_await conn->async_wait_drained(drain_bytes, drain_queued);
                if (conn->closing()) break;
                auto batch = records.store().scan(table.table, after, batch_size);
                if (!batch) {
                    log::error("snapshot of {}: {}", r.filter, batch.error().message());
                    break;
                }
                const bool last = batch->size() < batch_size;
                if (!last) after = batch->back().key.id;
                for (auto& rec : *batch) {
                    auto msg = records.message_of(std::move(rec));
                    if (topic::matches(r.filter, msg->topic)) deliver(msg, r);
                }
                if (last) break;
            }
        }
        if (scope.plain_topics || records.tables().empty())
            for (const auto& msg : broker.retained().match(r.filter)) deliver(msg, r);
    }
    // "Written to the connection" (DESIGN.md §2): QoS 1/2 copies still queued behind the
    // in-flight window go out before any later packet is answered.
    co_await conn->async_wait_drained(std::numeric_limits<std::size_t>::max(), 0);
    session->end_snapshot();
    conn->snapshot_finished();
}

}  // namespace

void start_snapshot(Broker& broker, const std::shared_ptr<session::Connection>& conn,
                    std::vector<SnapshotRequest> requests) {
    if (requests.empty()) return;
    conn->snapshot_started();
    boost::asio::co_spawn(conn->stream().get_executor(), send_snapshot(broker, conn, std::move(requests)),
                          boost::asio::detached);
}

}  // namespace harperrt::daemon::broker
