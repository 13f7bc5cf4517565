// Test helpers for byte vectors written as hex text: hex("30 02 00 01") builds the bytes,
// to_hex(bytes) prints them back (lower case, no spaces) for readable assertion failures.
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace harperrt::test {

// Bytes from hex digits; spaces, newlines and '_' are ignored so vectors can be grouped.
// Throws std::invalid_argument on anything else or an odd digit count: a broken test
// vector is a bug in the test.
inline std::vector<std::byte> hex(std::string_view text) {
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::vector<std::byte> out;
    int high = -1;
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == '\t' || c == '_') continue;
        const int d = digit(c);
        if (d < 0) throw std::invalid_argument("hex: bad digit in test vector");
        if (high < 0) {
            high = d;
        } else {
            out.push_back(static_cast<std::byte>((high << 4) | d));
            high = -1;
        }
    }
    if (high >= 0) throw std::invalid_argument("hex: odd number of digits in test vector");
    return out;
}

inline std::string to_hex(std::span<const std::byte> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(bytes.size() * 2);
    for (auto b : bytes) {
        const auto v = std::to_integer<unsigned>(b);
        s.push_back(digits[v >> 4]);
        s.push_back(digits[v & 0xf]);
    }
    return s;
}

}  // namespace harperrt::test
