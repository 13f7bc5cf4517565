// Broker: the state all connections share (config, router, sessions, retained messages,
// statistics) and the packet handlers of STYLE.md §3 (one file each: handle_connect.cpp,
// handle_publish.cpp, handle_subscribe.cpp, handle_unsubscribe.cpp, handle_acks.cpp,
// handle_disconnect.cpp; dispatch.cpp routes a decoded packet to one of them).
//
// Thread-safety: every member function may be called from any thread; handlers run on the
// calling connection's strand.
#pragma once

#include "daemon/auth/acl.hpp"
#include "daemon/broker/message.hpp"
#include "daemon/broker/records.hpp"
#include "daemon/broker/retained.hpp"
#include "daemon/broker/router.hpp"
#include "daemon/broker/stats.hpp"

#include "common/config/config.hpp"
#include "common/mqtt/packet.hpp"
#include "common/util/shared_string.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace harperrt::daemon::session {
class Connection;
class Session;
class Wakeups;
struct ProtocolState;
struct SubscriptionInfo;
}  // namespace harperrt::daemon::session

namespace harperrt::daemon::broker {

class Broker {
public:
    // `store` holds the records (and retained messages of ordinary topics); it outlives
    // the broker.
    Broker(const config::Config& config, boost::asio::io_context& io, store::Store& store);

    const config::Config& config() const noexcept { return config_; }
    boost::asio::io_context& io() noexcept { return io_; }
    // The io_context's writer wake-up list (connection.hpp, design note 9).
    session::Wakeups& wakeups() noexcept { return wakeups_; }
    Router& router() noexcept { return router_; }
    RetainedMessages& retained() noexcept { return retained_; }
    const Records& records() const noexcept { return records_; }
    // Threads for password verification (they block for the KDF's duration). Owned here,
    // not a static, so they are joined while the broker goes away: OpenSSL's per-thread
    // state is freed at thread exit, which must happen before OpenSSL's own atexit cleanup.
    boost::asio::thread_pool& auth_pool();
    Stats& stats() noexcept { return stats_; }
    // Authentication and authorization (daemon/auth/); reloaded on SIGHUP.
    auth::Authorizer& authorizer() noexcept { return authorizer_; }

    // Routes an application message: keeps it as the retained message of its topic if it is
    // retained and not a record (records are stored before they are published), then
    // delivers it to subscribers. Returns the number of sessions that received it.
    std::size_t publish(const MessagePtr& msg);
    // The retained-message half of publish(): keeps (or clears) a plain topic's retained
    // message, in memory and in the store.
    void retained_store(const MessagePtr& msg);

    // Live connections, for shutdown and the connection limit.
    bool add_connection(const std::shared_ptr<session::Connection>& conn);
    void remove_connection(session::Connection& conn);
    std::size_t connection_count() const;
    // Sends every client v5 DISCONNECT 0x8B (server shutting down) and closes it.
    void close_all_connections();

    // Session registry. Takes over `client_id`: an existing connection of that client id
    // is closed (v5 DISCONNECT 0x8E session taken over). With clean_start the old session
    // is discarded. Returns the session and whether it existed (session present). The
    // session is null when there is none and `need_session` is false: a clean start that
    // ends with its connection creates its session on first need (session_for), so an idle
    // client costs no Session. A connection that owns the id without a session has the
    // empty session of MQTT's model: taken over without clean start, it is present.
    std::pair<std::shared_ptr<session::Session>, bool> open_session(const util::SharedString& client_id,
                                                                    bool clean_start, bool need_session,
                                                                    const std::shared_ptr<session::Connection>& conn);
    // The session of `conn` (after its CONNECT), created and attached now if it has none.
    // Null when `conn` no longer owns its client id (taken over, so closing): what it asked
    // for is dropped with it. Strand of `conn`.
    std::shared_ptr<session::Session> session_for(const std::shared_ptr<session::Connection>& conn);
    // The in-flight window of a connection's session: the client's Receive Maximum, capped
    // by mqtt.limits.maxInflight.
    std::uint16_t inflight_limit(const session::ProtocolState& st) const;
    // Called when a connection ends (`after_disconnect`: its last packet was a DISCONNECT):
    // detaches it; schedules the will, if a DISCONNECT did not clear it (after its delay),
    // and the session's expiry.
    void on_connection_closed(session::Connection& conn, bool after_disconnect);
    // A fresh unique client identifier (v5 Assigned Client Identifier).
    std::string assign_client_id();
    // Sessions, connected and persistent: every client id the broker knows (a connected
    // client without a Session object has its empty one, see open_session).
    std::size_t session_count() const;
    // Outbound QoS 1/2 messages of all sessions: waiting in their queues, and in flight.
    struct QueueTotals {
        std::size_t queued = 0;
        std::size_t inflight = 0;
    };
    QueueTotals queue_totals() const;

    // Persistence across restarts (DESIGN.md §7): plain retained messages and persistent
    // sessions live in the store's kv namespaces (persist.hpp). load_persisted() runs once
    // before the listeners start; save_sessions() once after the last connection closed
    // (it blocks until the write is committed). persist_session() writes one session now
    // (subscriptions change, a persistent client disconnects); it does not wait.
    void load_persisted();
    void save_sessions();
    void persist_session(const std::shared_ptr<session::Session>& session);

    // Publishes the $SYS/broker/... topics now (retained).
    void publish_sys();

    // The router entry for one of `session`'s subscriptions, as restored after a restart (a
    // query subscription is parsed again). nullopt, logged, when the filter no longer
    // parses, e.g. the configuration changed.
    std::optional<std::pair<topic::Filter, Subscriber>> subscriber_for(const std::shared_ptr<session::Session>& session,
                                                                       const std::string& filter,
                                                                       const session::SubscriptionInfo& info) const;

private:
    // Removes one of a session's subscriptions (a topic filter or a query) from the router.
    void unsubscribe_filter(const std::string& filter, const std::string& client_id);
    void end_session(const util::SharedString& client_id, std::uint64_t generation);
    void send_will(const util::SharedString& client_id, mqtt::Will will);

    const config::Config& config_;
    boost::asio::io_context& io_;
    session::Wakeups& wakeups_;
    Router router_;
    RetainedMessages retained_;
    Records records_;
    // Started by the first password check: a daemon without passwords runs no threads
    // (and their stacks) for them.
    std::once_flag auth_pool_started_;
    std::optional<boost::asio::thread_pool> auth_pool_;
    Stats stats_;
    auth::Authorizer authorizer_{config_};

    // What the broker knows of one client id: one map node per client, keyed by the id the
    // session and the connection share. `session`: null once ended (expiry, clean start) while a connection
    // still owns the id. `owner`: the connection that opened the session last; reset to
    // empty when that connection closes as the owner, expired if it went away without
    // closing (has_owner() in broker.cpp tells the two apart). An entry is erased when it
    // has neither a session nor an owner.
    struct Client {
        std::shared_ptr<session::Session> session;
        std::weak_ptr<session::Connection> owner;
    };
    mutable std::mutex mu_;
    // Searched by std::string_view (SharedString::Hash and Equal are transparent).
    std::unordered_map<util::SharedString, Client, util::SharedString::Hash, util::SharedString::Equal>
        clients_;  // guarded by mu_
    // Live connections: one slot each (the connection keeps its index), freed slots reused;
    // a deque, so 10k of them cost 16 bytes each, not a map node and a bucket (56). A
    // connection destroyed without being removed (the io_context going away at shutdown)
    // leaves an expired weak_ptr, which nothing follows.
    std::deque<std::weak_ptr<session::Connection>> connections_;  // guarded by mu_
    std::vector<std::uint32_t> free_connection_slots_;            // guarded by mu_
    std::size_t connection_count_ = 0;                             // guarded by mu_
    std::atomic<std::uint64_t> next_client_number_{1};
};

// One subscription's snapshot (DESIGN.md §2, §5): the records and retained messages it
// matches, or the records of its query.
struct SnapshotRequest {
    std::string filter;
    mqtt::QoS qos;
    std::uint32_t subscription_id;
    std::optional<encoding::Format> accept;
    std::shared_ptr<const LiveQuery> query;  // set for a query subscription
};
// Streams the snapshots to `conn` (snapshot.cpp); until they are written, the connection
// answers only acks. Strand of `conn`.
void start_snapshot(Broker& broker, const std::shared_ptr<session::Connection>& conn,
                    std::vector<SnapshotRequest> requests);

// Handles one decoded packet from `conn` (dispatch.cpp); the caller keeps `packet` alive
// until it completes (taken by reference so that this frame stays small enough for Asio's
// frame recycling: a Packet is 1.2 KB). Strand of `conn`.
boost::asio::awaitable<void> dispatch(Broker& broker, const std::shared_ptr<session::Connection>& conn,
                                      mqtt::Packet& packet);
// The part of dispatch() that never waits: handles `packet` at once and returns true,
// unless it is a CONNECT or a PUBLISH (or anything before CONNECT), which only dispatch()
// handles (false, nothing done). Acks take this way: no coroutine frame per packet.
// Strand of `conn`.
bool dispatch_now(Broker& broker, const std::shared_ptr<session::Connection>& conn, mqtt::Packet& packet);
// A bare ack: `frame` is a PUBACK, PUBREC or PUBCOMP of four bytes (a packet id and
// nothing else: what a 3.1.1 client always sends, and a v5 client's success), handled
// without decoding it into a Packet (1.2 KB); true if it was one, false (nothing done) for
// anything else. Most of what a subscriber to a QoS 1/2 stream sends. Strand of `conn`,
// after its CONNECT.
bool dispatch_bare_ack(Broker& broker, const std::shared_ptr<session::Connection>& conn,
                       std::span<const std::byte> frame);

// Handlers, one file each. Strand of `conn`.
boost::asio::awaitable<void> handle_connect(Broker&, const std::shared_ptr<session::Connection>&, mqtt::Connect&);
boost::asio::awaitable<void> handle_publish(Broker&, const std::shared_ptr<session::Connection>&, mqtt::Publish&);
void handle_subscribe(Broker&, const std::shared_ptr<session::Connection>&, mqtt::Subscribe&);
void handle_unsubscribe(Broker&, const std::shared_ptr<session::Connection>&, mqtt::Unsubscribe&);
void handle_puback(Broker&, const std::shared_ptr<session::Connection>&, std::uint16_t packet_id);
void handle_pubrec(Broker&, const std::shared_ptr<session::Connection>&, std::uint16_t packet_id, mqtt::ReasonCode rc);
void handle_pubrel(Broker&, const std::shared_ptr<session::Connection>&, const mqtt::Pubrel&);
void handle_pubcomp(Broker&, const std::shared_ptr<session::Connection>&, std::uint16_t packet_id);
void handle_disconnect(Broker&, const std::shared_ptr<session::Connection>&, const mqtt::Disconnect&);

// The one place that turns an error into the reason code a client sees (STYLE.md §5).
// `for_filter`: the error is about a topic filter (SUBSCRIBE), not a topic name.
mqtt::ReasonCode to_reason_code(const boost::system::error_code& ec, bool for_filter = false);

}  // namespace harperrt::daemon::broker
