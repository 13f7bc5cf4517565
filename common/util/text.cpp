#include "common/util/text.hpp"

#include <cstdint>
#include <cstring>

namespace harperrt::util {

namespace {

// Eight bytes at a time (SWAR) for the common stretch of plain ASCII; the byte loops below
// handle everything else.
constexpr std::uint64_t ones = 0x0101010101010101ull;
constexpr std::uint64_t highs = 0x8080808080808080ull;

std::uint64_t load8(const unsigned char* p) noexcept {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

// Some byte of `v` is zero.
constexpr bool has_zero_byte(std::uint64_t v) noexcept { return ((v - ones) & ~v & highs) != 0; }

// All eight bytes are ASCII.
constexpr bool all_ascii(std::uint64_t w) noexcept { return (w & highs) == 0; }

// All eight bytes are ASCII that JSON writes as it is: 0x20..0x7f except '"' and '\\'.
constexpr bool all_plain_json(std::uint64_t w) noexcept {
    return all_ascii(w) && ((w - ones * 0x20) & ~w & highs) == 0 && !has_zero_byte(w ^ (ones * '"')) &&
           !has_zero_byte(w ^ (ones * '\\'));
}

}  // namespace

std::size_t utf8_sequence(const unsigned char* p, std::size_t avail) noexcept {
    // RFC 3629 §4 table: the second byte's range depends on the first; the rest are 80..BF.
    const unsigned c = p[0];
    if (c < 0x80) return 1;
    std::size_t len;
    unsigned lo = 0x80, hi = 0xbf;
    if (c < 0xc2) return 0;  // continuation byte or overlong 2-byte lead
    if (c < 0xe0) {
        len = 2;
    } else if (c < 0xf0) {
        len = 3;
        if (c == 0xe0) lo = 0xa0;       // overlong
        else if (c == 0xed) hi = 0x9f;  // surrogates U+D800..U+DFFF
    } else if (c < 0xf5) {
        len = 4;
        if (c == 0xf0) lo = 0x90;       // overlong
        else if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
    } else {
        return 0;
    }
    if (avail < len) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (std::size_t i = 2; i < len; ++i)
        if ((p[i] & 0xc0) != 0x80) return 0;
    return len;
}

bool is_well_formed_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        if (n - i >= 8 && all_ascii(load8(p + i))) {
            i += 8;
            continue;
        }
        if (p[i] < 0x80) {  // ASCII, the common case
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence(p + i, n - i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

namespace {
// append_json_string and append_json_string_strict: `strict` gives up (false) at the
// first ill-formed byte instead of writing U+FFFD for it.
template <bool strict>
bool append_json(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    out.push_back('"');
    std::size_t run = 0;  // start of the pending stretch copied verbatim
    std::size_t i = 0;
    while (i < n) {
        if (n - i >= 8 && all_plain_json(load8(p + i))) {
            i += 8;
            continue;
        }
        const unsigned c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            const std::size_t len = utf8_sequence(p + i, n - i);
            if (len != 0) {
                i += len;
                continue;
            }
            if constexpr (strict) return false;
        }
        out.append(s.data() + run, i - run);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                out.append(esc, sizeof esc);
            } else {
                out += "\xef\xbf\xbd";  // U+FFFD for an ill-formed byte
            }
        }
        run = ++i;
    }
    out.append(s.data() + run, n - run);
    out.push_back('"');
    return true;
}
}  // namespace

void append_json_string(std::string& out, std::string_view s) { append_json<false>(out, s); }

bool append_json_string_strict(std::string& out, std::string_view s) { return append_json<true>(out, s); }

}  // namespace harperrt::util
