// JSON, CBOR and MessagePack codecs for Value: decode a payload into the common data model
// (value.hpp) and encode a Value back into any of the three. They sit on the message hot
// path (every structured PUBLISH is decoded once and encoded once per output format), so
// they are hand-written single-pass readers and writers over the bytes, with no
// exceptions, no locale and no per-token allocation beyond the Values themselves.
//
// Design notes
//
// Invariants (every decoder):
//  1. Input is untrusted. A decoder never throws (short of std::bad_alloc), never reads
//     outside `payload`, and allocates in proportion to the payload: a string length
//     larger than the bytes left is `truncated` before anything is reserved, and the
//     counts of all CBOR/MessagePack containers together may not exceed the payload size
//     (each item takes at least one byte), so nested containers that each claim millions
//     of items cannot make it reserve memory the payload does not hold.
//  2. Nesting is limited to max_depth (512) arrays/maps, checked on entry to each
//     container, so recursion depth (and stack use) is bounded; deeper is `too_deep`.
//  3. A payload is exactly one value: bytes after it are `trailing_data`; ending early
//     (empty input included) is `truncated`.
//  4. Text is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF) or
//     the payload is refused with `invalid_utf8`; that holds for JSON strings, JSON \u
//     escapes (a lone surrogate is refused), CBOR text strings (each chunk of an
//     indefinite-length one) and MessagePack str. Byte strings are not checked.
//  5. Map keys: text strings; an integer key (CBOR, MessagePack) becomes its decimal
//     string (1 -> "1", -5 -> "-5"), any other key type is `non_string_key`. Duplicate
//     keys, in every format: the last value wins, kept at the first key's position
//     (JavaScript's JSON.parse, which HarperDB clients use, does the same).
//  6. Decoding then encoding in the same format keeps every value of the model, but not
//     necessarily the bytes: encoders always write the shortest form (see below).
//
// JSON (RFC 8259), strict: no comments, no trailing commas, no BOM, no NaN/Infinity
// literals; whitespace is space, tab, CR, LF; any value may be the top level.
//  - A number without fraction or exponent is an integer: int64, or uint64 above
//    INT64_MAX. One outside both becomes a float64 (as in JavaScript). "-0" is int64 0.
//  - A number with a fraction or exponent is a float64, so `1.0` decodes as the float
//    1.0, and the encoder writes a float with an integral value as `1.0`, keeping
//    integers and floats apart through JSON. Magnitudes beyond double are ±Infinity,
//    tiny ones are ±0.0. Encoding writes the shortest text that reads back to the same
//    double (std::to_chars) in JavaScript's layout (0.1, 100000.0, 1e+21, 5e-324), so the
//    text matches JSON.stringify apart from the ".0" on integral floats.
//  - NaN and ±Infinity are not JSON: they are encoded as null.
//  - Bytes are encoded as a base64 string (RFC 4648 §4, padded); they come back from JSON
//    as a string, since JSON cannot tell them apart.
//  - Strings are written as UTF-8 with only '"', '\\' and U+0000..U+001F escaped.
//
// CBOR (RFC 8949):
//  - Indefinite-length strings, arrays and maps are accepted; the chunks of a string must
//    be definite strings of its own major type (§3.2.3).
//  - Tags are ignored and their item kept (a bignum, tag 2/3, becomes its byte string;
//    a date, tag 0/1, its string or number).
//  - Half, single and double floats decode to float64. false/true/null decode as such and
//    undefined (0xf7) as null; any other simple value is `unsupported_type`; a two-byte
//    simple value below 32 (§3.3) and reserved additional info 28..30 are `syntax_error`.
//  - A negative integer below -2^63 is `out_of_range`.
//  - Encoding uses preferred serialization (§4.1): shortest heads, definite lengths, and
//    the shortest float that holds the value exactly (1.0 -> f9 3c00, 1.1 -> fb ...);
//    NaN is f9 7e00.
//
// MessagePack (spec of 2017, str8/bin/ext included):
//  - All int widths, float32/64, fixstr/str8/16/32, bin8/16/32, fixarray/array16/32,
//    fixmap/map16/map32. Ext types (fixext, ext8/16/32, the timestamp included) are
//    refused as `unsupported_type` rather than turned into bytes whose meaning is lost.
//    0xc1 (never used) is `syntax_error`.
//  - Encoding uses the smallest int format (non-negative ints as positive fixint/uint*),
//    float64 for every float, str8 and bin for byte strings. Requires: each string,
//    byte string, array and map has fewer than 2^32 elements (MQTT payloads are < 256 MiB).
//
// Thread-safety: all functions are pure; call them from any thread.
#pragma once

#include "common/encoding/errc.hpp"
#include "common/encoding/value.hpp"
#include "common/util/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace harperrt::encoding {

enum class Format : std::uint8_t { json, cbor, msgpack };

// The deepest nesting of arrays and maps a decoder accepts: `[[1]]` has depth 2.
inline constexpr std::size_t max_depth = 512;

// Decodes one complete value from `payload` (binary formats: the bytes as chars).
// Errors: Errc::syntax_error, trailing_data, truncated, too_deep, invalid_utf8,
// non_string_key, unsupported_type, out_of_range.
Result<Value> decode(std::string_view payload, Format format);

// decode(), then requires the value to be a map (a record, DESIGN.md §3); anything else
// is Errc::not_a_map.
Result<Value> decode_record(std::string_view payload, Format format);

// Appends the encoding of `value` to `out`; never fails.
void encode_to(const Value& value, Format format, std::string& out);

// The encoding of `value` (binary formats: the bytes as chars).
std::string encode(const Value& value, Format format);

// Appends `payload` (in `from`) re-encoded in `to`: the same bytes as
// encode_to(*decode(payload, from), to, out). MessagePack to JSON (how stored records go out
// to JSON subscribers) has a one-pass path that builds no Values. On error appends nothing
// and returns the error decode() gives.
Result<void> transcode_to(std::string_view payload, Format from, Format to, std::string& out);

}  // namespace harperrt::encoding
