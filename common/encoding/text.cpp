// UTF-8 validation, JSON string escaping and base64, shared by the codecs and display.
#include "common/encoding/detail.hpp"
#include "common/encoding/detect.hpp"

#include <cstdint>
#include <cstring>

namespace harperrt::encoding {
namespace detail {

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

bool is_valid_utf8(const unsigned char* p, std::size_t n) noexcept {
    std::size_t i = 0;
    while (i < n) {
        // ASCII fast path, 8 bytes at a time.
        while (i + 8 <= n) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i == n) break;
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence(p + i, n - i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    out.push_back('"');
    std::size_t run = 0;  // start of the pending stretch copied verbatim
    std::size_t i = 0;
    while (i < n) {
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
}

void append_base64(std::string& out, const void* data, std::size_t n) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto* p = static_cast<const unsigned char*>(data);
    const std::size_t start = out.size();
    out.resize(start + (n + 2) / 3 * 4);
    char* o = out.data() + start;
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        const unsigned w = (unsigned{p[i]} << 16) | (unsigned{p[i + 1]} << 8) | p[i + 2];
        *o++ = alphabet[(w >> 18) & 63];
        *o++ = alphabet[(w >> 12) & 63];
        *o++ = alphabet[(w >> 6) & 63];
        *o++ = alphabet[w & 63];
    }
    if (i < n) {
        const unsigned w = (unsigned{p[i]} << 16) | (i + 1 < n ? unsigned{p[i + 1]} << 8 : 0u);
        *o++ = alphabet[(w >> 18) & 63];
        *o++ = alphabet[(w >> 12) & 63];
        *o++ = i + 1 < n ? alphabet[(w >> 6) & 63] : '=';
        *o++ = '=';
    }
}

}  // namespace detail

bool is_valid_utf8(std::string_view s) noexcept {
    return detail::is_valid_utf8(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

bool looks_like_json(std::string_view payload) noexcept { return detail::validate_json(payload) == Errc{}; }

}  // namespace harperrt::encoding
