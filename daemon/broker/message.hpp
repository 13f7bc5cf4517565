// Message: one application message inside the broker, shared (immutable) by every session
// it is delivered to or queued for. Holds what a PUBLISH carries end to end (topic,
// payload, the publisher's QoS and RETAIN, the properties the server forwards) and, for a
// structured payload, its format, so each subscriber can get it in the format it asked for
// (DESIGN.md §4), encoded at most once per format however many subscribers there are.
// make_message() gives a recycled one, so a routed PUBLISH allocates no Message.
#pragma once

#include "common/encoding/codec.hpp"
#include "common/mqtt/packet.hpp"
#include "common/topic/record_key.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace harperrt::daemon::broker {

using Clock = std::chrono::steady_clock;

// A message that is a record of a declared table: a put or a delete.
struct RecordInfo {
    RecordKey key;
    std::uint64_t version = 0;  // the store's version of this write (monotonic per record)
    bool deleted = false;
    // The record this write replaced, for query subscriptions (enter / change / leave):
    // known only while the table has live queries (store::Store::keep_previous); null
    // `previous` with previous_known means there was no record.
    bool previous_known = false;
    std::shared_ptr<const encoding::Value> previous;
};

struct Message {
    std::string topic;
    std::string payload;  // as published; for records see `value`
    mqtt::QoS qos = mqtt::QoS::at_most_once;
    bool retain = false;  // RETAIN as published
    // Forwarded unchanged (v5 §3.3.2.3): payload format indicator, content type, response
    // topic, correlation data, user properties (in order). Never a topic alias, message
    // expiry (see expires_at) or subscription identifier: those are per delivery.
    mqtt::Properties properties;
    std::string origin;                           // publisher's client id (No Local)
    std::optional<Clock::time_point> expires_at;  // from Message Expiry Interval

    // The format the publisher declared (v5 content type, or the connection's default;
    // rules 1-2 of DESIGN.md §4). nullopt: detect (JSON if it parses, else opaque bytes).
    std::optional<encoding::Format> declared_format;
    // Records: the value written (payload is then unused; a record read from the store has
    // no value but its stored bytes as payload) and which write this is.
    std::shared_ptr<const encoding::Value> value;
    std::optional<RecordInfo> record;

    // Seconds left before expiry, for the forwarded Message Expiry Interval (v5
    // [MQTT-3.3.2-6]); nullopt when the message does not expire. 0 means expired.
    std::optional<std::uint32_t> remaining_expiry(Clock::time_point now) const {
        if (!expires_at) return std::nullopt;
        if (*expires_at <= now) return 0;
        const auto left = std::chrono::ceil<std::chrono::seconds>(*expires_at - now).count();
        return static_cast<std::uint32_t>(left);
    }
    bool expired(Clock::time_point now) const { return expires_at && *expires_at <= now; }

    // What a subscriber that wants `want` receives: the payload bytes and their format
    // (nullopt for opaque bytes, which pass through unchanged to everyone). A structured
    // payload already in `want` is the publisher's bytes; otherwise it is decoded once and
    // encoded once per format, cached. The reference stays valid while the message lives.
    // Thread-safe.
    struct Delivery {
        const std::string& payload;
        std::optional<encoding::Format> format;
    };
    Delivery payload_for(encoding::Format want) const;

private:
    // The format of `payload` (declared or detected), or nullopt when opaque. Requires cache_mu_.
    std::optional<encoding::Format> source_format_locked() const;

    mutable std::mutex cache_mu_;
    mutable std::array<std::optional<std::string>, 3> encoded_;  // guarded by cache_mu_; by Format
    mutable std::shared_ptr<const encoding::Value> decoded_;     // guarded by cache_mu_
    mutable bool detected_ = false;                              // guarded by cache_mu_
    mutable bool undecodable_ = false;                           // guarded by cache_mu_
    mutable std::optional<encoding::Format> detected_format_;    // guarded by cache_mu_
};

using MessagePtr = std::shared_ptr<const Message>;

// A new (empty) Message, taken from the calling thread's spare ones when it has any, and
// kept as a spare again, with the capacity of its strings, when its last reference goes
// (by whichever thread that is; thread_cache.hpp). So filling it by assign() or swap()
// allocates nothing once warm: no Message, no control block, no origin string. Any thread.
std::shared_ptr<Message> make_message();

}  // namespace harperrt::daemon::broker
