#include "common/mqtt/wire.hpp"

#include "common/util/text.hpp"

#include "common/mqtt/reason_code.hpp"

#include <cassert>

namespace harperrt::mqtt {

Result<std::uint8_t> read_u8(std::span<const std::byte>& in) {
    if (in.empty()) return error(ReasonCode::malformed_packet);
    const auto b = std::to_integer<std::uint8_t>(in.front());
    in = in.subspan(1);
    return b;
}

Result<std::uint16_t> read_u16(std::span<const std::byte>& in) {
    if (in.size() < 2) return error(ReasonCode::malformed_packet);
    const auto v = static_cast<std::uint16_t>((std::to_integer<unsigned>(in[0]) << 8) |
                                              std::to_integer<unsigned>(in[1]));
    in = in.subspan(2);
    return v;
}

Result<std::uint32_t> read_u32(std::span<const std::byte>& in) {
    if (in.size() < 4) return error(ReasonCode::malformed_packet);
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | std::to_integer<std::uint32_t>(in[i]);
    in = in.subspan(4);
    return v;
}

Result<std::uint32_t> read_varint(std::span<const std::byte>& in) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {                         // at most four bytes (v5 §1.5.5)
        if (in.empty()) return error(ReasonCode::malformed_packet);
        const auto b = std::to_integer<std::uint32_t>(in.front());
        in = in.subspan(1);
        // A last byte of 0 after the first means a shorter encoding existed.
        if (i > 0 && b == 0) return error(ReasonCode::malformed_packet);  // v5 [MQTT-1.5.5-1]
        value |= (b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) return value;
    }
    return error(ReasonCode::malformed_packet);
}

bool valid_utf8(std::string_view s) noexcept {
    // Well-formed (RFC 3629) and without U+0000: v5 [MQTT-1.5.4-1..2], v3.1.1 [MQTT-1.5.3-1..2].
    return s.find('\0') == std::string_view::npos && util::is_well_formed_utf8(s);
}

Result<std::string_view> read_binary(std::span<const std::byte>& in) {
    auto len = read_u16(in);
    if (!len) return error(len.error());
    if (in.size() < *len) return error(ReasonCode::malformed_packet);
    const auto s = as_chars(in.first(*len));
    in = in.subspan(*len);
    return s;
}

Result<std::string_view> read_utf8(std::span<const std::byte>& in) {
    auto s = read_binary(in);
    if (!s) return s;
    // v5 [MQTT-1.5.4-1], [MQTT-1.5.4-2]; v3.1.1 [MQTT-1.5.3-1], [MQTT-1.5.3-2]
    if (!valid_utf8(*s)) return error(ReasonCode::malformed_packet);
    return s;
}

std::size_t varint_size(std::uint32_t value) noexcept {
    assert(value <= max_varint);
    if (value < 128) return 1;
    if (value < 16'384) return 2;
    if (value < 2'097'152) return 3;
    return 4;
}

void write_u8(std::uint8_t value, Bytes& out) { out.push_back(std::byte{value}); }

void write_u16(std::uint16_t value, Bytes& out) {
    out.push_back(static_cast<std::byte>(value >> 8));
    out.push_back(static_cast<std::byte>(value & 0xff));
}

void write_u32(std::uint32_t value, Bytes& out) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<std::byte>((value >> shift) & 0xff));
}

void write_varint(std::uint32_t value, Bytes& out) {
    assert(value <= max_varint);
    do {
        auto b = static_cast<std::uint8_t>(value & 0x7f);
        value >>= 7;
        if (value != 0) b = static_cast<std::uint8_t>(b | 0x80);
        out.push_back(std::byte{b});
    } while (value != 0);
}

void write_binary(std::string_view s, Bytes& out) {
    assert(s.size() <= 0xffff);
    write_u16(static_cast<std::uint16_t>(s.size()), out);
    write_raw(s, out);
}

void write_utf8(std::string_view s, Bytes& out) {
    assert(valid_utf8(s));
    write_binary(s, out);
}

void write_raw(std::string_view s, Bytes& out) {
    const auto b = as_bytes(s);
    out.insert(out.end(), b.begin(), b.end());
}

}  // namespace harperrt::mqtt
