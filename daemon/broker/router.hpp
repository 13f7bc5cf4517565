// Router: the subscriptions of all sessions in a trie, and the fan-out of a message to the
// sessions whose filters match it (v5 §4.7). Shared subscriptions ($share/GROUP/FILTER,
// v5 §4.8.2) deliver each message to one member of the group, round robin, preferring
// members that are connected.
//
// Design notes
//   1. One mutex guards the tries; nothing slow happens under it. publish() copies the
//      targets out, unlocks, then delivers (Session::deliver takes the session's lock).
//   2. Overlapping subscriptions of one session give one delivery at the highest granted
//      QoS carrying every matching subscription identifier (v5 [MQTT-3.3.4-3..5]); the
//      RETAIN flag is kept if any of them asked Retain As Published.
//   3. No Local (v5 [MQTT-3.8.3-3]) is applied per subscription while matching.
//   4. Query subscriptions (`Table/?query`, DESIGN.md §5, query.hpp) are kept per table,
//      outside the tries: a QuerySet (entries by client and filter, each predicate compiled
//      once against the set's append-only attribute Slots) and, built from it on the first
//      write after a change, an immutable QueryTable (the entries plus query::Candidates,
//      an index of each query's anchor condition). So subscribing N queries costs
//      O(N log N), not a rebuild per subscription. A record write takes the current
//      QueryTable under mu_ and evaluates the candidates' predicates after unlocking. Each
//      query gets its own copy: the record trimmed by select(), or `null` (event=delete)
//      when the write took the record out of the result, judged against the value it
//      replaced (RecordInfo::previous; when that is unknown, a non-matching write is sent
//      as a `null` to be safe). Queries skip sessions that are not connected: on reconnect
//      they get a fresh snapshot instead of the missed changes.
//   5. No allocation per publish once warm: match() fills a TargetList, a vector recycled
//      per thread (thread_cache.hpp) with its capacity, and deliver() hands it back.
#pragma once

#include "daemon/broker/message.hpp"
#include "daemon/broker/query.hpp"

#include "common/query/candidates.hpp"

#include "common/mqtt/packet.hpp"
#include "common/topic/subscription_trie.hpp"
#include "common/topic/topic.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace harperrt::daemon::session {
class Session;
}

namespace harperrt::daemon::broker {

struct Subscriber {
    std::weak_ptr<session::Session> session;
    std::string client_id;
    mqtt::SubscribeOptions options;
    std::uint32_t subscription_id = 0;
    std::optional<encoding::Format> accept;  // the subscription's outbound format, if it chose one
    std::string share_key;  // "GROUP\0FILTER" for a shared subscription, else empty
    std::shared_ptr<const LiveQuery> query;  // set for a query subscription
};

// One session a message goes to, with what its matching subscriptions ask for.
struct Target {
    std::shared_ptr<session::Session> session;
    mqtt::QoS qos;
    bool retain;
    std::vector<std::uint32_t> ids;
    std::optional<encoding::Format> accept;
    MessagePtr message;  // sent instead of the published message (a query's own copy), if set
};

// The targets of one publish: a vector taken from the calling thread's spares and given
// back (cleared, capacity kept up to a bound) when the list goes, so matching a message
// allocates no vector once warm (design note 5). Move-only; a moved-from list is empty
// and must not be dereferenced.
class TargetList {
public:
    TargetList();
    TargetList(TargetList&&) noexcept = default;
    TargetList& operator=(TargetList&&) noexcept = default;
    ~TargetList();

    std::vector<Target>& operator*() noexcept { return *targets_; }
    std::vector<Target>* operator->() noexcept { return targets_.get(); }

private:
    std::unique_ptr<std::vector<Target>> targets_;
};

class Router {
public:
    // Adds (or replaces) `client_id`'s subscription to `filter`. True if it is new.
    bool subscribe(const topic::Filter& filter, Subscriber subscriber);
    // Removes it; true if it existed.
    bool unsubscribe(const topic::Filter& filter, const std::string& client_id);

    // Delivers `msg` to every matching session (see the design notes). Any thread.
    // Returns the number of sessions it was delivered to.
    std::size_t publish(const MessagePtr& msg) { return deliver(msg, match(msg)); }
    // The two halves of publish(), for a caller that waits between them (back-pressure).
    TargetList match(const MessagePtr& msg);
    static std::size_t deliver(const MessagePtr& msg, TargetList targets);

    std::size_t size() const;

    // Called (under the router's lock; it must be quick and must not call back) when a table
    // gets its first query subscription (true) or loses its last (false).
    void set_query_observer(std::function<void(const std::string& table, bool any)> observer);

private:
    struct QueryEntry {
        Subscriber subscriber;
        query::Compiled predicate;  // against QuerySet::slots; meaningful when the query has conditions
    };
    struct QueryTable {  // immutable: what a write evaluates
        query::Slots slots;
        std::vector<std::shared_ptr<const QueryEntry>> entries;
        query::Candidates candidates;  // entries a record can match, by index into `entries`
    };
    struct QuerySet {  // guarded by mu_
        query::Slots slots;  // every attribute the table's queries read; append-only
        std::map<std::string, std::shared_ptr<const QueryEntry>> entries;  // by client\0filter
        std::shared_ptr<const QueryTable> table;  // built on demand; null after a change
    };
    // The current QueryTable of `set`, built if a change invalidated it. Requires mu_.
    static std::shared_ptr<const QueryTable> query_table_locked(QuerySet& set);
    static void match_queries(const MessagePtr& msg, const QueryTable& table, std::vector<Target>& targets);

    mutable std::mutex mu_;
    topic::SubscriptionTrie<std::string, Subscriber> direct_;  // guarded by mu_; key client id
    topic::SubscriptionTrie<std::string, Subscriber> shared_;  // guarded by mu_; key group\0client
    std::unordered_map<std::string, std::size_t> cursors_;     // guarded by mu_; per share_key
    std::unordered_map<std::string, QuerySet> queries_;  // guarded by mu_; by table
    std::unordered_map<std::string, std::string> query_index_;  // guarded by mu_; client\0filter -> table
    std::function<void(const std::string&, bool)> query_observer_;  // guarded by mu_
};

}  // namespace harperrt::daemon::broker
