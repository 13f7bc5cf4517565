// Session: the MQTT session state of one client id, which outlives its network connections
// (v5 §4.1): subscriptions, outbound QoS 1/2 messages in flight, the queue behind them, and
// inbound QoS 2 packet identifiers awaiting PUBREL. The router delivers into it from any
// thread; while a Connection is attached, deliveries go straight to that connection's
// output buffer, otherwise QoS 1/2 messages wait in the bounded queue.
//
// Design notes
//   1. Every member below mu_ is guarded by mu_. Lock order: Session::mu_ before the
//      connection's output lock; a Connection never calls into a Session while holding
//      its own lock, so no cycle exists.
//   2. In flight: at most `inflight_limit_` QoS 1/2 messages are sent and unacknowledged
//      (the client's Receive Maximum capped by mqtt.limits.maxInflight, v5 [MQTT-3.3.4-9]).
//      The rest wait in `queue_` (at most maxQueuedMessages; beyond that the message is
//      dropped and counted). QoS 0 messages are never queued: sent when connected, else
//      discarded.
//   3. States of an outbound message:
//        queued --send_next()--> awaiting_ack (QoS 1) --on_puback()--> gone
//        queued --send_next()--> awaiting_rec (QoS 2) --on_pubrec()--> awaiting_comp
//                                                      --on_pubcomp()--> gone
//      On reconnect attach() resends awaiting_ack/awaiting_rec as PUBLISH with DUP=1 and
//      awaiting_comp as PUBREL, in their original order (v5 [MQTT-4.4.0-1]).
//   4. Inbound QoS 2 (exactly once, "method A" of v5 §4.3.3): the message is delivered when
//      the first PUBLISH arrives and its packet identifier is remembered until PUBREL; a
//      resent PUBLISH with that identifier is acknowledged again but not delivered again.
//   5. In flight without a map (no allocation per message): inflight_ holds the entries in
//      send order, each with a `seq` that grows by one per packet identifier handed out,
//      and packet_id == seq % 65535 + 1. An acknowledged entry becomes `done` and is
//      dropped once it reaches the front, or once done entries outnumber live ones (a
//      client that leaves one unacknowledged). So the entry of a packet id is found by
//      arithmetic: its offset from the front's seq (a linear search, bounded by about twice
//      the window, only when seqs have gaps: after a restore, a compaction, or ids skipped
//      because in use). A new id can be in use only when the oldest entry is 65535 or more
//      seqs behind; only then is it searched for.
#pragma once

#include "daemon/broker/message.hpp"

#include "common/mqtt/packet.hpp"
#include "common/util/lazy_deque.hpp"
#include "common/util/shared_string.hpp"
#include "common/util/small_mutex.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace harperrt::daemon::session {

class Connection;

// One subscription as the session remembers it (for persistence and re-subscription).
struct SubscriptionInfo {
    mqtt::SubscribeOptions options;
    std::uint32_t subscription_id = 0;  // 0: none
    std::optional<encoding::Format> accept;  // v5 SUBSCRIBE user property `accept`
};

// A session as it is kept across a daemon restart (see daemon/broker/persist.hpp).
struct PersistedOutbound {
    broker::MessagePtr msg;  // null once PUBREC arrived (only the packet id remains)
    mqtt::QoS qos = mqtt::QoS::at_most_once;
    bool retain = false;
    std::vector<std::uint32_t> subscription_ids;
    std::optional<encoding::Format> accept;
    std::uint8_t state = 0;  // 0 queued, 1 awaiting PUBACK, 2 awaiting PUBREC, 3 awaiting PUBCOMP
    std::uint16_t packet_id = 0;
};
struct PersistedSession {
    std::string client_id;
    std::uint32_t expiry_interval = 0;
    std::int64_t disconnected_at = 0;  // Unix seconds; when the session's expiry started
    std::map<std::string, SubscriptionInfo> subscriptions;
    std::vector<PersistedOutbound> inflight;  // in send order
    std::vector<PersistedOutbound> queue;
    std::vector<std::uint16_t> inbound_qos2;
};

class Session {
public:
    Session(util::SharedString client_id, std::uint32_t max_queued);

    const util::SharedString& client_id() const noexcept { return client_id_; }

    // Delivers `msg` at `qos` (already min(publish, granted)) with the subscription
    // identifiers that matched, the RETAIN flag to send, and the format the subscription
    // asked for (nullopt: the connection's preference). `from_snapshot`: a stored record
    // sent because of a SUBSCRIBE; it is skipped when a live delivery of the same record
    // with a version at least as new already went out (DESIGN.md §2). Any thread.
    void deliver(const broker::MessagePtr& msg, mqtt::QoS qos, std::vector<std::uint32_t> subscription_ids,
                 bool retain, std::optional<encoding::Format> accept = std::nullopt, bool from_snapshot = false);

    // Brackets a snapshot: while one is open, live record deliveries remember their
    // versions so deliver(from_snapshot) can drop an older copy. Any thread.
    void begin_snapshot();
    void end_snapshot();

    // Attaches `conn` (after its CONNACK is queued): resends what is in flight, then sends
    // queued messages up to `inflight_limit`. Call on the connection's strand.
    void attach(const std::shared_ptr<Connection>& conn, std::uint16_t inflight_limit);
    // Detaches `conn` if it is the attached one. Any thread.
    void detach(const Connection* conn);
    bool attached() const;

    // Acknowledgements from the client; false when no such packet id is in flight.
    bool on_puback(std::uint16_t packet_id);
    bool on_pubrec(std::uint16_t packet_id, bool failed);
    bool on_pubcomp(std::uint16_t packet_id);

    // Inbound QoS 2. begin: true if `packet_id` is new (deliver the message), false if it
    // is a resend before PUBREL. release: true if it was awaiting PUBREL.
    bool inbound_qos2_begin(std::uint16_t packet_id);
    bool inbound_qos2_release(std::uint16_t packet_id);
    std::size_t inbound_qos2_count() const;

    // Subscriptions by full filter (with any $share/ prefix). add returns true if new.
    bool add_subscription(const std::string& filter, SubscriptionInfo info);
    bool remove_subscription(const std::string& filter);
    std::map<std::string, SubscriptionInfo> subscriptions() const;

    // Drops everything (clean start / expiry): subscriptions, queue, in flight, QoS 2 ids.
    void clear();

    std::size_t queued() const;
    // True when the client is connected and its queue is (nearly: up to 16 places are kept
    // for publishers racing on other threads) at maxQueuedMessages: a QoS 1/2 publisher
    // should wait rather than have its message dropped. Any thread.
    bool congested() const;
    // While congested(): remembers `publisher` (once, however often it asks) and calls its
    // room_available() (which only posts) when a quarter of the queue is free again or the
    // client detaches; returns true. Returns false when not congested. Any thread.
    bool wait_for_room(const std::shared_ptr<Connection>& publisher);
    std::size_t inflight() const;

    // Everything a restart must keep (subscriptions, in flight, queue, inbound QoS 2 ids),
    // and a session rebuilt from it. Any thread.
    PersistedSession save() const;
    static std::shared_ptr<Session> restore(PersistedSession state, std::uint32_t max_queued);

    // Bumped on every attach; a pending expiry or will timer checks it is still current.
    std::atomic<std::uint64_t> generation{0};
    // Unix seconds when the last connection ended (the start of its expiry); 0 while connected.
    std::atomic<std::int64_t> disconnected_at{0};
    // Session expiry interval in seconds that applies once disconnected (v5 §3.1.2.11).
    // (Last of these, next to max_queued_: two 4-byte members share 8 bytes.)
    std::atomic<std::uint32_t> expiry_interval{0};

private:
    // `done`: acknowledged, or given up; a place in inflight_ kept until it reaches the front.
    enum class State : std::uint8_t { queued, awaiting_ack, awaiting_rec, awaiting_comp, done };
    struct Outbound {
        broker::MessagePtr msg;
        mqtt::QoS qos;
        bool retain;
        std::vector<std::uint32_t> subscription_ids;
        std::optional<encoding::Format> accept;
        State state = State::queued;
        std::uint16_t packet_id = 0;
        std::uint64_t seq = 0;  // in flight: its place in the numbering of design note 5
    };

    // Requires mu_. Sends queued messages while the in-flight window has room.
    void send_next_locked();
    // Requires mu_. Wakes the publishers waiting for room if there is room now.
    void notify_room_locked();
    // Requires mu_. Sends one PUBLISH of `o` (dup for a resend); false if the connection
    // refused it as too large for the client (then it is treated as delivered).
    bool send_locked(Outbound& o, bool dup);
    // Requires mu_. Gives `o` the next free packet identifier and its seq (design note 5)
    // without taking them; add_inflight_locked takes them once it is sent.
    void number_locked(Outbound& o);
    void add_inflight_locked(Outbound&& o);
    // Requires mu_. The in-flight entry (not done) with `packet_id`, or null.
    Outbound* find_inflight_locked(std::uint16_t packet_id);
    // Requires mu_. Ends an in-flight entry and drops the done ones at the front.
    void finish_inflight_locked(Outbound& o);

    // A Session is allocated per client id, most of them idle: members are ordered so that
    // none needs padding, and what many sessions never use is allocated on first use.
    const std::uint32_t max_queued_;
    const util::SharedString client_id_;  // shared with the broker's registry and the connection

    mutable util::SmallMutex mu_;  // 4 bytes (std::mutex: 40)
    std::shared_ptr<Connection> conn_;        // guarded by mu_
    util::LazyDeque<Outbound> inflight_;      // send order, done ones included; guarded by mu_
    util::LazyDeque<Outbound> queue_;         // guarded by mu_
    std::uint64_t next_seq_ = 0;              // guarded by mu_
    // Allocated on first use and null while unused (freed again by clear(), the last
    // unsubscribe, the end of the last snapshot): most sessions
    // never see a QoS 2 publish, a snapshot that overlaps live updates or a congested queue,
    // and an idle client may not subscribe at all. An empty std::set or std::map is 48
    // bytes, a std::vector 24, a pointer 8.
    std::unique_ptr<std::set<std::uint16_t>> inbound_qos2_;                 // guarded by mu_
    std::unique_ptr<std::map<std::string, SubscriptionInfo>> subscriptions_;  // guarded by mu_
    std::unique_ptr<std::map<std::string, std::uint64_t>> live_versions_;  // guarded by mu_; topic -> version
    // Kept once allocated (cleared at each wake-up): a subscriber congested once is soon
    // congested again, and its publishers should not allocate each time.
    std::unique_ptr<std::vector<std::weak_ptr<Connection>>> room_waiters_;  // guarded by mu_
    // Entries of inflight_ not done; each has its own packet identifier, so at most 65535.
    std::uint32_t inflight_count_ = 0;        // guarded by mu_
    // Queue-full drops since the last PUBLISH to the client (which tells a v5 client how
    // many); saturates at UINT32_MAX.
    std::uint32_t dropped_unreported_ = 0;    // guarded by mu_
    int snapshots_open_ = 0;                  // guarded by mu_
    std::uint16_t inflight_limit_ = 0;        // guarded by mu_
};

}  // namespace harperrt::daemon::session
