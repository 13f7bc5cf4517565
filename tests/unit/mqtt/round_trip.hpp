// Shared helper of the codec tests: decode a spec vector, check it encodes back to the same
// bytes, and hand the packet over for field checks.
#pragma once

#include "common/mqtt/codec.hpp"
#include "tests/support/hex.hpp"

#include <gtest/gtest.h>

#include <variant>

namespace harperrt::mqtt::test {

// Decodes `bytes` in `version` as a P; expects encode() to give `bytes` back, encoded_size()
// to agree and decode(encode()) to be equal. Returns a default P after a failed expectation.
template <class P>
P round_trip(const Bytes& bytes, Version version) {
    using harperrt::test::to_hex;
    auto r = decode(bytes, version);
    EXPECT_TRUE(r) << "decode: " << r.error().message();
    if (!r) return P{};
    EXPECT_TRUE(std::holds_alternative<P>(*r)) << "decoded a " << name(type_of(*r));
    if (!std::holds_alternative<P>(*r)) return P{};
    const auto again = encode(*r, version);
    EXPECT_EQ(to_hex(again), to_hex(bytes));
    EXPECT_EQ(encoded_size(*r, version), bytes.size());
    return std::get<P>(*r);
}

}  // namespace harperrt::mqtt::test
