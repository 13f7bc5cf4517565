// encoding::Errc: why a JSON, CBOR or MessagePack payload could not be decoded into a
// Value. Its own error_code category (STYLE.md §5); each message says what was wrong in
// words a publisher can act on, because the broker passes it on as a v5 reason string
// (with PUBACK/PUBREC reason 0x99, Payload format invalid, chosen in broker::to_reason_code).
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace harperrt::encoding {

enum class Errc {
    syntax_error = 1,   // not well-formed: bad token, bad CBOR head, MessagePack 0xc1, ...
    trailing_data,      // bytes left over after one complete value
    truncated,          // the input ends inside a value (empty input included)
    too_deep,           // arrays/maps nested more than max_depth (512) levels
    invalid_utf8,       // a text string (or a JSON \u escape) is not well-formed UTF-8
    non_string_key,     // a map key that is neither a text string nor an integer
    unsupported_type,   // well-formed but outside the model: MessagePack ext, CBOR simple value
    out_of_range,       // an integer outside int64/uint64 (CBOR negative below -2^63)
    not_a_map,          // decode_record: the payload is a value but not a map
};

const boost::system::error_category& encoding_category() noexcept;

inline boost::system::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), encoding_category()};
}

}  // namespace harperrt::encoding

template <>
struct boost::system::is_error_code_enum<harperrt::encoding::Errc> : std::true_type {};
