// Payload detection for the inbound format rule 3 of DESIGN.md §4: with no content type
// from the PUBLISH or the connection, a payload is JSON if it parses as JSON, otherwise
// opaque bytes that are forwarded unchanged and never stored as a record.
#pragma once

#include <string_view>

namespace harperrt::encoding {

// True iff `payload` is exactly one complete JSON text that decode(payload, Format::json)
// accepts: the same checks (strict RFC 8259, UTF-8, nesting <= max_depth) without building
// a Value. Does not allocate; linear in the payload size.
bool looks_like_json(std::string_view payload) noexcept;

// True iff `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
// U+0000 is allowed.
bool is_valid_utf8(std::string_view s) noexcept;

}  // namespace harperrt::encoding
