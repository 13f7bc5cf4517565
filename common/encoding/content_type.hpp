// Names of the three structured formats as they appear in MQTT 5 Content Type properties,
// HTTP Content-Type / Accept headers, CONNECT user properties and config (`format: cbor`),
// and the choice of a format from an HTTP Accept header (DESIGN.md §4).
#pragma once

#include "common/encoding/codec.hpp"

#include <optional>
#include <string_view>

namespace harperrt::encoding {

// The format a media type names: application/json, application/cbor, and
// application/x-msgpack with its aliases application/msgpack and application/vnd.msgpack.
// Type and subtype are case-insensitive (RFC 9110 §8.3.1); surrounding whitespace and
// parameters (`; charset=utf-8`) are ignored. Anything else, including wildcards and
// structured-suffix types such as application/ld+json, is std::nullopt.
std::optional<Format> format_from_content_type(std::string_view media_type) noexcept;

// The canonical media type: application/json, application/cbor, application/x-msgpack.
std::string_view content_type(Format format) noexcept;

// "json", "cbor", "msgpack" (ASCII case-insensitive), as in --format and config `format`.
std::optional<Format> format_from_name(std::string_view name) noexcept;

// "json", "cbor" or "msgpack".
std::string_view name(Format format) noexcept;

// Picks the format to send from an HTTP Accept header (RFC 9110 §12.5.1), or the value
// of a v5 `accept` user property, which uses the same syntax.
//  - Each format takes the q-value of the most specific range that matches it (its own
//    media type or alias, then application/*, then */*); q=0 excludes it; a range with a
//    malformed q-value is ignored.
//  - The highest q wins. Ties go to a format named explicitly over one matched by a
//    wildcard, then to the range listed first, then to json, cbor, msgpack in that order.
//  - std::nullopt means "no preference, use the default": the header is empty, names no
//    acceptable format (MQTT has no 406), or the winner came from a wildcard that accepts
//    all three formats equally (`*/*`, `application/*`). A wildcard that wins while some
//    format is excluded or ranked lower returns a concrete format instead
//    (`*/*, application/json;q=0` gives cbor), so the default cannot break the exclusion.
std::optional<Format> choose_from_accept(std::string_view accept_header) noexcept;

}  // namespace harperrt::encoding
