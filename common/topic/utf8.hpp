// UTF-8 well-formedness as MQTT requires it for every string (v5 §1.5.4, v3.1.1 §1.5.3).
// Used by topic validation and by the record mapping for percent-decoded IDs.
#pragma once

#include <string_view>

namespace harperrt::topic {

// True if `s` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence. U+0000 is well-formed
// here; MQTT strings forbid it separately ([MQTT-1.5.4-2]), see validate_topic_name.
// The "SHOULD NOT" characters (controls U+0001..U+001F, U+007F..U+009F, non-characters)
// are accepted, as mosquitto does: v5 §1.5.4 lets a receiver refuse them but does not
// require it. A BOM (EF BB BF) is an ordinary character and is kept [MQTT-1.5.4-3].
bool is_well_formed_utf8(std::string_view s) noexcept;

}  // namespace harperrt::topic
