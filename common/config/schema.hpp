// Internal to common/config: the table of scalar keys that load(), show() and get() share,
// so a key is declared once with its type, range and Config field. Not a public header.
#pragma once

#include "common/config/config.hpp"

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace harperrt::config::detail {

// A YAML scalar as written: null (plain `null`, `~` or nothing) or its text. A quoted
// "null" is text.
struct ScalarText {
    bool is_null = false;
    std::string text;
};

// A value as show() prints it: nullopt for null; `is_string` asks for YAML quoting where
// plain text would read as another type.
struct ScalarValue {
    std::optional<std::string> text;
    bool is_string = false;
};

struct ScalarKey {
    std::string path;                // "mqtt.network.port"
    std::string_view expected;       // for "expected ..., got a map": "a port number (0-65535) or null"
    // Sets the field; returns the problem (without the key) if `value` is not acceptable.
    std::function<std::optional<std::string>(Config&, const ScalarText&)> set;
    std::function<ScalarValue(const Config&)> get;
};

// Every scalar key, in the order show() prints them (sections contiguous).
const std::vector<ScalarKey>& scalar_key_table();
const ScalarKey* find_scalar_key(std::string_view path);

// Enum spellings for the loader's collection parsing (users[].format, keyType, ...).
std::optional<std::string> parse_format(const ScalarText& v, Format& out);
std::optional<std::string> parse_key_type(const ScalarText& v, KeyType& out);
std::optional<std::string> parse_bool(const ScalarText& v, bool& out);

// `s` as a YAML scalar that reads back as this string: plain when that is unambiguous,
// otherwise double-quoted with escapes.
std::string yaml_quote(std::string_view s);

// The candidate closest to `word` (case-insensitive edit distance), if close enough to be
// a plausible typo.
std::optional<std::string> suggest(std::string_view word, std::span<const std::string> candidates);

}  // namespace harperrt::config::detail
