// Internal to common/encoding: the per-format readers and writers behind codec.hpp, and
// the text helpers they share. Not for use outside this directory.
#pragma once

#include "common/encoding/errc.hpp"
#include "common/encoding/value.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace harperrt::encoding::detail {

// Each decoder returns Errc{} (zero) on success, with `out` holding the value.
Errc decode_json(std::string_view in, Value& out);
Errc decode_cbor(std::string_view in, Value& out);
Errc decode_msgpack(std::string_view in, Value& out);

// The JSON decoder's checks without building anything: Errc{} iff decode_json succeeds.
Errc validate_json(std::string_view in) noexcept;

void encode_json(const Value& v, std::string& out);
void encode_cbor(const Value& v, std::string& out);
void encode_msgpack(const Value& v, std::string& out);

// Length (1..4) of the well-formed UTF-8 sequence starting at p[0], given `avail` >= 1
// bytes; 0 if ill-formed or cut short.
std::size_t utf8_sequence(const unsigned char* p, std::size_t avail) noexcept;
bool is_valid_utf8(const unsigned char* p, std::size_t n) noexcept;

// Appends `s` as a JSON string literal, quotes included. Ill-formed UTF-8 becomes U+FFFD.
void append_json_string(std::string& out, std::string_view s);
// Appends RFC 4648 §4 base64 with padding.
void append_base64(std::string& out, const void* data, std::size_t n);

}  // namespace harperrt::encoding::detail
