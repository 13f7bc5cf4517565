// MQTT 5 properties (v5 §2.2.2): one struct with an optional member per property, the table
// of which packet may carry which property, and their decoding and encoding. Decoding
// enforces the spec's rules (allowed on this packet, at most once, value in range) and
// returns the reason code the spec names; encoding writes ids in ascending order.
#pragma once

#include "common/mqtt/version.hpp"
#include "common/mqtt/wire.hpp"
#include "common/util/result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace harperrt::mqtt {

// Property identifiers (v5 §2.2.2.2); the values are the wire bytes.
enum class PropertyId : std::uint8_t {
    payload_format_indicator = 0x01,           // Byte
    message_expiry_interval = 0x02,            // Four Byte Integer
    content_type = 0x03,                       // UTF-8 Encoded String
    response_topic = 0x08,                     // UTF-8 Encoded String
    correlation_data = 0x09,                   // Binary Data
    subscription_identifier = 0x0B,            // Variable Byte Integer
    session_expiry_interval = 0x11,            // Four Byte Integer
    assigned_client_identifier = 0x12,         // UTF-8 Encoded String
    server_keep_alive = 0x13,                  // Two Byte Integer
    authentication_method = 0x15,              // UTF-8 Encoded String
    authentication_data = 0x16,                // Binary Data
    request_problem_information = 0x17,        // Byte
    will_delay_interval = 0x18,                // Four Byte Integer
    request_response_information = 0x19,       // Byte
    response_information = 0x1A,               // UTF-8 Encoded String
    server_reference = 0x1C,                   // UTF-8 Encoded String
    reason_string = 0x1F,                      // UTF-8 Encoded String
    receive_maximum = 0x21,                    // Two Byte Integer
    topic_alias_maximum = 0x22,                // Two Byte Integer
    topic_alias = 0x23,                        // Two Byte Integer
    maximum_qos = 0x24,                        // Byte
    retain_available = 0x25,                   // Byte
    user_property = 0x26,                      // UTF-8 String Pair
    maximum_packet_size = 0x27,                // Four Byte Integer
    wildcard_subscription_available = 0x28,    // Byte
    subscription_identifier_available = 0x29,  // Byte
    shared_subscription_available = 0x2A,      // Byte
};

// Where a property list appears: a packet type, or the will properties of CONNECT.
// PUBACK, PUBREC, PUBREL and PUBCOMP allow the same properties.
enum class PropertyOwner : std::uint8_t {
    connect, will, connack, publish, puback, pubrec, pubrel, pubcomp,
    subscribe, suback, unsubscribe, unsuback, disconnect, auth,
};

// True when the spec's table (v5 §2.2.2.2) allows property `id` on `owner`.
bool property_allowed(PropertyId id, PropertyOwner owner) noexcept;

// All v5 properties of one packet (or of a will). Members are named after the spec; Byte
// properties whose only values are 0 and 1 are bools, Maximum QoS is a QoS.
struct Properties {
    std::optional<std::uint8_t> payload_format_indicator;  // 0 unspecified bytes, 1 UTF-8
    std::optional<std::uint32_t> message_expiry_interval;  // seconds
    std::optional<std::string> content_type;
    std::optional<std::string> response_topic;
    std::optional<std::string> correlation_data;           // binary
    std::vector<std::uint32_t> subscription_identifiers;   // 1..268435455; PUBLISH may carry several
    std::optional<std::uint32_t> session_expiry_interval;  // seconds
    std::optional<std::string> assigned_client_identifier;
    std::optional<std::uint16_t> server_keep_alive;        // seconds
    std::optional<std::string> authentication_method;
    std::optional<std::string> authentication_data;        // binary
    std::optional<bool> request_problem_information;
    std::optional<std::uint32_t> will_delay_interval;      // seconds
    std::optional<bool> request_response_information;
    std::optional<std::string> response_information;
    std::optional<std::string> server_reference;
    std::optional<std::string> reason_string;
    std::optional<std::uint16_t> receive_maximum;          // 1..65535
    std::optional<std::uint16_t> topic_alias_maximum;
    std::optional<std::uint16_t> topic_alias;              // 1..65535
    std::optional<QoS> maximum_qos;                        // at_most_once or at_least_once
    std::optional<bool> retain_available;
    std::vector<std::pair<std::string, std::string>> user_properties;  // in wire order
    std::optional<std::uint32_t> maximum_packet_size;      // 1..4294967295 bytes
    std::optional<bool> wildcard_subscription_available;
    std::optional<bool> subscription_identifier_available;
    std::optional<bool> shared_subscription_available;

    // True when no property is set (an empty list encodes as a single 0x00 length byte).
    bool empty() const noexcept;

    friend bool operator==(const Properties&, const Properties&) = default;
};

// Reads a property list (Property Length varint, then the properties) from the front of
// `in` and advances `in` past it. Errors, per v5 §2.2.2 and the property descriptions:
//   malformed_packet  length past the end, unknown id, id not allowed on `owner`, a value
//                     cut short, bad UTF-8 / U+0000 in a string;
//   protocol_error    a property repeated (user property may repeat anywhere, subscription
//                     identifier on PUBLISH), a value out of range (receive maximum 0,
//                     maximum packet size 0, subscription identifier 0, a 0/1 Byte > 1,
//                     maximum QoS > 1), authentication data without a method;
//   topic_alias_invalid  topic alias 0 (v5 [MQTT-3.3.2-8]).
Result<Properties> read_properties(std::span<const std::byte>& in, PropertyOwner owner);

// Byte count of the properties themselves, without the Property Length prefix.
std::size_t properties_size(const Properties& props) noexcept;

// Appends Property Length and the properties, in ascending id order; user properties and
// subscription identifiers in their vector order. Requires: every set property is allowed
// on the packet being written and its value is in range (the caller's business).
void write_properties(const Properties& props, Bytes& out);

}  // namespace harperrt::mqtt
