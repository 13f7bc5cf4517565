// The CLI's `sub --output json` view of a payload (DESIGN.md §8): whatever arrived on the
// wire, one line of valid JSON that a script can parse.
#pragma once

#include "common/encoding/codec.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace harperrt::encoding {

// The key of the object that stands for opaque bytes: {"$base64":"AAEC"}.
inline constexpr std::string_view display_bytes_key = "$base64";

// Compact, single-line JSON text for `payload`:
//  - `format` given and the payload decodes in it: the value as JSON (codec.hpp's JSON
//    rules: bytes as base64 strings, NaN/Infinity as null);
//  - no `format` and the payload is JSON (DESIGN.md §4 rule 3): the same value, compacted;
//  - otherwise, valid UTF-8 text becomes a JSON string ("hello", and "" for an empty
//    payload), and anything else {"$base64":"<RFC 4648 base64 of the payload>"}.
// Never fails.
std::string to_display_json(std::string_view payload, std::optional<Format> format);

}  // namespace harperrt::encoding
