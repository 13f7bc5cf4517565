#include "daemon/broker/router.hpp"

#include "daemon/broker/thread_cache.hpp"
#include "daemon/session/session.hpp"

#include <algorithm>
#include <vector>

namespace harperrt::daemon::broker {

namespace {

// Spare target vectors per thread, and the largest capacity one keeps (in targets: a
// Target is 72 bytes, so a spare holds at most 18 KB).
using TargetCache = ThreadCache<std::vector<Target>, 8>;
constexpr std::size_t max_kept_targets = 256;

std::string shared_key(const topic::Filter& f, const std::string& client_id) {
    std::string key = f.share_group;
    key.push_back('\0');
    key += client_id;
    return key;
}

std::string query_key(const std::string& client_id, const std::string& filter) {
    std::string key = client_id;
    key.push_back('\0');
    key += filter;
    return key;
}

// A copy of `msg` for one query: the same write, another value.
MessagePtr derive(const Message& msg, std::shared_ptr<const encoding::Value> value, bool deleted) {
    auto out = make_message();
    out->topic = msg.topic;
    out->qos = msg.qos;
    out->retain = msg.retain;
    out->properties = msg.properties;
    out->origin = msg.origin;
    out->expires_at = msg.expires_at;
    out->value = std::move(value);
    out->record = RecordInfo{msg.record->key, msg.record->version, deleted, false, nullptr};
    return out;
}

}  // namespace

TargetList::TargetList() : targets_(TargetCache::take()) {
    if (!targets_) targets_ = std::make_unique<std::vector<Target>>();
}

TargetList::~TargetList() {
    if (!targets_) return;  // moved from
    targets_->clear();      // the sessions and messages are released now, on this thread
    if (targets_->capacity() <= max_kept_targets) TargetCache::give(std::move(targets_));
}

void Router::set_query_observer(std::function<void(const std::string&, bool)> observer) {
    std::scoped_lock lock(mu_);
    query_observer_ = std::move(observer);
}

std::shared_ptr<const Router::QueryTable> Router::query_table_locked(QuerySet& set) {
    if (set.table) return set.table;
    auto t = std::make_shared<QueryTable>();
    t->slots = set.slots;
    t->entries.reserve(set.entries.size());
    std::vector<const query::Node*> wheres;
    wheres.reserve(set.entries.size());
    for (const auto& [key, e] : set.entries) {
        t->entries.push_back(e);
        const auto& where = e->subscriber.query->query.where;
        wheres.push_back(where ? &*where : nullptr);
    }
    t->candidates = query::Candidates(wheres, t->slots);
    set.table = t;
    return t;
}

bool Router::subscribe(const topic::Filter& filter, Subscriber subscriber) {
    std::scoped_lock lock(mu_);
    if (subscriber.query) {
        const auto table = subscriber.query->table;
        auto key = query_key(subscriber.client_id, filter.filter);
        query_index_[key] = table;
        auto [it, first] = queries_.try_emplace(table);
        auto& set = it->second;
        auto entry = std::make_shared<QueryEntry>();
        if (const auto& where = subscriber.query->query.where) entry->predicate = query::compile(*where, set.slots);
        entry->subscriber = std::move(subscriber);
        const bool is_new = set.entries.insert_or_assign(std::move(key), std::move(entry)).second;
        set.table.reset();
        if (first && query_observer_) query_observer_(table, true);
        return is_new;
    }
    if (filter.is_shared()) {
        subscriber.share_key = filter.share_group + '\0' + filter.filter;
        auto key = shared_key(filter, subscriber.client_id);  // before subscriber is moved from
        return shared_.insert(filter.filter, key, std::move(subscriber));
    }
    const auto key = subscriber.client_id;
    return direct_.insert(filter.filter, key, std::move(subscriber));
}

bool Router::unsubscribe(const topic::Filter& filter, const std::string& client_id) {
    std::scoped_lock lock(mu_);
    if (!filter.is_shared()) {
        auto key = query_key(client_id, filter.filter);
        if (auto q = query_index_.find(key); q != query_index_.end()) {
            const auto table = q->second;
            query_index_.erase(q);
            auto it = queries_.find(table);
            if (it == queries_.end()) return false;
            const bool existed = it->second.entries.erase(key) > 0;
            it->second.table.reset();
            if (it->second.entries.empty()) {
                queries_.erase(it);
                if (query_observer_) query_observer_(table, false);
            }
            return existed;
        }
    }
    if (filter.is_shared()) return shared_.erase(filter.filter, shared_key(filter, client_id));
    return direct_.erase(filter.filter, client_id);
}

std::size_t Router::size() const {
    std::scoped_lock lock(mu_);
    return direct_.size() + shared_.size() + query_index_.size();
}

TargetList Router::match(const MessagePtr& msg) {
    TargetList list;
    auto& targets = *list;
    std::shared_ptr<const QueryTable> queries;
    {
        std::scoped_lock lock(mu_);                       // nothing slow under mu_
        if (msg->record && !queries_.empty())
            if (auto it = queries_.find(msg->record->key.table); it != queries_.end())
                queries = query_table_locked(it->second);
        auto add = [&](const Subscriber& s) {
            auto session = s.session.lock();
            if (!session) return;
            const auto qos = std::min(msg->qos, s.options.qos);
            const bool retain = s.options.retain_as_published && msg->retain;
            for (auto& t : targets) {
                if (t.session == session) {  // overlapping subscriptions: one copy
                    t.qos = std::max(t.qos, qos);
                    t.retain = t.retain || retain;
                    if (s.subscription_id != 0) t.ids.push_back(s.subscription_id);
                    return;
                }
            }
            Target t{std::move(session), qos, retain, {}, s.accept, nullptr};
            if (s.subscription_id != 0) t.ids.push_back(s.subscription_id);
            targets.push_back(std::move(t));
        };
        direct_.match(msg->topic, [&](const std::string& client_id, const Subscriber& s) {
            if (s.options.no_local && client_id == msg->origin) return;  // v5 [MQTT-3.8.3-3]
            add(s);
        });
        // Shared subscriptions: one member per group and filter, round robin, connected
        // members first (v5 §4.8.2).
        std::vector<std::pair<std::string, std::vector<const Subscriber*>>> groups;
        shared_.match(msg->topic, [&](const std::string&, const Subscriber& s) {
            auto it = std::find_if(groups.begin(), groups.end(), [&](auto& g) { return g.first == s.share_key; });
            if (it == groups.end()) groups.push_back({s.share_key, {&s}});
            else it->second.push_back(&s);
        });
        for (auto& [key, members] : groups) {
            std::sort(members.begin(), members.end(),
                      [](const Subscriber* a, const Subscriber* b) { return a->client_id < b->client_id; });
            auto& cursor = cursors_[key];
            const Subscriber* chosen = nullptr;
            for (std::size_t i = 0; i < members.size() && chosen == nullptr; ++i) {
                const auto* m = members[(cursor + i) % members.size()];
                auto s = m->session.lock();
                if (s && s->attached()) {
                    chosen = m;
                    cursor = (cursor + i + 1) % members.size();
                }
            }
            if (chosen == nullptr) {
                chosen = members[cursor % members.size()];
                cursor = (cursor + 1) % members.size();
            }
            add(*chosen);
        }
    }
    if (queries) match_queries(msg, *queries, targets);
    return list;
}

void Router::match_queries(const MessagePtr& msg, const QueryTable& table, std::vector<Target>& targets) {
    const auto& record = *msg->record;
    const encoding::Value* now = record.deleted ? nullptr : msg->value.get();
    const encoding::Value* before = record.previous.get();
    thread_local std::vector<const encoding::Value*> now_slots, before_slots;
    table.slots.extract(now, now_slots);
    table.slots.extract(before, before_slots);

    // Which queries to evaluate: those the new or the old value can match. When the old
    // value is unknown, every query (a record that does not match is sent as a leave).
    thread_local std::vector<std::uint32_t> candidates;
    candidates.clear();
    if (!record.previous_known) {
        for (std::uint32_t i = 0; i < table.entries.size(); ++i) candidates.push_back(i);
    } else {
        if (now != nullptr) table.candidates.find(now_slots, candidates);
        if (before != nullptr) table.candidates.find(before_slots, candidates);
        std::sort(candidates.begin(), candidates.end());
        candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    }

    MessagePtr leave;  // one `null` for every query the record left
    std::vector<std::pair<const std::vector<std::string>*, MessagePtr>> trimmed;  // by select list
    for (const auto i : candidates) {
        const auto& e = *table.entries[i];
        const auto& s = e.subscriber;
        const auto& q = s.query->query;
        // The predicates first: most writes touch few of a table's queries, and they cost
        // nanoseconds, where locking the session costs atomics and a mutex.
        const bool in_now = now != nullptr && (!q.where || query::evaluate(e.predicate, now_slots));
        const bool in_before =
            !in_now &&
            (!record.previous_known || (before != nullptr && (!q.where || query::evaluate(e.predicate, before_slots))));
        if (!in_now && !in_before) continue;
        if (s.options.no_local && s.client_id == msg->origin) continue;
        auto session = s.session.lock();
        if (!session || !session->attached()) continue;  // re-snapshotted on reconnect
        MessagePtr m;
        if (in_now) {
            if (q.select.empty()) {
                m = msg;
            } else {
                auto found = std::find_if(trimmed.begin(), trimmed.end(), [&](auto& p) { return *p.first == q.select; });
                if (found == trimmed.end()) {
                    auto value = std::make_shared<const encoding::Value>(query::project(*now, q.select, s.query->primary_key));
                    trimmed.emplace_back(&q.select, derive(*msg, std::move(value), false));
                    found = std::prev(trimmed.end());
                }
                m = found->second;
            }
        } else if (in_before) {
            if (!leave) leave = record.deleted ? msg : derive(*msg, std::make_shared<const encoding::Value>(), true);
            m = leave;
        } else {
            continue;
        }
        Target t{std::move(session), std::min(msg->qos, s.options.qos), s.options.retain_as_published && msg->retain,
                 {}, s.accept, std::move(m)};
        if (s.subscription_id != 0) t.ids.push_back(s.subscription_id);
        targets.push_back(std::move(t));
    }
}

std::size_t Router::deliver(const MessagePtr& msg, TargetList targets) {
    for (auto& t : *targets)
        t.session->deliver(t.message ? t.message : msg, t.qos, std::move(t.ids), t.retain, t.accept);
    return targets->size();
}

}  // namespace harperrt::daemon::broker
