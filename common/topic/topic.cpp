#include "common/topic/topic.hpp"

#include "common/topic/utf8.hpp"

namespace harperrt::topic {
namespace {

constexpr std::string_view share_prefix = "$share/";

// The checks every MQTT UTF-8 string gets, plus the topic length rules.
Result<void> validate_common(std::string_view s) {
    if (s.empty()) return error(Errc::empty);               // v5/v3.1.1 [MQTT-4.7.3-1]
    if (s.size() > max_topic_bytes) return error(Errc::too_long);  // [MQTT-4.7.3-3]
    const auto nul = s.find('\0');                           // [MQTT-4.7.3-2], [MQTT-1.5.4-2]
    const auto checked = nul == std::string_view::npos ? s : s.substr(0, nul);
    if (!is_well_formed_utf8(checked)) return error(Errc::invalid_utf8);  // v5 [MQTT-1.5.4-1]
    if (nul != std::string_view::npos) return error(Errc::null_character);
    return ok();
}

}  // namespace

Result<void> validate_topic_name(std::string_view name) {
    if (auto r = validate_common(name); !r) return r;
    // v5 [MQTT-4.7.0-1], v3.1.1 [MQTT-4.7.1-1]: wildcards only in filters.
    if (name.find_first_of("+#") != std::string_view::npos) return error(Errc::wildcard_in_name);
    return ok();
}

Result<void> validate_topic_filter(std::string_view filter) {
    if (auto r = validate_common(filter); !r) return r;
    for (auto it = LevelIterator(filter); it != LevelIterator(); ++it) {
        const std::string_view level = *it;
        if (level.size() == 1 && level[0] == '+') continue;  // v5 [MQTT-4.7.1-2], v3.1.1 [MQTT-4.7.1-3]
        if (level.size() == 1 && level[0] == '#') {
            // v5 [MQTT-4.7.1-1], v3.1.1 [MQTT-4.7.1-2]: '#' alone in the last level.
            if (!it.is_last()) return error(Errc::bad_wildcard);
            continue;
        }
        if (level.find_first_of("+#") != std::string_view::npos) return error(Errc::bad_wildcard);
    }
    return ok();
}

Result<Filter> parse_subscription(std::string_view subscription) {
    if (!subscription.starts_with(share_prefix)) {
        if (auto r = validate_topic_filter(subscription); !r) return error(r.error());
        return Filter{{}, std::string(subscription)};
    }
    // The whole string is one MQTT string: length, U+0000 and UTF-8 apply to all of it.
    if (auto r = validate_common(subscription); !r) return error(r.error());
    const auto rest = subscription.substr(share_prefix.size());
    const auto slash = rest.find('/');
    // v5 [MQTT-4.8.2-2]: the ShareName is followed by '/' and a topic filter.
    if (slash == std::string_view::npos) return error(Errc::bad_share_name);
    const auto group = rest.substr(0, slash);
    const auto filter = rest.substr(slash + 1);
    if (group.empty()) return error(Errc::bad_share_name);   // v5 [MQTT-4.8.2-1]
    if (group.find_first_of("+#") != std::string_view::npos)  // v5 [MQTT-4.8.2-2]
        return error(Errc::bad_share_name);
    if (filter.empty()) return error(Errc::bad_share_name);  // v5 [MQTT-4.8.2-2]
    if (auto r = validate_topic_filter(filter); !r) return error(r.error());
    return Filter{std::string(group), std::string(filter)};
}

bool matches(std::string_view filter, std::string_view name) noexcept {
    // v5/v3.1.1 [MQTT-4.7.2-1]: `$` topics are the server's; a filter starting with a
    // wildcard does not reach them ("#" does not match "$SYS/x", "$SYS/#" does).
    if (!name.empty() && name.front() == '$' && !filter.empty() &&
        (filter.front() == '+' || filter.front() == '#'))
        return false;
    auto f = LevelIterator(filter);
    auto n = LevelIterator(name);
    const LevelIterator end;
    for (;;) {
        if (f == end) return n == end;
        const std::string_view level = *f;
        if (level == "#") return true;  // matches the parent level too ("sport/#" ~ "sport")
        if (n == end) return false;
        if (level != "+" && level != *n) return false;
        ++f;
        ++n;
    }
}

bool has_wildcards(std::string_view filter) noexcept {
    // In a valid filter '+' and '#' only ever stand alone in a level.
    return filter.find_first_of("+#") != std::string_view::npos;
}

}  // namespace harperrt::topic
