#include "daemon/broker/retained.hpp"

#include "common/topic/topic.hpp"

namespace harperrt::daemon::broker {

void RetainedMessages::store(const MessagePtr& msg) {
    std::scoped_lock lock(mu_);
    if (msg->payload.empty()) by_topic_.erase(msg->topic);  // v5 [MQTT-3.3.1-6]
    else by_topic_.insert_or_assign(msg->topic, msg);
}

std::vector<MessagePtr> RetainedMessages::match(std::string_view filter) const {
    std::vector<MessagePtr> out;
    const auto now = Clock::now();
    std::scoped_lock lock(mu_);
    const auto wildcard = filter.find_first_of("+#");
    if (wildcard == std::string_view::npos) {
        auto it = by_topic_.find(filter);
        if (it != by_topic_.end() && !it->second->expired(now)) out.push_back(it->second);
        return out;
    }
    // Every topic the filter can match starts with the literal part before the first
    // wildcard (minus the separator, since "a/#" matches "a" too).
    auto prefix = filter.substr(0, wildcard);
    if (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    for (auto it = by_topic_.lower_bound(prefix); it != by_topic_.end(); ++it) {
        if (it->first.compare(0, prefix.size(), prefix) != 0) break;
        if (topic::matches(filter, it->first) && !it->second->expired(now)) out.push_back(it->second);
    }
    return out;
}

std::size_t RetainedMessages::size() const {
    std::scoped_lock lock(mu_);
    return by_topic_.size();
}

}  // namespace harperrt::daemon::broker
