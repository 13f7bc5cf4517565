// Base64 and the public UTF-8 check, shared by the codecs and display (UTF-8 and JSON
// strings themselves are common/util/text.hpp).
#include "common/encoding/detail.hpp"
#include "common/encoding/detect.hpp"

#include <cstdint>
#include <cstring>

namespace harperrt::encoding {
namespace detail {

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
