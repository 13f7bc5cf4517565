// The MQTT control packets as plain structs, one per packet type, and `Packet`, the variant
// of them all that decode() returns and encode() takes. The same structs serve MQTT 3.1,
// 3.1.1 and 5.0: fields a version lacks (properties, most reason codes) are empty/success
// when decoded in that version and ignored when encoded in it.
#pragma once

#include "common/mqtt/properties.hpp"
#include "common/mqtt/reason_code.hpp"
#include "common/mqtt/version.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace harperrt::mqtt {

// Control packet types; the values are the high nibble of the first byte (v5 §2.1.2).
enum class PacketType : std::uint8_t {
    connect = 1, connack = 2, publish = 3, puback = 4, pubrec = 5, pubrel = 6, pubcomp = 7,
    subscribe = 8, suback = 9, unsubscribe = 10, unsuback = 11, pingreq = 12, pingresp = 13,
    disconnect = 14, auth = 15,
};

// "CONNECT", "PUBLISH", ...
std::string_view name(PacketType type) noexcept;

// The will message of a CONNECT (v5 §3.1.2.5, §3.1.3.2-3).
struct Will {
    std::string topic;    // topic name; the codec checks UTF-8 only, the broker the syntax
    std::string payload;  // binary
    QoS qos = QoS::at_most_once;
    bool retain = false;
    Properties properties;  // v5 will properties; empty before v5

    friend bool operator==(const Will&, const Will&) = default;
};

struct Connect {
    Version version = Version::v5;  // from the protocol name and level, not decode's argument
    bool clean_start = true;        // "Clean Session" in 3.1 / 3.1.1
    std::uint16_t keep_alive = 0;   // seconds; 0 disables keep-alive
    std::string client_id;          // may be empty; whether that's allowed is the broker's call
    std::optional<Will> will;
    std::optional<std::string> username;
    std::optional<std::string> password;  // binary
    Properties properties;

    friend bool operator==(const Connect&, const Connect&) = default;
};

// CONNACK. `reason_code` is the v5 reason code in every version: decoding a 3.1/3.1.1
// return code gives to_reason_code(it), encoding in 3.1/3.1.1 writes
// to_connect_return_code(reason_code).
struct Connack {
    bool session_present = false;  // always false in 3.1, which has no such flag
    ReasonCode reason_code = ReasonCode::success;
    Properties properties;

    friend bool operator==(const Connack&, const Connack&) = default;
};

struct Publish {
    std::string topic;    // topic name; empty only in v5 with a topic alias
    std::string payload;  // binary-safe
    QoS qos = QoS::at_most_once;
    bool retain = false;
    bool dup = false;
    std::uint16_t packet_id = 0;  // 0 when qos is at_most_once, else 1..65535
    Properties properties;

    friend bool operator==(const Publish&, const Publish&) = default;
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share their layout. reason_code and properties are v5
// only (before v5 they are decoded as success/empty and not encoded).
struct Puback {
    std::uint16_t packet_id = 0;
    ReasonCode reason_code = ReasonCode::success;
    Properties properties;
    friend bool operator==(const Puback&, const Puback&) = default;
};
struct Pubrec {
    std::uint16_t packet_id = 0;
    ReasonCode reason_code = ReasonCode::success;
    Properties properties;
    friend bool operator==(const Pubrec&, const Pubrec&) = default;
};
struct Pubrel {
    std::uint16_t packet_id = 0;
    ReasonCode reason_code = ReasonCode::success;
    Properties properties;
    friend bool operator==(const Pubrel&, const Pubrel&) = default;
};
struct Pubcomp {
    std::uint16_t packet_id = 0;
    ReasonCode reason_code = ReasonCode::success;
    Properties properties;
    friend bool operator==(const Pubcomp&, const Pubcomp&) = default;
};

// Retain Handling subscription option (v5 §3.8.3.1).
enum class RetainHandling : std::uint8_t {
    send_on_subscribe = 0,         // send retained messages at the time of the subscribe
    send_if_new_subscription = 1,  // ...only if the subscription did not exist
    do_not_send = 2,
};

// Subscription options byte (v5 §3.8.3.1); before v5 only qos exists.
struct SubscribeOptions {
    QoS qos = QoS::at_most_once;  // maximum QoS asked for
    bool no_local = false;
    bool retain_as_published = false;
    RetainHandling retain_handling = RetainHandling::send_on_subscribe;
    friend bool operator==(const SubscribeOptions&, const SubscribeOptions&) = default;
};

struct Subscription {
    std::string filter;  // topic filter; the codec checks UTF-8 only, common/topic the syntax
    SubscribeOptions options;
    friend bool operator==(const Subscription&, const Subscription&) = default;
};

struct Subscribe {
    std::uint16_t packet_id = 0;
    std::vector<Subscription> subscriptions;  // at least one
    Properties properties;
    friend bool operator==(const Subscribe&, const Subscribe&) = default;
};

// SUBACK: one code per subscription, in order. Success codes are success (granted QoS 0),
// granted_qos_1, granted_qos_2. Before v5 every failure code is written as 0x80 and 0x80 is
// decoded as unspecified_error.
struct Suback {
    std::uint16_t packet_id = 0;
    std::vector<ReasonCode> reason_codes;
    Properties properties;
    friend bool operator==(const Suback&, const Suback&) = default;
};

struct Unsubscribe {
    std::uint16_t packet_id = 0;
    std::vector<std::string> filters;  // at least one
    Properties properties;
    friend bool operator==(const Unsubscribe&, const Unsubscribe&) = default;
};

// UNSUBACK: v5 has one reason code per filter; before v5 reason_codes is empty when decoded
// and ignored when encoded.
struct Unsuback {
    std::uint16_t packet_id = 0;
    std::vector<ReasonCode> reason_codes;
    Properties properties;
    friend bool operator==(const Unsuback&, const Unsuback&) = default;
};

struct Pingreq {
    friend bool operator==(const Pingreq&, const Pingreq&) = default;
};
struct Pingresp {
    friend bool operator==(const Pingresp&, const Pingresp&) = default;
};

// DISCONNECT; reason_code (success = "Normal disconnection") and properties are v5 only.
struct Disconnect {
    ReasonCode reason_code = ReasonCode::success;
    Properties properties;
    friend bool operator==(const Disconnect&, const Disconnect&) = default;
};

// AUTH exists only in v5.
struct Auth {
    ReasonCode reason_code = ReasonCode::success;
    Properties properties;
    friend bool operator==(const Auth&, const Auth&) = default;
};

// The alternatives are in PacketType order, so type_of(p) is index() + 1.
using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

inline PacketType type_of(const Packet& packet) noexcept {
    return static_cast<PacketType>(packet.index() + 1);
}

}  // namespace harperrt::mqtt
