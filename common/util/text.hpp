// UTF-8 well-formedness and JSON string literals: the one implementation the MQTT codec,
// topics, the record encoders, the logger and the CLI share.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace harperrt::util {

// Length (1..4) of the well-formed UTF-8 sequence starting at p[0], given `avail` >= 1
// bytes; 0 if it is ill-formed or cut short (RFC 3629 §4: no overlong forms, no
// surrogates U+D800..U+DFFF, nothing above U+10FFFF).
std::size_t utf8_sequence(const unsigned char* p, std::size_t avail) noexcept;

// True if all of `s` is well-formed UTF-8. U+0000 is well-formed here; MQTT strings forbid
// it separately ([MQTT-1.5.4-2]). The "SHOULD NOT" characters (controls, non-characters)
// are accepted, as mosquitto does (v5 §1.5.4 lets a receiver refuse them, not must), and a
// BOM is an ordinary character [MQTT-1.5.4-3].
bool is_well_formed_utf8(std::string_view s) noexcept;

// Appends `s` as a JSON string literal, quotes included: '"', '\\' and U+0000..U+001F
// escaped, each ill-formed UTF-8 byte replaced by U+FFFD, so the result always parses.
void append_json_string(std::string& out, std::string_view s);
// The same for `s` that must be well-formed: false at the first ill-formed byte (then
// `out` holds part of the literal). One pass where checking and then escaping took two.
bool append_json_string_strict(std::string& out, std::string_view s);
inline std::string json_string(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    append_json_string(out, s);
    return out;
}

}  // namespace harperrt::util
