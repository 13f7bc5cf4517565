// Readers and writers for MQTT's data representations (v5 §1.5, v3.1.1 §1.5): integers,
// Variable Byte Integers, UTF-8 Encoded Strings and Binary Data. Readers are pure functions
// over a span that advance it past what they read and never read out of bounds; every
// failure is ReasonCode::malformed_packet. Writers append to a Bytes buffer.
#pragma once

#include "common/util/result.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace harperrt::mqtt {

using Bytes = std::vector<std::byte>;

// Largest value of a Variable Byte Integer, and so of a Remaining Length (v5 §1.5.5).
inline constexpr std::uint32_t max_varint = 268'435'455;

// Reads one byte.
Result<std::uint8_t> read_u8(std::span<const std::byte>& in);
// Reads a big-endian Two Byte Integer (v5 §1.5.2).
Result<std::uint16_t> read_u16(std::span<const std::byte>& in);
// Reads a big-endian Four Byte Integer (v5 §1.5.3).
Result<std::uint32_t> read_u32(std::span<const std::byte>& in);
// Reads a Variable Byte Integer of at most four bytes in its shortest encoding
// (v5 §1.5.5, [MQTT-1.5.5-1]; v3.1.1 §2.2.3).
Result<std::uint32_t> read_varint(std::span<const std::byte>& in);
// Reads a UTF-8 Encoded String: a Two Byte length then that many bytes, which must be
// well-formed UTF-8 (no surrogates, no overlong forms, at most U+10FFFF) without U+0000
// (v5 [MQTT-1.5.4-1], [MQTT-1.5.4-2]; v3.1.1 [MQTT-1.5.3-1], [MQTT-1.5.3-2]).
// The view points into the input.
Result<std::string_view> read_utf8(std::span<const std::byte>& in);
// Reads Binary Data: a Two Byte length then that many bytes (v5 §1.5.6). The view points
// into the input.
Result<std::string_view> read_binary(std::span<const std::byte>& in);

// True when `s` is well-formed UTF-8 without U+0000 (the rules read_utf8 applies).
bool valid_utf8(std::string_view s) noexcept;

// Bytes a Variable Byte Integer takes: 1..4. Requires: value <= max_varint.
std::size_t varint_size(std::uint32_t value) noexcept;

void write_u8(std::uint8_t value, Bytes& out);
void write_u16(std::uint16_t value, Bytes& out);
void write_u32(std::uint32_t value, Bytes& out);
// Requires: value <= max_varint.
void write_varint(std::uint32_t value, Bytes& out);
// Writes the Two Byte length then the bytes. Requires: s.size() <= 65535 (and, for a
// UTF-8 Encoded String, valid_utf8(s): checked by assert only).
void write_utf8(std::string_view s, Bytes& out);
void write_binary(std::string_view s, Bytes& out);
// Appends bytes as they are (a payload).
void write_raw(std::string_view s, Bytes& out);

// Views bytes as chars and back, without copying.
inline std::string_view as_chars(std::span<const std::byte> bytes) noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
inline std::span<const std::byte> as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace harperrt::mqtt
