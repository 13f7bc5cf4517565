// encode_to() and encoded_size(): the writing half of codec.hpp. Each packet's body is one
// template run twice, once with a Counter (for the Remaining Length) and once with a Writer,
// so the size and the bytes can't disagree.
#include "common/mqtt/codec.hpp"

#include <algorithm>
#include <cassert>

namespace harperrt::mqtt {

namespace {

struct Counter {
    std::size_t n = 0;
    void u8(std::uint8_t) { n += 1; }
    void u16(std::uint16_t) { n += 2; }
    void utf8(std::string_view s) { n += 2 + s.size(); }
    void binary(std::string_view s) { n += 2 + s.size(); }
    void raw(std::string_view s) { n += s.size(); }
    void properties(const Properties& p) {
        const auto k = properties_size(p);
        n += varint_size(static_cast<std::uint32_t>(k)) + k;
    }
};

struct Writer {
    Bytes& out;
    void u8(std::uint8_t v) { write_u8(v, out); }
    void u16(std::uint16_t v) { write_u16(v, out); }
    void utf8(std::string_view s) { write_utf8(s, out); }
    void binary(std::string_view s) { write_binary(s, out); }
    void raw(std::string_view s) { write_raw(s, out); }
    void properties(const Properties& p) { write_properties(p, out); }
};

std::uint8_t u8(ReasonCode c) { return static_cast<std::uint8_t>(c); }
std::uint8_t u8(QoS q) { return static_cast<std::uint8_t>(q); }

// --- first byte of the fixed header (v5 §2.1.2, §2.1.3) -------------------------------

std::uint8_t first_byte(const Connect&) { return 0x10; }
std::uint8_t first_byte(const Connack&) { return 0x20; }
std::uint8_t first_byte(const Publish& p) {
    assert(p.qos <= QoS::exactly_once);
    return static_cast<std::uint8_t>(0x30 | (p.dup ? 0x08 : 0) | (u8(p.qos) << 1) | (p.retain ? 0x01 : 0));
}
std::uint8_t first_byte(const Puback&) { return 0x40; }
std::uint8_t first_byte(const Pubrec&) { return 0x50; }
std::uint8_t first_byte(const Pubrel&) { return 0x62; }
std::uint8_t first_byte(const Pubcomp&) { return 0x70; }
std::uint8_t first_byte(const Subscribe&) { return 0x82; }
std::uint8_t first_byte(const Suback&) { return 0x90; }
std::uint8_t first_byte(const Unsubscribe&) { return 0xA2; }
std::uint8_t first_byte(const Unsuback&) { return 0xB0; }
std::uint8_t first_byte(const Pingreq&) { return 0xC0; }
std::uint8_t first_byte(const Pingresp&) { return 0xD0; }
std::uint8_t first_byte(const Disconnect&) { return 0xE0; }
std::uint8_t first_byte(const Auth&) { return 0xF0; }

// --- bodies: everything after the Remaining Length -------------------------------------

// A Connect is always written in its own version.
template <class S>
void put_body(const Connect& c, Version, S& s) {
    const bool v5 = c.version == Version::v5;
    // v3.1.1 [MQTT-3.1.2-22]: no password without a user name before v5.
    assert(v5 || !c.password || c.username);
    s.utf8(c.version == Version::v31 ? "MQIsdp" : "MQTT");
    s.u8(static_cast<std::uint8_t>(c.version));
    unsigned flags = 0;
    if (c.clean_start) flags |= 0x02;
    if (c.will) {
        flags |= 0x04 | (unsigned{u8(c.will->qos)} << 3);
        if (c.will->retain) flags |= 0x20;
    }
    if (c.password) flags |= 0x40;
    if (c.username) flags |= 0x80;
    s.u8(static_cast<std::uint8_t>(flags));
    s.u16(c.keep_alive);
    if (v5) s.properties(c.properties);
    s.utf8(c.client_id);
    if (c.will) {
        if (v5) s.properties(c.will->properties);
        s.utf8(c.will->topic);
        s.binary(c.will->payload);
    }
    if (c.username) s.utf8(*c.username);
    if (c.password) s.binary(*c.password);
}

template <class S>
void put_body(const Connack& c, Version v, S& s) {
    // 3.1 has no session present flag: the byte is reserved.
    s.u8(v != Version::v31 && c.session_present ? 1 : 0);
    if (is_v5(v)) {
        s.u8(u8(c.reason_code));
        s.properties(c.properties);
    } else {
        s.u8(static_cast<std::uint8_t>(to_connect_return_code(c.reason_code)));
    }
}

template <class S>
void put_body(const Publish& p, Version v, S& s) {
    assert((p.qos == QoS::at_most_once) == (p.packet_id == 0));
    // An empty topic name needs a v5 topic alias (v5 §3.3.2.3.4, v3.1.1 [MQTT-4.7.3-1]).
    assert(!p.topic.empty() || (is_v5(v) && p.properties.topic_alias));
    s.utf8(p.topic);
    if (p.qos != QoS::at_most_once) s.u16(p.packet_id);
    if (is_v5(v)) s.properties(p.properties);
    s.raw(p.payload);
}

// PUBACK..PUBCOMP in their shortest v5 form: the reason code only when it isn't Success or
// there are properties, the Property Length only when there are properties (v5 §3.4.2.1).
template <class S, class Ack>
void put_ack(const Ack& a, Version v, S& s) {
    assert(a.packet_id != 0);
    s.u16(a.packet_id);
    if (!is_v5(v)) return;
    const bool props = !a.properties.empty();
    if (a.reason_code == ReasonCode::success && !props) return;
    s.u8(u8(a.reason_code));
    if (props) s.properties(a.properties);
}
template <class S> void put_body(const Puback& a, Version v, S& s) { put_ack(a, v, s); }
template <class S> void put_body(const Pubrec& a, Version v, S& s) { put_ack(a, v, s); }
template <class S> void put_body(const Pubrel& a, Version v, S& s) { put_ack(a, v, s); }
template <class S> void put_body(const Pubcomp& a, Version v, S& s) { put_ack(a, v, s); }

template <class S>
void put_body(const Subscribe& p, Version v, S& s) {
    assert(p.packet_id != 0 && !p.subscriptions.empty());
    s.u16(p.packet_id);
    if (is_v5(v)) s.properties(p.properties);
    for (const auto& sub : p.subscriptions) {
        s.utf8(sub.filter);
        unsigned o = u8(sub.options.qos);
        if (is_v5(v)) {
            if (sub.options.no_local) o |= 0x04;
            if (sub.options.retain_as_published) o |= 0x08;
            o |= unsigned{static_cast<std::uint8_t>(sub.options.retain_handling)} << 4;
        }
        s.u8(static_cast<std::uint8_t>(o));
    }
}

template <class S>
void put_body(const Suback& p, Version v, S& s) {
    s.u16(p.packet_id);
    if (is_v5(v)) s.properties(p.properties);
    for (auto rc : p.reason_codes) {
        // Before v5 a SUBACK says granted QoS or Failure 0x80 (v3.1.1 §3.9.3).
        s.u8(is_v5(v) || !is_failure(rc) ? u8(rc) : std::uint8_t{0x80});
    }
}

template <class S>
void put_body(const Unsubscribe& p, Version v, S& s) {
    assert(p.packet_id != 0 && !p.filters.empty());
    s.u16(p.packet_id);
    if (is_v5(v)) s.properties(p.properties);
    for (const auto& f : p.filters) s.utf8(f);
}

template <class S>
void put_body(const Unsuback& p, Version v, S& s) {
    s.u16(p.packet_id);
    if (!is_v5(v)) return;
    s.properties(p.properties);
    for (auto rc : p.reason_codes) s.u8(u8(rc));
}

template <class S> void put_body(const Pingreq&, Version, S&) {}
template <class S> void put_body(const Pingresp&, Version, S&) {}

// DISCONNECT and AUTH: nothing for Success without properties, else the reason code and,
// when there are properties, the Property Length (v5 §3.14.2.1, §3.15.2.1).
template <class S, class P>
void put_reason_only(const P& p, Version v, S& s) {
    if (!is_v5(v)) return;
    const bool props = !p.properties.empty();
    if (p.reason_code == ReasonCode::success && !props) return;
    s.u8(u8(p.reason_code));
    if (props) s.properties(p.properties);
}
template <class S> void put_body(const Disconnect& p, Version v, S& s) { put_reason_only(p, v, s); }
template <class S> void put_body(const Auth& p, [[maybe_unused]] Version v, S& s) {
    assert(is_v5(v));  // AUTH exists only in v5
    put_reason_only(p, Version::v5, s);
}

template <class P>
std::size_t body_size(const P& p, Version v) {
    Counter c;
    put_body(p, v, c);
    assert(c.n <= max_varint);
    return c.n;
}

template <class P>
std::size_t packet_size(const P& p, Version v) {
    const auto n = body_size(p, v);
    return 1 + varint_size(static_cast<std::uint32_t>(n)) + n;
}

template <class P>
void encode_one(const P& p, Version v, Bytes& out) {
    const auto n = body_size(p, v);
    const auto total = 1 + varint_size(static_cast<std::uint32_t>(n)) + n;
    // Grow geometrically: a caller batching many packets must not pay a copy per packet.
    if (out.capacity() - out.size() < total) out.reserve(std::max(out.capacity() * 2, out.size() + total));
    write_u8(first_byte(p), out);
    write_varint(static_cast<std::uint32_t>(n), out);
    Writer w{out};
    put_body(p, v, w);
}

}  // namespace

void encode_to(const Packet& packet, Version version, Bytes& out) {
    std::visit([&](const auto& p) { encode_one(p, version, out); }, packet);
}

Bytes encode(const Packet& packet, Version version) {
    Bytes out;
    encode_to(packet, version, out);
    return out;
}

void encode_publish_to(const Publish& publish, Version version, Bytes& out) {
    encode_one(publish, version, out);
}

std::size_t encoded_size(const Packet& packet, Version version) {
    return std::visit([&](const auto& p) { return packet_size(p, version); }, packet);
}

std::size_t encoded_publish_size(const Publish& publish, Version version) {
    return packet_size(publish, version);
}

}  // namespace harperrt::mqtt
