#include "common/encoding/content_type.hpp"

#include <array>
#include <cstddef>

namespace harperrt::encoding {
namespace {

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Splits at the first `sep` outside a quoted-string (RFC 9110 §5.6.4): `head` gets the
// part before it, the return value the rest (empty if none).
std::string_view split_unquoted(std::string_view s, char sep, std::string_view& head) noexcept {
    bool quoted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (quoted) {
            if (c == '\\') ++i;  // quoted-pair
            else if (c == '"') quoted = false;
        } else if (c == '"') {
            quoted = true;
        } else if (c == sep) {
            head = s.substr(0, i);
            return s.substr(i + 1);
        }
    }
    head = s;
    return {};
}

// RFC 9110 §12.4.2 qvalue: 0[.ddd] or 1[.000], as thousandths; -1 if malformed.
int parse_qvalue(std::string_view s) noexcept {
    if (s.empty() || (s[0] != '0' && s[0] != '1')) return -1;
    int q = (s[0] - '0') * 1000;
    if (s.size() == 1) return q;
    if (s[1] != '.' || s.size() > 5) return -1;
    int scale = 100;
    for (std::size_t i = 2; i < s.size(); ++i, scale /= 10) {
        if (s[i] < '0' || s[i] > '9') return -1;
        q += (s[i] - '0') * scale;
    }
    return q <= 1000 ? q : -1;
}

enum class Range { json, cbor, msgpack, application_any, any, other };

Range classify(std::string_view media_range) noexcept {
    if (auto f = format_from_content_type(media_range)) return static_cast<Range>(*f);
    if (iequals(media_range, "application/*")) return Range::application_any;
    if (iequals(media_range, "*/*")) return Range::any;
    return Range::other;
}

}  // namespace

std::optional<Format> format_from_content_type(std::string_view media_type) noexcept {
    const std::string_view type = trim(media_type.substr(0, media_type.find(';')));
    if (iequals(type, "application/json")) return Format::json;
    if (iequals(type, "application/cbor")) return Format::cbor;
    if (iequals(type, "application/x-msgpack") || iequals(type, "application/msgpack") ||
        iequals(type, "application/vnd.msgpack"))
        return Format::msgpack;
    return std::nullopt;
}

std::string_view content_type(Format format) noexcept {
    switch (format) {
    case Format::json: return "application/json";
    case Format::cbor: return "application/cbor";
    case Format::msgpack: return "application/x-msgpack";
    }
    return "application/octet-stream";
}

std::optional<Format> format_from_name(std::string_view n) noexcept {
    if (iequals(n, "json")) return Format::json;
    if (iequals(n, "cbor")) return Format::cbor;
    if (iequals(n, "msgpack")) return Format::msgpack;
    return std::nullopt;
}

std::string_view name(Format format) noexcept {
    switch (format) {
    case Format::json: return "json";
    case Format::cbor: return "cbor";
    case Format::msgpack: return "msgpack";
    }
    return "unknown";
}

std::optional<Format> choose_from_accept(std::string_view accept_header) noexcept {
    struct Match {
        int specificity = 0;  // 0 no range matched, 1 */*, 2 application/*, 3 the type itself
        int q = 0;            // thousandths
        std::size_t position = 0;
    };
    std::array<Match, 3> match{};  // indexed by Format

    std::string_view rest = accept_header;
    for (std::size_t position = 0; !trim(rest).empty(); ++position) {
        std::string_view element;
        rest = split_unquoted(rest, ',', element);
        std::string_view params;
        std::string_view params_rest = split_unquoted(element, ';', params);
        const Range range = classify(trim(params));
        if (range == Range::other) continue;

        int q = 1000;
        while (!trim(params_rest).empty()) {
            std::string_view param;
            params_rest = split_unquoted(params_rest, ';', param);
            const auto eq = param.find('=');
            if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), "q")) {
                q = parse_qvalue(trim(param.substr(eq + 1)));
                break;  // parameters after q are accept-ext, not media-type parameters
            }
        }
        if (q < 0) continue;

        const int specificity = range == Range::any ? 1 : range == Range::application_any ? 2 : 3;
        for (std::size_t f = 0; f < match.size(); ++f) {
            if (specificity == 3 && static_cast<std::size_t>(range) != f) continue;
            if (specificity > match[f].specificity)  // the most specific range decides (§12.5.1)
                match[f] = Match{specificity, q, position};
        }
    }

    std::optional<std::size_t> best;
    for (std::size_t f = 0; f < match.size(); ++f) {
        const Match& m = match[f];
        if (m.q == 0) continue;  // excluded, or matched by nothing
        if (!best) {
            best = f;
            continue;
        }
        const Match& b = match[*best];
        const bool explicit_m = m.specificity == 3, explicit_b = b.specificity == 3;
        if (m.q > b.q || (m.q == b.q && explicit_m && !explicit_b) ||
            (m.q == b.q && explicit_m == explicit_b && m.position < b.position))
            best = f;
    }
    if (!best) return std::nullopt;
    const Match& b = match[*best];
    if (b.specificity < 3) {
        bool all_equal = true;
        for (const Match& m : match) all_equal = all_equal && m.q == b.q;
        if (all_equal) return std::nullopt;  // a wildcard accepting everything alike
    }
    return static_cast<Format>(*best);
}

}  // namespace harperrt::encoding
