// Test helpers for the encoding tests: hex byte vectors, and Values printed as JSON.
#pragma once

#include "common/encoding/codec.hpp"

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

namespace harperrt::encoding::test {

// "1903e8" -> the three bytes 0x19 0x03 0xe8 as a std::string; spaces are ignored.
inline std::string hex(std::string_view h) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    std::string out;
    int pending = -1;
    for (char c : h) {
        if (c == ' ') continue;
        if (pending < 0) {
            pending = nibble(c);
        } else {
            out.push_back(static_cast<char>(pending << 4 | nibble(c)));
            pending = -1;
        }
    }
    return out;
}

// The bytes of `s` as lowercase hex, for readable failure messages.
inline std::string to_hex(std::string_view s) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

}  // namespace harperrt::encoding::test

namespace harperrt::encoding {

// GoogleTest prints a Value as its JSON text (NaN and Infinity show as null).
inline void PrintTo(const Value& v, std::ostream* os) { *os << encode(v, Format::json); }

}  // namespace harperrt::encoding
