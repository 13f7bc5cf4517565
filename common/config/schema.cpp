#include "common/config/schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

namespace harperrt::config {

namespace {

template <class E, std::size_t N>
std::string_view enum_name(const std::array<std::string_view, N>& names, E e) {
    const auto i = static_cast<std::size_t>(e);
    return i < N ? names[i] : std::string_view{"?"};
}

// Spellings, indexed by enumerator value.
constexpr std::array<std::string_view, 3> format_names{"json", "cbor", "msgpack"};
constexpr std::array<std::string_view, 3> sync_names{"full", "normal", "off"};
constexpr std::array<std::string_view, 5> level_names{"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 2> log_format_names{"text", "json"};
constexpr std::array<std::string_view, 2> v3_reject_names{"ack", "disconnect"};
constexpr std::array<std::string_view, 2> topic_access_names{"allow", "deny"};
constexpr std::array<std::string_view, 2> key_type_names{"string", "int"};

}  // namespace

std::string_view to_string(Format f) { return enum_name(format_names, f); }
std::string_view to_string(SyncMode m) { return enum_name(sync_names, m); }
std::string_view to_string(LogLevel l) { return enum_name(level_names, l); }
std::string_view to_string(LogFormat f) { return enum_name(log_format_names, f); }
std::string_view to_string(V3RejectAction a) { return enum_name(v3_reject_names, a); }
std::string_view to_string(TopicAccess a) { return enum_name(topic_access_names, a); }
std::string_view to_string(KeyType k) { return enum_name(key_type_names, k); }

namespace detail {
namespace {

using Problem = std::optional<std::string>;

std::string single_quoted(std::string_view s) { return fmt::format("'{}'", s); }

template <std::size_t N>
std::string one_of(const std::array<std::string_view, N>& names) {
    return fmt::format("{}", fmt::join(names, ", "));
}

template <class E, std::size_t N>
Problem parse_enum(const ScalarText& v, const std::array<std::string_view, N>& names, E& out) {
    if (v.is_null) return fmt::format("expected one of {}, got null", one_of(names));
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == v.text) {
            out = static_cast<E>(i);
            return std::nullopt;
        }
    }
    return fmt::format("{} is not one of {}", single_quoted(v.text), one_of(names));
}

// Decimal digits only: YAML's 0x10, 1_000 or 1e3 are refused rather than guessed at.
Problem parse_unsigned(const ScalarText& v, std::uint64_t min, std::uint64_t max, std::uint64_t& out) {
    const auto range = fmt::format("({}-{})", min, max);
    if (v.is_null) return fmt::format("expected an integer {}, got null", range);
    std::string_view t = v.text;
    const bool negative = !t.empty() && t.front() == '-';
    if (negative) t.remove_prefix(1);
    const bool digits = !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) return fmt::format("expected an integer {}, got {}", range, single_quoted(v.text));
    std::uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    const bool zero = n == 0 && ec == std::errc{};
    if (ec == std::errc::result_out_of_range || (negative && !zero) || n < min || n > max)
        return fmt::format("{} is out of range {}", v.text, range);
    (void)ptr;
    out = n;
    return std::nullopt;
}

// Each helper takes `access`, a generic lambda `[](auto& c) -> auto& { return c.x.y; }`
// that yields the field of a Config or a const Config.

template <class Access>
ScalarKey bool_key(std::string path, Access access) {
    return {std::move(path), "true or false",
            [=](Config& c, const ScalarText& v) { return parse_bool(v, access(c)); },
            [=](const Config& c) { return ScalarValue{access(c) ? "true" : "false", false}; }};
}

// mqtt.requireAuthentication: null (or not written) leaves the decision to the listeners.
template <class Access>
ScalarKey optional_bool_key(std::string path, Access access) {
    return {std::move(path), "true, false or null",
            [=](Config& c, const ScalarText& v) -> Problem {
                if (v.is_null) {
                    access(c).reset();
                    return std::nullopt;
                }
                bool b = false;
                if (auto p = parse_bool(v, b)) return p;
                access(c) = b;
                return std::nullopt;
            },
            [=](const Config& c) {
                const auto& b = access(c);
                return b ? ScalarValue{*b ? "true" : "false", false} : ScalarValue{};
            }};
}

template <class Access>
ScalarKey string_key(std::string path, Access access) {
    return {std::move(path), "a string",
            [=](Config& c, const ScalarText& v) -> Problem {
                if (v.is_null) return std::string("expected a string, got null");
                if (v.text.empty()) return std::string("must not be empty");
                access(c) = v.text;
                return std::nullopt;
            },
            [=](const Config& c) {
                const auto& s = access(c);
                if constexpr (std::is_same_v<std::decay_t<decltype(s)>, std::filesystem::path>)
                    return ScalarValue{s.string(), true};
                else
                    return ScalarValue{s, true};
            }};
}

// A file path that may be null (tls.*).
template <class Access>
ScalarKey optional_path_key(std::string path, Access access) {
    return {std::move(path), "a file path or null",
            [=](Config& c, const ScalarText& v) -> Problem {
                if (v.is_null) {
                    access(c).reset();
                    return std::nullopt;
                }
                if (v.text.empty()) return std::string("must not be empty (use null for none)");
                access(c) = std::filesystem::path(v.text);
                return std::nullopt;
            },
            [=](const Config& c) {
                const auto& p = access(c);
                return p ? ScalarValue{p->string(), true} : ScalarValue{};
            }};
}

// A port that may be null (no listener); 0 asks the OS for any free port.
template <class Access>
ScalarKey port_key(std::string path, Access access) {
    return {std::move(path), "a port number (0-65535) or null",
            [=](Config& c, const ScalarText& v) -> Problem {
                if (v.is_null) {
                    access(c).reset();
                    return std::nullopt;
                }
                std::uint64_t n = 0;
                if (auto p = parse_unsigned(v, 0, 65535, n)) return p;
                access(c) = static_cast<std::uint16_t>(n);
                return std::nullopt;
            },
            [=](const Config& c) {
                const auto& p = access(c);
                return p ? ScalarValue{std::to_string(*p), false} : ScalarValue{};
            }};
}

template <class Access>
ScalarKey uint_key(std::string path, std::uint64_t min, std::uint64_t max, std::string_view expected,
                   Access access) {
    return {std::move(path), expected,
            [=](Config& c, const ScalarText& v) -> Problem {
                std::uint64_t n = 0;
                if (auto p = parse_unsigned(v, min, max, n)) return p;
                using T = std::decay_t<decltype(access(c))>;
                access(c) = static_cast<T>(n);
                return std::nullopt;
            },
            [=](const Config& c) { return ScalarValue{std::to_string(access(c)), false}; }};
}

template <class Access>
ScalarKey seconds_key(std::string path, std::uint64_t min, std::uint64_t max, std::string_view expected,
                      Access access) {
    return {std::move(path), expected,
            [=](Config& c, const ScalarText& v) -> Problem {
                std::uint64_t n = 0;
                if (auto p = parse_unsigned(v, min, max, n)) return p;
                access(c) = std::chrono::seconds(static_cast<std::chrono::seconds::rep>(n));
                return std::nullopt;
            },
            [=](const Config& c) { return ScalarValue{std::to_string(access(c).count()), false}; }};
}

template <std::size_t N, class Access>
ScalarKey enum_key(std::string path, const std::array<std::string_view, N>& names, std::string_view expected,
                   Access access) {
    return {std::move(path), expected,
            [=](Config& c, const ScalarText& v) { return parse_enum(v, names, access(c)); },
            [=](const Config& c) { return ScalarValue{std::string(to_string(access(c))), false}; }};
}

constexpr std::uint64_t u16_max = std::numeric_limits<std::uint16_t>::max();
constexpr std::uint64_t u32_max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t i63_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

std::vector<ScalarKey> make_table() {
    std::vector<ScalarKey> t;
    t.push_back(string_key("rootPath", [](auto& c) -> auto& { return c.root_path; }));
    t.push_back(uint_key("threads", 1, 1024, "an integer (1-1024)", [](auto& c) -> auto& { return c.threads; }));

    t.push_back(port_key("http.port", [](auto& c) -> auto& { return c.http.port; }));
    t.push_back(port_key("http.securePort", [](auto& c) -> auto& { return c.http.secure_port; }));
    t.push_back(string_key("http.host", [](auto& c) -> auto& { return c.http.host; }));

    t.push_back(string_key("mqtt.network.host", [](auto& c) -> auto& { return c.mqtt.network.host; }));
    t.push_back(port_key("mqtt.network.port", [](auto& c) -> auto& { return c.mqtt.network.port; }));
    t.push_back(port_key("mqtt.network.securePort", [](auto& c) -> auto& { return c.mqtt.network.secure_port; }));
    t.push_back(bool_key("mqtt.network.mtls", [](auto& c) -> auto& { return c.mqtt.network.mtls; }));
    t.push_back(bool_key("mqtt.webSocket", [](auto& c) -> auto& { return c.mqtt.web_socket; }));
    t.push_back(optional_bool_key("mqtt.requireAuthentication",
                                  [](auto& c) -> auto& { return c.mqtt.require_authentication; }));
    t.push_back(bool_key("mqtt.strictTopics", [](auto& c) -> auto& { return c.mqtt.strict_topics; }));
    t.push_back(enum_key("mqtt.defaultFormat", format_names, "json, cbor or msgpack",
                         [](auto& c) -> auto& { return c.mqtt.default_format; }));
    t.push_back(enum_key("mqtt.defaultTopicAccess", topic_access_names, "allow or deny",
                         [](auto& c) -> auto& { return c.mqtt.default_topic_access; }));
    t.push_back(enum_key("mqtt.v3RejectAction", v3_reject_names, "ack or disconnect",
                         [](auto& c) -> auto& { return c.mqtt.v3_reject_action; }));
    t.push_back(seconds_key("mqtt.sysInterval", 0, 86400, "seconds (0-86400)",
                            [](auto& c) -> auto& { return c.mqtt.sys_interval; }));

    t.push_back(uint_key("mqtt.limits.maxConnections", 1, u32_max, "an integer (1-4294967295)",
                         [](auto& c) -> auto& { return c.mqtt.limits.max_connections; }));
    t.push_back(uint_key("mqtt.limits.maxPacketSize", 1, 268435455, "bytes (1-268435455)",
                         [](auto& c) -> auto& { return c.mqtt.limits.max_packet_size; }));
    t.push_back(seconds_key("mqtt.limits.maxKeepalive", 0, u16_max, "seconds (0-65535)",
                            [](auto& c) -> auto& { return c.mqtt.limits.max_keepalive; }));
    t.push_back(uint_key("mqtt.limits.maxQueuedMessages", 1, u32_max, "an integer (1-4294967295)",
                         [](auto& c) -> auto& { return c.mqtt.limits.max_queued_messages; }));
    t.push_back(uint_key("mqtt.limits.maxInflight", 1, u16_max, "an integer (1-65535)",
                         [](auto& c) -> auto& { return c.mqtt.limits.max_inflight; }));
    t.push_back(uint_key("mqtt.limits.connectRatePerIp", 0, u32_max, "connections per second (0-4294967295)",
                         [](auto& c) -> auto& { return c.mqtt.limits.connect_rate_per_ip; }));
    t.push_back(seconds_key("mqtt.limits.maxSessionExpiry", 0, u32_max, "seconds (0-4294967295)",
                            [](auto& c) -> auto& { return c.mqtt.limits.max_session_expiry; }));
    t.push_back(seconds_key("mqtt.limits.v3SessionExpiry", 0, u32_max, "seconds (0-4294967295)",
                            [](auto& c) -> auto& { return c.mqtt.limits.v3_session_expiry; }));
    t.push_back(uint_key("mqtt.limits.maxOutputBuffer", 1, i63_max, "bytes (1-9223372036854775807)",
                         [](auto& c) -> auto& { return c.mqtt.limits.max_output_buffer; }));
    t.push_back(uint_key("mqtt.limits.maxTopicAlias", 0, u16_max, "an integer (0-65535)",
                         [](auto& c) -> auto& { return c.mqtt.limits.max_topic_alias; }));
    t.push_back(seconds_key("mqtt.limits.connectTimeout", 1, u16_max, "seconds (1-65535)",
                            [](auto& c) -> auto& { return c.mqtt.limits.connect_timeout; }));
    t.push_back(uint_key("mqtt.limits.serverReceiveMaximum", 1, u16_max, "an integer (1-65535)",
                         [](auto& c) -> auto& { return c.mqtt.limits.server_receive_maximum; }));

    t.push_back(optional_path_key("tls.certificate", [](auto& c) -> auto& { return c.tls.certificate; }));
    t.push_back(optional_path_key("tls.privateKey", [](auto& c) -> auto& { return c.tls.private_key; }));
    t.push_back(optional_path_key("tls.certificateAuthority",
                                  [](auto& c) -> auto& { return c.tls.certificate_authority; }));

    t.push_back(enum_key("storage.sync", sync_names, "full, normal or off",
                         [](auto& c) -> auto& { return c.storage.sync; }));
    t.push_back(enum_key("logging.level", level_names, "trace, debug, info, warn or error",
                         [](auto& c) -> auto& { return c.logging.level; }));
    t.push_back(enum_key("logging.format", log_format_names, "text or json",
                         [](auto& c) -> auto& { return c.logging.format; }));
    return t;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

}  // namespace

const std::vector<ScalarKey>& scalar_key_table() {
    static const std::vector<ScalarKey> table = make_table();
    return table;
}

const ScalarKey* find_scalar_key(std::string_view path) {
    for (const auto& k : scalar_key_table())
        if (k.path == path) return &k;
    return nullptr;
}

std::optional<std::string> parse_format(const ScalarText& v, Format& out) { return parse_enum(v, format_names, out); }
std::optional<std::string> parse_key_type(const ScalarText& v, KeyType& out) {
    return parse_enum(v, key_type_names, out);
}

// YAML 1.2 core schema booleans; yaml-cpp's 1.1 extras (yes, on, y) are refused so that
// a value means the same to every YAML tool.
std::optional<std::string> parse_bool(const ScalarText& v, bool& out) {
    if (v.is_null) return std::string("expected true or false, got null");
    if (v.text == "true" || v.text == "True" || v.text == "TRUE") {
        out = true;
        return std::nullopt;
    }
    if (v.text == "false" || v.text == "False" || v.text == "FALSE") {
        out = false;
        return std::nullopt;
    }
    return fmt::format("expected true or false, got {}", single_quoted(v.text));
}

std::string yaml_quote(std::string_view s) {
    static constexpr std::array<std::string_view, 12> reserved{
        "null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "no"};
    bool plain = !s.empty() && std::find(reserved.begin(), reserved.end(), s) == reserved.end();
    if (plain) {
        const char first = s.front();
        // Indicators that may not start a plain scalar, and text that would read as a number.
        if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(first) != std::string_view::npos) plain = false;
        if ((first >= '0' && first <= '9') || first == '.' || first == '+') {
            // "./data" and "127.0.0.1" are strings to YAML; digits-only or float-like are not.
            const bool numeric = std::all_of(s.begin(), s.end(), [](char c) {
                return (c >= '0' && c <= '9') || c == '.' || c == '+' || c == 'e' || c == 'E' || c == '_';
            }) && std::count(s.begin(), s.end(), '.') <= 1;
            if (numeric) plain = false;
        }
        if (s.front() == ' ' || s.back() == ' ') plain = false;
        if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) plain = false;
        if (s.back() == ':') plain = false;
        if (s.find_first_of(",[]{}:") != std::string_view::npos) plain = false;  // flow lists
        if (std::any_of(s.begin(), s.end(), [](char c) {
                return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '"' || c == '\\';
            }))
            plain = false;
    }
    if (plain) return std::string(s);
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                out += fmt::format("\\x{:02x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
            else
                out += c;
        }
    }
    out += '"';
    return out;
}

std::optional<std::string> suggest(std::string_view word, std::span<const std::string> candidates) {
    const std::string w = lower(word);
    std::optional<std::string> best;
    std::size_t best_distance = std::max<std::size_t>(2, w.size() / 3) + 1;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(w, lower(c));
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

}  // namespace detail
}  // namespace harperrt::config
