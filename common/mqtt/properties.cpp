#include "common/mqtt/properties.hpp"

#include "common/mqtt/reason_code.hpp"

#include <cassert>

namespace harperrt::mqtt {

namespace {

constexpr std::uint16_t bit(PropertyOwner o) { return static_cast<std::uint16_t>(1u << static_cast<unsigned>(o)); }

template <class... O>
constexpr std::uint16_t owners(O... o) {
    return static_cast<std::uint16_t>((bit(o) | ...));
}

using enum PropertyOwner;

// The "Used in" column of v5 §2.2.2.2, as a bit set of PropertyOwner; 0 for an unknown id.
constexpr std::uint16_t allowed_owners(PropertyId id) {
    switch (id) {
        case PropertyId::payload_format_indicator:
        case PropertyId::message_expiry_interval:
        case PropertyId::content_type:
        case PropertyId::response_topic:
        case PropertyId::correlation_data: return owners(publish, will);
        case PropertyId::subscription_identifier: return owners(publish, subscribe);
        case PropertyId::session_expiry_interval: return owners(connect, connack, disconnect);
        case PropertyId::assigned_client_identifier:
        case PropertyId::server_keep_alive: return owners(connack);
        case PropertyId::authentication_method:
        case PropertyId::authentication_data: return owners(connect, connack, auth);
        case PropertyId::request_problem_information: return owners(connect);
        case PropertyId::will_delay_interval: return owners(will);
        case PropertyId::request_response_information: return owners(connect);
        case PropertyId::response_information: return owners(connack);
        case PropertyId::server_reference: return owners(connack, disconnect);
        case PropertyId::reason_string:
            return owners(connack, puback, pubrec, pubrel, pubcomp, suback, unsuback, disconnect, auth);
        case PropertyId::receive_maximum:
        case PropertyId::topic_alias_maximum: return owners(connect, connack);
        case PropertyId::topic_alias: return owners(publish);
        case PropertyId::maximum_qos:
        case PropertyId::retain_available: return owners(connack);
        case PropertyId::user_property:
            return owners(connect, will, connack, publish, puback, pubrec, pubrel, pubcomp, subscribe,
                          suback, unsubscribe, unsuback, disconnect, auth);
        case PropertyId::maximum_packet_size: return owners(connect, connack);
        case PropertyId::wildcard_subscription_available:
        case PropertyId::subscription_identifier_available:
        case PropertyId::shared_subscription_available: return owners(connack);
    }
    return 0;
}

// Reads a Byte property whose only values are 0 and 1. The spec calls any other value a
// Protocol Error for each of them (v5 §3.1.2.11.6, §3.1.2.11.7, §3.2.2.3.5,
// §3.2.2.3.11-13; §3.3.2.3.2 for the payload format indicator).
Result<bool> read_flag(std::span<const std::byte>& in) {
    auto b = read_u8(in);
    if (!b) return error(b.error());
    if (*b > 1) return error(ReasonCode::protocol_error);
    return *b == 1;
}

// Counts or writes: the same code computes properties_size and writes the properties.
struct Counter {
    std::size_t n = 0;
    void u8(std::uint8_t) { n += 1; }
    void u16(std::uint16_t) { n += 2; }
    void u32(std::uint32_t) { n += 4; }
    void varint(std::uint32_t v) { n += varint_size(v); }
    void utf8(std::string_view s) { n += 2 + s.size(); }
    void binary(std::string_view s) { n += 2 + s.size(); }
};

struct Writer {
    Bytes& out;
    void u8(std::uint8_t v) { write_u8(v, out); }
    void u16(std::uint16_t v) { write_u16(v, out); }
    void u32(std::uint32_t v) { write_u32(v, out); }
    void varint(std::uint32_t v) { write_varint(v, out); }
    void utf8(std::string_view s) { write_utf8(s, out); }
    void binary(std::string_view s) { write_binary(s, out); }
};

template <class Sink>
void put_properties(const Properties& p, Sink& s) {
    // Ascending identifier order, so encode(decode(x)) == x for vectors written that way.
    auto id = [&](PropertyId i) { s.u8(static_cast<std::uint8_t>(i)); };
    if (p.payload_format_indicator) { id(PropertyId::payload_format_indicator); s.u8(*p.payload_format_indicator); }
    if (p.message_expiry_interval) { id(PropertyId::message_expiry_interval); s.u32(*p.message_expiry_interval); }
    if (p.content_type) { id(PropertyId::content_type); s.utf8(*p.content_type); }
    if (p.response_topic) { id(PropertyId::response_topic); s.utf8(*p.response_topic); }
    if (p.correlation_data) { id(PropertyId::correlation_data); s.binary(*p.correlation_data); }
    for (auto v : p.subscription_identifiers) { id(PropertyId::subscription_identifier); s.varint(v); }
    if (p.session_expiry_interval) { id(PropertyId::session_expiry_interval); s.u32(*p.session_expiry_interval); }
    if (p.assigned_client_identifier) { id(PropertyId::assigned_client_identifier); s.utf8(*p.assigned_client_identifier); }
    if (p.server_keep_alive) { id(PropertyId::server_keep_alive); s.u16(*p.server_keep_alive); }
    if (p.authentication_method) { id(PropertyId::authentication_method); s.utf8(*p.authentication_method); }
    if (p.authentication_data) { id(PropertyId::authentication_data); s.binary(*p.authentication_data); }
    if (p.request_problem_information) { id(PropertyId::request_problem_information); s.u8(*p.request_problem_information ? 1 : 0); }
    if (p.will_delay_interval) { id(PropertyId::will_delay_interval); s.u32(*p.will_delay_interval); }
    if (p.request_response_information) { id(PropertyId::request_response_information); s.u8(*p.request_response_information ? 1 : 0); }
    if (p.response_information) { id(PropertyId::response_information); s.utf8(*p.response_information); }
    if (p.server_reference) { id(PropertyId::server_reference); s.utf8(*p.server_reference); }
    if (p.reason_string) { id(PropertyId::reason_string); s.utf8(*p.reason_string); }
    if (p.receive_maximum) { id(PropertyId::receive_maximum); s.u16(*p.receive_maximum); }
    if (p.topic_alias_maximum) { id(PropertyId::topic_alias_maximum); s.u16(*p.topic_alias_maximum); }
    if (p.topic_alias) { id(PropertyId::topic_alias); s.u16(*p.topic_alias); }
    if (p.maximum_qos) { id(PropertyId::maximum_qos); s.u8(static_cast<std::uint8_t>(*p.maximum_qos)); }
    if (p.retain_available) { id(PropertyId::retain_available); s.u8(*p.retain_available ? 1 : 0); }
    for (const auto& [k, v] : p.user_properties) { id(PropertyId::user_property); s.utf8(k); s.utf8(v); }
    if (p.maximum_packet_size) { id(PropertyId::maximum_packet_size); s.u32(*p.maximum_packet_size); }
    if (p.wildcard_subscription_available) { id(PropertyId::wildcard_subscription_available); s.u8(*p.wildcard_subscription_available ? 1 : 0); }
    if (p.subscription_identifier_available) { id(PropertyId::subscription_identifier_available); s.u8(*p.subscription_identifier_available ? 1 : 0); }
    if (p.shared_subscription_available) { id(PropertyId::shared_subscription_available); s.u8(*p.shared_subscription_available ? 1 : 0); }
}

// Assigns a decoded value to an optional member, or forwards the read error.
template <class T, class R>
Result<void> assign(std::optional<T>& member, R&& r) {
    if (!r) return error(r.error());
    member = T(*r);
    return ok();
}

Result<void> read_one(PropertyId id, std::span<const std::byte>& in, Properties& p) {
    switch (id) {
        case PropertyId::payload_format_indicator: {
            auto v = read_flag(in);  // v5 §3.3.2.3.2: 0 or 1
            if (!v) return error(v.error());
            p.payload_format_indicator = static_cast<std::uint8_t>(*v ? 1 : 0);
            return ok();
        }
        case PropertyId::message_expiry_interval: return assign(p.message_expiry_interval, read_u32(in));
        case PropertyId::content_type: return assign(p.content_type, read_utf8(in));
        case PropertyId::response_topic: return assign(p.response_topic, read_utf8(in));
        case PropertyId::correlation_data: return assign(p.correlation_data, read_binary(in));
        case PropertyId::subscription_identifier: {
            auto v = read_varint(in);
            if (!v) return error(v.error());
            // v5 §3.3.2.3.8, §3.8.2.1.2: "It is a Protocol Error if the Subscription
            // Identifier has a value of 0."
            if (*v == 0) return error(ReasonCode::protocol_error);
            p.subscription_identifiers.push_back(*v);
            return ok();
        }
        case PropertyId::session_expiry_interval: return assign(p.session_expiry_interval, read_u32(in));
        case PropertyId::assigned_client_identifier:
            return assign(p.assigned_client_identifier, read_utf8(in));
        case PropertyId::server_keep_alive: return assign(p.server_keep_alive, read_u16(in));
        case PropertyId::authentication_method: return assign(p.authentication_method, read_utf8(in));
        case PropertyId::authentication_data: return assign(p.authentication_data, read_binary(in));
        case PropertyId::request_problem_information:
            return assign(p.request_problem_information, read_flag(in));  // v5 §3.1.2.11.7
        case PropertyId::will_delay_interval: return assign(p.will_delay_interval, read_u32(in));
        case PropertyId::request_response_information:
            return assign(p.request_response_information, read_flag(in));  // v5 §3.1.2.11.6
        case PropertyId::response_information: return assign(p.response_information, read_utf8(in));
        case PropertyId::server_reference: return assign(p.server_reference, read_utf8(in));
        case PropertyId::reason_string: return assign(p.reason_string, read_utf8(in));
        case PropertyId::receive_maximum: {
            auto v = read_u16(in);
            if (!v) return error(v.error());
            // v5 §3.1.2.11.3, §3.2.2.3.3: "It is a Protocol Error ... to have the value 0."
            if (*v == 0) return error(ReasonCode::protocol_error);
            p.receive_maximum = *v;
            return ok();
        }
        case PropertyId::topic_alias_maximum: return assign(p.topic_alias_maximum, read_u16(in));
        case PropertyId::topic_alias: {
            auto v = read_u16(in);
            if (!v) return error(v.error());
            if (*v == 0) return error(ReasonCode::topic_alias_invalid);  // v5 [MQTT-3.3.2-8]
            p.topic_alias = *v;
            return ok();
        }
        case PropertyId::maximum_qos: {
            auto v = read_flag(in);  // v5 §3.2.2.3.4: 0 or 1, anything else a Protocol Error
            if (!v) return error(v.error());
            p.maximum_qos = *v ? QoS::at_least_once : QoS::at_most_once;
            return ok();
        }
        case PropertyId::retain_available: return assign(p.retain_available, read_flag(in));  // v5 §3.2.2.3.5
        case PropertyId::user_property: {
            auto k = read_utf8(in);
            if (!k) return error(k.error());
            auto v = read_utf8(in);
            if (!v) return error(v.error());
            p.user_properties.emplace_back(*k, *v);
            return ok();
        }
        case PropertyId::maximum_packet_size: {
            auto v = read_u32(in);
            if (!v) return error(v.error());
            // v5 §3.1.2.11.4, §3.2.2.3.6: "It is a Protocol Error ... for the value to be 0."
            if (*v == 0) return error(ReasonCode::protocol_error);
            p.maximum_packet_size = *v;
            return ok();
        }
        case PropertyId::wildcard_subscription_available:  // v5 §3.2.2.3.11
            return assign(p.wildcard_subscription_available, read_flag(in));
        case PropertyId::subscription_identifier_available:  // v5 §3.2.2.3.12
            return assign(p.subscription_identifier_available, read_flag(in));
        case PropertyId::shared_subscription_available:  // v5 §3.2.2.3.13
            return assign(p.shared_subscription_available, read_flag(in));
    }
    return error(ReasonCode::malformed_packet);
}

}  // namespace

bool property_allowed(PropertyId id, PropertyOwner owner) noexcept {
    return (allowed_owners(id) & bit(owner)) != 0;
}

bool Properties::empty() const noexcept { return *this == Properties{}; }

Result<Properties> read_properties(std::span<const std::byte>& in, PropertyOwner owner) {
    auto len = read_varint(in);                           // Property Length (v5 §2.2.2.1)
    if (!len) return error(len.error());
    if (in.size() < *len) return error(ReasonCode::malformed_packet);
    auto body = in.first(*len);
    in = in.subspan(*len);

    Properties p;
    std::uint64_t seen = 0;                               // one bit per id; ids are < 64
    while (!body.empty()) {
        // The identifier is a Variable Byte Integer (v5 §2.2.2.2), in practice one byte.
        auto raw = read_varint(body);
        if (!raw) return error(raw.error());
        if (*raw > 0x3f) return error(ReasonCode::malformed_packet);
        const auto id = static_cast<PropertyId>(*raw);
        // v5 §2.2.2.2: an identifier not valid for the packet type is a Malformed Packet.
        if (!property_allowed(id, owner)) return error(ReasonCode::malformed_packet);
        const bool may_repeat = id == PropertyId::user_property ||
                                (id == PropertyId::subscription_identifier && owner == PropertyOwner::publish);
        const auto mask = std::uint64_t{1} << *raw;
        // Each property's description: "It is a Protocol Error to include ... more than once."
        if (!may_repeat && (seen & mask) != 0) return error(ReasonCode::protocol_error);
        seen |= mask;
        if (auto r = read_one(id, body, p); !r) return error(r.error());
    }
    // v5 §3.1.2.11.10, §3.2.2.3.17: Authentication Data without a Method is a Protocol Error.
    if (p.authentication_data && !p.authentication_method) return error(ReasonCode::protocol_error);
    return p;
}

std::size_t properties_size(const Properties& props) noexcept {
    Counter c;
    put_properties(props, c);
    return c.n;
}

void write_properties(const Properties& props, Bytes& out) {
    const auto n = properties_size(props);
    assert(n <= max_varint);
    write_varint(static_cast<std::uint32_t>(n), out);
    Writer w{out};
    put_properties(props, w);
}

}  // namespace harperrt::mqtt
