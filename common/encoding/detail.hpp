// Internal to common/encoding: the per-format readers and writers behind codec.hpp, and
// the text helpers they share. Not for use outside this directory.
#pragma once

#include "common/util/text.hpp"

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

// Appends the JSON of MessagePack `in` in one pass, without building Values: exactly what
// encode_json(decode_msgpack(in)) appends. Returns false, appending nothing, for anything
// off its fast path (an error, a map with a repeated or non-text key, a map of more than
// 64 keys): the caller then goes through Value, which also reports the error.
bool msgpack_to_json(std::string_view in, std::string& out);

// Appends a float64 as the JSON encoder writes it (codec.hpp: shortest round-trip text in
// JavaScript's layout, ".0" on integral values, null for NaN and infinities).
void append_json_double(double d, std::string& out);

using util::append_json_string;
using util::utf8_sequence;
inline bool is_valid_utf8(const unsigned char* p, std::size_t n) noexcept {
    return util::is_well_formed_utf8(std::string_view(reinterpret_cast<const char*>(p), n));
}
// Appends RFC 4648 §4 base64 with padding.
void append_base64(std::string& out, const void* data, std::size_t n);

}  // namespace harperrt::encoding::detail
