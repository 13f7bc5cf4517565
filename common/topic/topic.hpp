// Topic names and topic filters as MQTT 3.1.1 §4.7 and 5.0 §4.7 define them: validation,
// shared-subscription parsing (v5 §4.8.2) and the reference matching rule. Pure functions
// over string_views; nothing here allocates except parse_subscription's result, and
// nothing throws on its input.
//
// The topic rules are the same in MQTT 3.1, 3.1.1 and 5.0 (only the conformance IDs
// differ), so no function takes a protocol version. Comments cite both versions' IDs.
#pragma once

#include "common/topic/errc.hpp"
#include "common/topic/levels.hpp"
#include "common/util/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace harperrt::topic {

// The longest topic name or filter: it is an MQTT UTF-8 string with a two-byte length.
inline constexpr std::size_t max_topic_bytes = 65535;

// Validates a topic name, as in PUBLISH, a will topic or a response topic.
// Errors, checked in this order: empty, too_long, null_character / invalid_utf8 (whichever
// comes first in the string), wildcard_in_name. Empty levels ("a//b", "/a", "a/") and a
// leading '$' are legal. Thread-safe.
Result<void> validate_topic_name(std::string_view name);

// Validates a topic filter as it appears after any `$share/NAME/` prefix (use
// parse_subscription for what a SUBSCRIBE carries). Errors: empty, too_long,
// null_character / invalid_utf8, bad_wildcard ('#' that is not alone in the last level,
// '+' that is not alone in its level). Thread-safe.
Result<void> validate_topic_filter(std::string_view filter);

// One entry of a SUBSCRIBE or UNSUBSCRIBE, split into its share group and its filter.
struct Filter {
    std::string share_group;  // empty: an ordinary (non-shared) subscription
    std::string filter;       // the topic filter to match, without `$share/NAME/`

    bool is_shared() const noexcept { return !share_group.empty(); }
    friend bool operator==(const Filter&, const Filter&) = default;
};

// Parses a subscription's topic filter. `$share/NAME/FILTER` (v5 §4.8.2) is a shared
// subscription to FILTER in group NAME: NAME is at least one character [MQTT-4.8.2-1], has
// no '/', '+' or '#' and is followed by '/' and a topic filter [MQTT-4.8.2-2]; anything
// else after `$share/` is bad_share_name. Like mosquitto, a `$share/` filter is shared
// for MQTT 3.1.1 clients too (3.1.1 has no shared subscriptions; the `$` prefix is
// reserved for the server there, so no valid 3.1.1 filter changes meaning). The prefix
// is case-sensitive: `$SHARE/x/y` is an ordinary filter. Errors: those of
// validate_topic_filter for the whole string and for FILTER, then bad_share_name.
Result<Filter> parse_subscription(std::string_view subscription);

// The reference matching rule: true if the topic name `name` matches the topic filter
// `filter`. '+' matches exactly one level, possibly empty ("+/+" matches "/finance");
// "x/#" matches "x" and everything below it (v5 [MQTT-4.7.1-1], v3.1.1 [MQTT-4.7.1-2]); a
// filter whose first character is a wildcard does not match a name beginning with '$'
// (both versions [MQTT-4.7.2-1]). Matching is byte-exact, with no normalisation
// ([MQTT-4.7.3-4]): record topics are normalised before, see record_topic.hpp.
// Requires: validate_topic_filter(filter) and validate_topic_name(name) succeed, and
// `filter` carries no `$share/NAME/` prefix. The subscription trie must agree with this.
bool matches(std::string_view filter, std::string_view name) noexcept;

// True if the filter contains a '+' or '#' level. Requires: a valid filter.
bool has_wildcards(std::string_view filter) noexcept;

}  // namespace harperrt::topic
