// util/text: the UTF-8 check and the JSON string writers take eight bytes at a time over
// plain ASCII; they must agree with a byte-at-a-time reference wherever a special byte sits
// relative to those eight-byte steps.
#include "common/util/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace harperrt::util {
namespace {

// Byte-at-a-time reference of append_json_string's contract (text.hpp).
std::string reference_json(std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    for (std::size_t i = 0; i < s.size();) {
        const unsigned c = p[i];
        if (c >= 0x80) {
            const auto len = utf8_sequence(p + i, s.size() - i);
            if (len == 0) {
                out += "\xef\xbf\xbd";
                ++i;
            } else {
                out.append(s.substr(i, len));
                i += len;
            }
            continue;
        }
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
                out += "\\u00";
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 15]);
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
        ++i;
    }
    return out + "\"";
}

bool reference_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    for (std::size_t i = 0; i < s.size();) {
        const auto len = utf8_sequence(p + i, s.size() - i);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

TEST(UtilText, EverySpecialByteAtEveryOffset) {
    // Bytes that need attention (escapes, the edges of the plain range, UTF-8 leads and
    // continuations, ill-formed bytes) placed at each position of ASCII strings of lengths
    // 0..40, so each lands at every place inside and across the eight-byte steps.
    const std::string specials[] = {"\"", "\\", "\x1f", std::string(1, '\0'), "\n", " ", "\x7f", "~", "!", "#", "[", "]",
                                    "\xc3\xa9", "\xe6\xb0\xb4", "\xf0\x9f\x98\x80", "\xff", "\x80", "\xc3", "\xed\xa0\x80"};
    int checked = 0;
    for (std::size_t len = 0; len <= 40; ++len) {
        for (std::size_t at = 0; at <= len; ++at) {
            for (const auto& sp : specials) {
                std::string s(len, 'a');
                s.insert(at, sp);
                std::string out;
                append_json_string(out, s);
                ASSERT_EQ(out, reference_json(s)) << "len " << len << " at " << at;
                ASSERT_EQ(is_well_formed_utf8(s), reference_utf8(s)) << "len " << len << " at " << at;
                // The strict writer: the same literal for well-formed text, a refusal otherwise.
                std::string strict = "x";
                const bool ok = append_json_string_strict(strict, s);
                ASSERT_EQ(ok, reference_utf8(s)) << "len " << len << " at " << at;
                if (ok) {
                    ASSERT_EQ(strict, "x" + reference_json(s)) << "len " << len << " at " << at;
                }
                ++checked;
            }
        }
    }
    EXPECT_GT(checked, 15000);
}

TEST(UtilText, PlainAsciiPassesThrough) {
    std::string s;
    for (int c = 0x20; c < 0x7f; ++c)
        if (c != '"' && c != '\\') s.push_back(static_cast<char>(c));
    std::string out;
    append_json_string(out, s);
    EXPECT_EQ(out, "\"" + s + "\"");
    EXPECT_TRUE(is_well_formed_utf8(s));
    EXPECT_FALSE(is_well_formed_utf8(s + "\xc0\xaf"));  // overlong '/'
}

}  // namespace
}  // namespace harperrt::util
