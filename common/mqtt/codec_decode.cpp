// frame_size() and decode(): the reading half of codec.hpp. Each check cites the rule it
// enforces with the spec version and conformance id; v3.1 (MQIsdp) follows the 3.1.1 rules
// except that reserved fixed-header flags are not checked (3.1 set QoS 1 and sometimes DUP
// on PUBREL, SUBSCRIBE and UNSUBSCRIBE, and brokers have always accepted its flags as sent).
#include "common/mqtt/codec.hpp"

#include <string_view>

namespace harperrt::mqtt {

namespace {

using In = std::span<const std::byte>;

// A reader with a sticky error: after the first failure every read returns a zero value,
// the input looks empty (so loops end) and later failures are ignored, so the first error
// wins as in straight-line code, without a check after every field.
class Reader {
public:
    explicit Reader(In in) : in_(in) {}

    bool failed() const noexcept { return static_cast<bool>(ec_); }
    bool empty() const noexcept { return in_.empty(); }
    error_code failure() const noexcept { return ec_; }

    // Records `code` unless an earlier failure is already recorded.
    void fail(ReasonCode code) { fail(make_error_code(code)); }
    void fail(error_code ec) {
        if (!ec_) ec_ = ec;
        in_ = {};
    }

    std::uint8_t u8() { return take(read_u8(in_), std::uint8_t{0}); }
    std::uint16_t u16() { return take(read_u16(in_), std::uint16_t{0}); }
    std::string_view utf8() { return take(read_utf8(in_), std::string_view{}); }
    std::string_view binary() { return take(read_binary(in_), std::string_view{}); }
    Properties properties(PropertyOwner owner) { return take(read_properties(in_, owner), Properties{}); }
    // Everything left (a PUBLISH payload).
    std::string_view rest() {
        const auto s = as_chars(in_);
        in_ = {};
        return s;
    }

private:
    template <class T>
    T take(Result<T>&& r, T fallback) {
        if (ec_) return fallback;
        if (!r) {
            fail(r.error());
            return fallback;
        }
        return std::move(*r);
    }

    In in_;
    error_code ec_;
};

// The result of a decoder: the packet, or the reader's first error.
template <class P>
Result<Packet> finish(Reader& r, P&& packet) {
    // Bytes left after the last field: v5 §2.1.4 / v3.1.1 §2.2.3, the Remaining Length must
    // be exactly the packet's contents.
    if (!r.failed() && !r.empty()) r.fail(ReasonCode::malformed_packet);
    if (r.failed()) return error(r.failure());
    return Packet{std::forward<P>(packet)};
}

// Reserved fixed-header flags: v5 [MQTT-2.1.3-1], v3.1.1 [MQTT-2.2.2-1], [MQTT-2.2.2-2].
void check_flags(Reader& r, std::uint8_t flags, std::uint8_t expected, Version version) {
    if (version != Version::v31 && flags != expected) r.fail(ReasonCode::malformed_packet);
}

// Packet identifiers are non-zero: v5 [MQTT-2.2.1-3], v3.1.1 [MQTT-2.3.1-1] for PUBLISH,
// SUBSCRIBE, UNSUBSCRIBE; acks repeat the id of the packet they answer, so 0 cannot occur
// there either (v5 [MQTT-2.2.1-5], [MQTT-2.2.1-6]; v3.1.1 [MQTT-2.3.1-6], [MQTT-2.3.1-7]).
std::uint16_t packet_id(Reader& r) {
    const auto id = r.u16();
    if (id == 0) r.fail(ReasonCode::protocol_error);
    return id;
}

bool in(ReasonCode code, std::initializer_list<std::uint8_t> allowed) {
    for (auto a : allowed)
        if (static_cast<std::uint8_t>(code) == a) return true;
    return false;
}

// The reason codes each v5 packet may carry (v5 §3.x.2.1 tables).
bool valid_reason(PacketType type, ReasonCode code) {
    switch (type) {
        case PacketType::connack:
            return in(code, {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A,
                             0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F});
        case PacketType::puback:
        case PacketType::pubrec:
            return in(code, {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
        case PacketType::pubrel:
        case PacketType::pubcomp: return in(code, {0x00, 0x92});
        case PacketType::suback:
            return in(code, {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2});
        case PacketType::unsuback: return in(code, {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91});
        case PacketType::disconnect:
            return in(code, {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E,
                             0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B,
                             0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2});
        case PacketType::auth: return in(code, {0x00, 0x18, 0x19});
        default: return false;
    }
}

// Reads a v5 reason code byte that must be one `type` allows. The spec lists the values
// each packet may carry; any other byte is not of the specified data type, which v5 §2.2.2.2
// and §4.13 treat as a Malformed Packet.
ReasonCode reason_code(Reader& r, PacketType type) {
    const auto code = static_cast<ReasonCode>(r.u8());
    if (!r.failed() && !valid_reason(type, code)) r.fail(ReasonCode::malformed_packet);
    return code;
}

QoS qos_bits(unsigned bits) { return static_cast<QoS>(bits & 3u); }

Result<Packet> decode_connect(Reader& r, std::uint8_t flags) {
    Connect c;
    const auto protocol_name = r.utf8();
    const auto level = r.u8();
    if (r.failed()) return error(r.failure());
    if (protocol_name == "MQTT") {
        if (level == 4) {
            c.version = Version::v311;
        } else if (level == 5) {
            c.version = Version::v5;
        } else {
            // v5 [MQTT-3.1.2-2], v3.1.1 [MQTT-3.1.2-2]: unsupported level, CONNACK 0x84 / 0x01.
            return error(ReasonCode::unsupported_protocol_version);
        }
    } else if (protocol_name == "MQIsdp") {
        if (level != 3) return error(ReasonCode::unsupported_protocol_version);
        c.version = Version::v31;
    } else {
        // v5 [MQTT-3.1.2-1], v3.1.1 [MQTT-3.1.2-1]: not MQTT at all; the server may close.
        return error(ReasonCode::malformed_packet);
    }
    const bool v5 = c.version == Version::v5;
    check_flags(r, flags, 0, c.version);

    const auto connect_flags = r.u8();
    if ((connect_flags & 0x01) != 0) r.fail(ReasonCode::malformed_packet);  // v5 [MQTT-3.1.2-3], v3.1.1 [MQTT-3.1.2-3]
    c.clean_start = (connect_flags & 0x02) != 0;
    const bool will = (connect_flags & 0x04) != 0;
    const unsigned will_qos = (connect_flags >> 3) & 3u;
    const bool will_retain = (connect_flags & 0x20) != 0;
    const bool password = (connect_flags & 0x40) != 0;
    const bool username = (connect_flags & 0x80) != 0;
    // Without a will, its QoS and retain must be 0: v5 [MQTT-3.1.2-11], [MQTT-3.1.2-13];
    // v3.1.1 [MQTT-3.1.2-13], [MQTT-3.1.2-15].
    if (!will && (will_qos != 0 || will_retain)) r.fail(ReasonCode::malformed_packet);
    if (will_qos == 3) r.fail(ReasonCode::malformed_packet);  // v5 [MQTT-3.1.2-12], v3.1.1 [MQTT-3.1.2-14]
    // v3.1.1 [MQTT-3.1.2-22]: no password without a user name (v5 allows it, §3.1.2.9).
    if (!v5 && password && !username) r.fail(ReasonCode::malformed_packet);

    c.keep_alive = r.u16();
    if (v5) c.properties = r.properties(PropertyOwner::connect);
    c.client_id = r.utf8();  // v5 [MQTT-3.1.3-4], v3.1.1 [MQTT-3.1.3-4]: UTF-8
    if (will) {
        Will w;
        w.qos = qos_bits(will_qos);
        w.retain = will_retain;
        if (v5) w.properties = r.properties(PropertyOwner::will);
        w.topic = r.utf8();  // v5 [MQTT-3.1.3-11], v3.1.1 [MQTT-3.1.3-10]: UTF-8
        w.payload = r.binary();
        c.will = std::move(w);
    }
    if (username) c.username = r.utf8();  // v5 [MQTT-3.1.3-12], v3.1.1 [MQTT-3.1.3-11]
    if (password) c.password = r.binary();
    return finish(r, std::move(c));
}

Result<Packet> decode_connack(Reader& r, std::uint8_t flags, Version version) {
    Connack c;
    check_flags(r, flags, 0, version);
    const auto ack_flags = r.u8();
    if (version == Version::v31) {
        // 3.1 has no session present flag; the byte is reserved and unused.
    } else {
        if ((ack_flags & 0xfe) != 0) r.fail(ReasonCode::malformed_packet);  // v5 [MQTT-3.2.2-1], v3.1.1 [MQTT-3.2.2-1]
        c.session_present = (ack_flags & 0x01) != 0;
    }
    if (is_v5(version)) {
        c.reason_code = reason_code(r, PacketType::connack);
    } else {
        const auto rc = r.u8();
        // v3.1.1 §3.2.2.3: return codes 6-255 are reserved.
        if (rc > 5) r.fail(ReasonCode::malformed_packet);
        c.reason_code = to_reason_code(static_cast<ConnectReturnCode>(rc));
    }
    // Session present must be 0 with a failure: v5 [MQTT-3.2.2-6], v3.1.1 [MQTT-3.2.2-4].
    if (c.session_present && c.reason_code != ReasonCode::success) r.fail(ReasonCode::protocol_error);
    if (is_v5(version)) c.properties = r.properties(PropertyOwner::connack);
    return finish(r, std::move(c));
}

// Reads a PUBLISH into `p`, setting every field but the properties before v5, which must
// be empty already (decode_into).
void read_publish(Reader& r, std::uint8_t flags, Version version, Publish& p) {
    p.dup = (flags & 0x08) != 0;
    const unsigned qos = (flags >> 1) & 3u;
    p.retain = (flags & 0x01) != 0;
    if (qos == 3) r.fail(ReasonCode::malformed_packet);  // v5 [MQTT-3.3.1-4], v3.1.1 [MQTT-3.3.1-4]
    p.qos = qos_bits(qos);
    // DUP must be 0 for QoS 0: v5 [MQTT-3.3.1-2], v3.1.1 [MQTT-3.3.1-2].
    if (p.dup && qos == 0) r.fail(ReasonCode::protocol_error);

    p.topic.assign(r.utf8());  // v5 [MQTT-3.3.2-1], v3.1.1 [MQTT-3.3.2-1]: UTF-8
    // No wildcards in a topic name: v5 [MQTT-3.3.2-2], v3.1.1 [MQTT-3.3.2-2].
    if (p.topic.find_first_of("+#") != std::string::npos) r.fail(ReasonCode::topic_name_invalid);
    p.packet_id = qos > 0 ? packet_id(r) : 0;
    if (is_v5(version)) p.properties = r.properties(PropertyOwner::publish);
    if (p.topic.empty()) {
        if (!is_v5(version)) {
            r.fail(ReasonCode::topic_name_invalid);  // v3.1.1 [MQTT-4.7.3-1]: at least one character
        } else if (!p.properties.topic_alias) {
            r.fail(ReasonCode::protocol_error);  // v5 §3.3.2.3.4: empty topic name needs a topic alias
        }
    }
    p.payload.assign(r.rest());
}

Result<Packet> decode_publish(Reader& r, std::uint8_t flags, Version version) {
    Publish p;
    read_publish(r, flags, version, p);
    return finish(r, std::move(p));
}

// PUBACK, PUBREC, PUBREL, PUBCOMP (v5 §3.4-3.7, v3.1.1 §3.4-3.7).
template <class Ack>
Result<Packet> decode_ack(Reader& r, std::uint8_t flags, Version version, PacketType type, PropertyOwner owner) {
    Ack a;
    // PUBREL's flags are 0010: v5 [MQTT-3.6.1-1], v3.1.1 [MQTT-3.6.1-1]; the others 0000.
    check_flags(r, flags, type == PacketType::pubrel ? 0x02 : 0x00, version);
    a.packet_id = packet_id(r);
    if (is_v5(version) && !r.empty()) {
        // v5 §3.4.2.1: remaining length 2 means Success with no properties; 3 a reason code
        // with no properties.
        a.reason_code = reason_code(r, type);
        if (!r.empty()) a.properties = r.properties(owner);
    }
    return finish(r, std::move(a));
}

Result<Packet> decode_subscribe(Reader& r, std::uint8_t flags, Version version) {
    Subscribe s;
    check_flags(r, flags, 0x02, version);  // v5 [MQTT-3.8.1-1], v3.1.1 [MQTT-3.8.1-1]
    s.packet_id = packet_id(r);
    if (is_v5(version)) s.properties = r.properties(PropertyOwner::subscribe);
    // v5 [MQTT-3.8.3-2]: a SUBSCRIBE with no Topic Filter is a Protocol Error;
    // v3.1.1 [MQTT-3.8.3-3]: at least one Topic Filter / QoS pair.
    if (!r.failed() && r.empty()) r.fail(ReasonCode::protocol_error);
    while (!r.empty()) {
        Subscription sub;
        sub.filter = r.utf8();  // v5 [MQTT-3.8.3-1], v3.1.1 [MQTT-3.8.3-1]: UTF-8
        const auto o = r.u8();
        const unsigned qos = o & 3u;
        if (is_v5(version)) {
            if ((o & 0xc0) != 0) r.fail(ReasonCode::malformed_packet);  // v5 [MQTT-3.8.3-5]
            if (qos == 3) r.fail(ReasonCode::protocol_error);           // v5 §3.8.3.1: QoS 3
            const unsigned rh = (o >> 4) & 3u;
            if (rh == 3) r.fail(ReasonCode::protocol_error);            // v5 §3.8.3.1: Retain Handling 3
            sub.options.no_local = (o & 0x04) != 0;
            sub.options.retain_as_published = (o & 0x08) != 0;
            sub.options.retain_handling = static_cast<RetainHandling>(rh);
            // v5 [MQTT-3.8.3-4]: No Local on a shared subscription is a Protocol Error.
            if (sub.options.no_local && sub.filter.starts_with("$share/")) r.fail(ReasonCode::protocol_error);
        } else {
            // v3.1.1 [MQTT-3-8.3-4]: reserved bits 2-7 must be 0 and QoS must not be 3.
            if ((o & 0xfc) != 0 || qos == 3) r.fail(ReasonCode::malformed_packet);
        }
        sub.options.qos = qos_bits(qos);
        s.subscriptions.push_back(std::move(sub));
    }
    return finish(r, std::move(s));
}

Result<Packet> decode_suback(Reader& r, std::uint8_t flags, Version version) {
    Suback s;
    check_flags(r, flags, 0, version);
    s.packet_id = packet_id(r);
    if (is_v5(version)) s.properties = r.properties(PropertyOwner::suback);
    // One code per filter of the SUBSCRIBE, which has at least one (v5 [MQTT-3.9.3-1],
    // v3.1.1 [MQTT-3.9.3-1]).
    if (!r.failed() && r.empty()) r.fail(ReasonCode::protocol_error);
    while (!r.empty()) {
        if (is_v5(version)) {
            s.reason_codes.push_back(reason_code(r, PacketType::suback));
        } else {
            const auto b = r.u8();
            // v3.1.1 [MQTT-3.9.3-2]: only 0x00, 0x01, 0x02 and 0x80.
            if (b > 2 && b != 0x80) r.fail(ReasonCode::malformed_packet);
            s.reason_codes.push_back(b == 0x80 ? ReasonCode::unspecified_error : static_cast<ReasonCode>(b));
        }
    }
    return finish(r, std::move(s));
}

Result<Packet> decode_unsubscribe(Reader& r, std::uint8_t flags, Version version) {
    Unsubscribe u;
    check_flags(r, flags, 0x02, version);  // v5 [MQTT-3.10.1-1], v3.1.1 [MQTT-3.10.1-1]
    u.packet_id = packet_id(r);
    if (is_v5(version)) u.properties = r.properties(PropertyOwner::unsubscribe);
    // At least one Topic Filter: v5 [MQTT-3.10.3-2] (Protocol Error), v3.1.1 [MQTT-3.10.3-2].
    if (!r.failed() && r.empty()) r.fail(ReasonCode::protocol_error);
    while (!r.empty()) u.filters.emplace_back(r.utf8());  // v5 [MQTT-3.10.3-1], v3.1.1 [MQTT-3.10.3-1]
    return finish(r, std::move(u));
}

Result<Packet> decode_unsuback(Reader& r, std::uint8_t flags, Version version) {
    Unsuback u;
    check_flags(r, flags, 0, version);
    u.packet_id = packet_id(r);
    if (is_v5(version)) {
        u.properties = r.properties(PropertyOwner::unsuback);
        // v5 [MQTT-3.11.3-1]: one reason code per Topic Filter of the UNSUBSCRIBE.
        if (!r.failed() && r.empty()) r.fail(ReasonCode::protocol_error);
        while (!r.empty()) u.reason_codes.push_back(reason_code(r, PacketType::unsuback));
    }
    // Before v5 the packet is just the packet identifier (v3.1.1 §3.11.2).
    return finish(r, std::move(u));
}

// DISCONNECT and AUTH: in v5 an empty variable header means Success with no properties
// (v5 §3.14.2.1, §3.15.2.1), a lone reason code means no properties.
template <class P>
Result<Packet> decode_reason_only(Reader& r, std::uint8_t flags, Version version, PacketType type, PropertyOwner owner) {
    P p;
    check_flags(r, flags, 0, version);  // v5 [MQTT-3.14.1-1], [MQTT-3.15.1-1], v3.1.1 [MQTT-3.14.1-1]
    if (is_v5(version) && !r.empty()) {
        p.reason_code = reason_code(r, type);  // v5 [MQTT-3.14.2-1], [MQTT-3.15.2-1]
        if (!r.empty()) p.properties = r.properties(owner);
    }
    return finish(r, std::move(p));
}

template <class P>
Result<Packet> decode_empty(Reader& r, std::uint8_t flags, Version version) {
    check_flags(r, flags, 0, version);  // v5 [MQTT-2.1.3-1], v3.1.1 [MQTT-2.2.2-1]
    return finish(r, P{});
}

}  // namespace

Result<std::size_t> frame_size(std::span<const std::byte> buffered, std::uint32_t max_packet_size) {
    if (buffered.empty()) return std::size_t{0};
    std::uint32_t remaining = 0;
    for (std::size_t i = 0; i < 4; ++i) {                 // at most four bytes (v5 §1.5.5)
        if (buffered.size() < i + 2) return std::size_t{0};
        const auto b = std::to_integer<std::uint32_t>(buffered[i + 1]);
        if (i > 0 && b == 0) return error(ReasonCode::malformed_packet);  // v5 [MQTT-1.5.5-1]
        remaining |= (b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            const std::size_t total = 1 + (i + 1) + std::size_t{remaining};
            if (total > max_packet_size) return error(ReasonCode::packet_too_large);
            return total;
        }
    }
    return error(ReasonCode::malformed_packet);           // a fifth length byte (v5 §1.5.5)
}

namespace {
// Reads the fixed header of a whole frame from `in`: returns its first byte (type and
// flags) and leaves `in` at the rest, which must be exactly Remaining Length bytes.
Result<std::uint8_t> fixed_header(In& in) {
    const auto first = read_u8(in);
    if (!first) return error(first.error());
    const auto remaining = read_varint(in);
    if (!remaining) return error(remaining.error());
    // The frame is exactly the fixed header plus Remaining Length bytes (v5 §2.1.4).
    if (in.size() != *remaining) return error(ReasonCode::malformed_packet);
    return *first;
}
}  // namespace

Result<Packet> decode(std::span<const std::byte> packet, Version version) {
    In in = packet;
    const auto first = fixed_header(in);
    if (!first) return error(first.error());

    const auto flags = static_cast<std::uint8_t>(*first & 0x0f);
    Reader r(in);
    switch (*first >> 4) {
        case 1: return decode_connect(r, flags);
        case 2: return decode_connack(r, flags, version);
        case 3: return decode_publish(r, flags, version);
        case 4: return decode_ack<Puback>(r, flags, version, PacketType::puback, PropertyOwner::puback);
        case 5: return decode_ack<Pubrec>(r, flags, version, PacketType::pubrec, PropertyOwner::pubrec);
        case 6: return decode_ack<Pubrel>(r, flags, version, PacketType::pubrel, PropertyOwner::pubrel);
        case 7: return decode_ack<Pubcomp>(r, flags, version, PacketType::pubcomp, PropertyOwner::pubcomp);
        case 8: return decode_subscribe(r, flags, version);
        case 9: return decode_suback(r, flags, version);
        case 10: return decode_unsubscribe(r, flags, version);
        case 11: return decode_unsuback(r, flags, version);
        case 12: return decode_empty<Pingreq>(r, flags, version);
        case 13: return decode_empty<Pingresp>(r, flags, version);
        case 14:
            return decode_reason_only<Disconnect>(r, flags, version, PacketType::disconnect, PropertyOwner::disconnect);
        case 15:
            // AUTH is v5 only; 15 is reserved before (v3.1.1 §2.2.1).
            if (!is_v5(version)) return error(ReasonCode::malformed_packet);
            return decode_reason_only<Auth>(r, flags, version, PacketType::auth, PropertyOwner::auth);
        default:
            return error(ReasonCode::malformed_packet);   // type 0 is reserved (v5 §2.1.2)
    }
}

Result<void> decode_into(std::span<const std::byte> packet, Version version, Packet& into) {
    auto* publish = std::get_if<Publish>(&into);
    const bool is_publish = !packet.empty() && (std::to_integer<unsigned>(packet.front()) >> 4) == 3;
    if (publish == nullptr || !is_publish) {
        auto decoded = decode(packet, version);
        if (!decoded) return error(decoded.error());
        into = std::move(*decoded);
        return ok();
    }
    In in = packet;
    const auto first = fixed_header(in);
    if (!first) return error(first.error());
    if (!is_v5(version) && !publish->properties.empty()) publish->properties = {};
    Reader r(in);
    read_publish(r, static_cast<std::uint8_t>(*first & 0x0f), version, *publish);
    if (!r.failed() && !r.empty()) r.fail(ReasonCode::malformed_packet);  // as finish()
    if (r.failed()) return error(r.failure());
    return ok();
}

std::optional<Version> connect_version(std::span<const std::byte> packet) noexcept {
    In in = packet;
    const auto first = read_u8(in);
    if (!first || (*first >> 4) != 1) return std::nullopt;
    if (!read_varint(in)) return std::nullopt;
    const auto protocol_name = read_binary(in);
    const auto level = read_u8(in);
    if (!protocol_name || !level) return std::nullopt;
    if (*protocol_name == "MQTT" && (*level == 4 || *level == 5)) return static_cast<Version>(*level);
    if (*protocol_name == "MQIsdp" && *level == 3) return Version::v31;
    return std::nullopt;
}

}  // namespace harperrt::mqtt
