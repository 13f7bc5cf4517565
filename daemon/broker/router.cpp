#include "daemon/broker/router.hpp"

#include "daemon/session/session.hpp"

#include <algorithm>
#include <vector>

namespace harperrt::daemon::broker {

namespace {

std::string shared_key(const topic::Filter& f, const std::string& client_id) {
    std::string key = f.share_group;
    key.push_back('\0');
    key += client_id;
    return key;
}

}  // namespace

bool Router::subscribe(const topic::Filter& filter, Subscriber subscriber) {
    std::scoped_lock lock(mu_);
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
    if (filter.is_shared()) return shared_.erase(filter.filter, shared_key(filter, client_id));
    return direct_.erase(filter.filter, client_id);
}

std::size_t Router::size() const {
    std::scoped_lock lock(mu_);
    return direct_.size() + shared_.size();
}

std::vector<Target> Router::match(const MessagePtr& msg) {
    std::vector<Target> targets;
    {
        std::scoped_lock lock(mu_);                       // nothing slow under mu_
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
            Target t{std::move(session), qos, retain, {}, s.accept};
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
    return targets;
}

std::size_t Router::deliver(const MessagePtr& msg, std::vector<Target> targets) {
    for (auto& t : targets) t.session->deliver(msg, t.qos, std::move(t.ids), t.retain, t.accept);
    return targets.size();
}

}  // namespace harperrt::daemon::broker
