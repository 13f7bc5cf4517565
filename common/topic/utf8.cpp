#include "common/topic/utf8.hpp"

#include <cstddef>
#include <cstdint>

namespace harperrt::topic {

bool is_well_formed_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* const end = p + s.size();
    while (p != end) {
        const unsigned char b0 = *p;
        if (b0 < 0x80) {  // ASCII, the common case
            ++p;
            continue;
        }
        // Lead byte ranges and the allowed range of the first continuation byte
        // (Unicode Table 3-7), which excludes overlongs, surrogates and > U+10FFFF.
        std::size_t len = 0;
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2;
        } else if (b0 == 0xE0) {
            len = 3, lo = 0xA0;
        } else if (b0 == 0xED) {
            len = 3, hi = 0x9F;  // U+D800..U+DFFF are surrogates
        } else if (b0 >= 0xE1 && b0 <= 0xEF) {
            len = 3;
        } else if (b0 == 0xF0) {
            len = 4, lo = 0x90;
        } else if (b0 >= 0xF1 && b0 <= 0xF3) {
            len = 4;
        } else if (b0 == 0xF4) {
            len = 4, hi = 0x8F;
        } else {
            return false;  // continuation byte as lead, C0/C1 (overlong), F5..FF
        }
        if (static_cast<std::size_t>(end - p) < len) return false;
        if (p[1] < lo || p[1] > hi) return false;
        for (std::size_t i = 2; i < len; ++i)
            if ((p[i] & 0xC0) != 0x80) return false;
        p += len;
    }
    return true;
}

}  // namespace harperrt::topic
