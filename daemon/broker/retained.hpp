// RetainedMessages: the retained message of every ordinary topic (v5 §3.3.1.3), in memory
// and mirrored to the store so they survive a restart. (Records of declared tables are the
// retained messages of their topics too, but they live in the record store.)
#pragma once

#include "daemon/broker/message.hpp"

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace harperrt::daemon::broker {

class RetainedMessages {
public:
    // Sets (or, for an empty payload, clears) the retained message of msg->topic
    // (v5 [MQTT-3.3.1-5..7]).
    void store(const MessagePtr& msg);
    // Messages retained on topics matching `filter`, in topic order, skipping expired ones.
    std::vector<MessagePtr> match(std::string_view filter) const;
    std::size_t size() const;

private:
    mutable std::mutex mu_;
    std::map<std::string, MessagePtr, std::less<>> by_topic_;  // guarded by mu_
};

}  // namespace harperrt::daemon::broker
