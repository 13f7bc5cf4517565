// CBOR codec against the examples of RFC 8949 Appendix A. Each row is one example: the
// bytes, annotated (initial byte = major type / additional info, then the argument and
// content), and the Value they stand for. Rows marked `preferred` are what our encoder
// writes for that Value (preferred serialization, §4.1), so they are also encoded back.
#include "common/encoding/codec.hpp"
#include "tests/unit/encoding/hex.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <string>

namespace harperrt::encoding {
namespace {

using test::hex;
using test::to_hex;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

Bytes bytes(std::initializer_list<int> b) {
    Bytes out;
    for (int x : b) out.push_back(static_cast<std::byte>(x));
    return out;
}

Array one_to(int n) {
    Array a;
    for (int i = 1; i <= n; ++i) a.push_back(i);
    return a;
}

struct Example {
    const char* bytes;
    Value value;
    bool preferred;  // our encoder writes exactly these bytes for `value`

    friend void PrintTo(const Example& e, std::ostream* os) { *os << e.bytes; }
};

class EncodingCborRfc8949 : public ::testing::TestWithParam<Example> {};

TEST_P(EncodingCborRfc8949, DecodesAndEncodes) {
    const Example& ex = GetParam();
    const std::string wire = hex(ex.bytes);
    auto v = decode(wire, Format::cbor);
    ASSERT_TRUE(v) << ex.bytes << ": " << v.error().message();
    EXPECT_EQ(*v, ex.value) << ex.bytes;
    if (ex.preferred) {
        EXPECT_EQ(to_hex(encode(ex.value, Format::cbor)), to_hex(wire));
    }
    // Whatever the input form, our own encoding decodes to the same value.
    auto again = decode(encode(*v, Format::cbor), Format::cbor);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *v);
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(EncodingCborIntegers, EncodingCborRfc8949, ::testing::Values(
    Example{"00", 0, true},                              // major 0, value 0 in the initial byte
    Example{"01", 1, true},                              // major 0, 1
    Example{"0a", 10, true},                             // major 0, 10
    Example{"17", 23, true},                             // major 0, 23: largest immediate
    Example{"18 18", 24, true},                          // major 0, ai 24: 1-byte argument 0x18
    Example{"18 19", 25, true},                          // 1-byte argument 25
    Example{"18 64", 100, true},                         // 1-byte argument 100
    Example{"19 03e8", 1000, true},                      // ai 25: 2-byte argument 1000
    Example{"1a 000f4240", 1000000, true},               // ai 26: 4-byte argument
    Example{"1b 000000e8d4a51000", 1000000000000, true}, // ai 27: 8-byte argument
    Example{"1b ffffffffffffffff", UINT64_MAX, true},    // 2^64-1: the model's uint64
    Example{"c2 49 010000000000000000",                  // tag 2 (bignum, ignored), bytes(9)
            bytes({1, 0, 0, 0, 0, 0, 0, 0, 0}), false},  //   2^64 kept as its byte string
    Example{"c3 49 010000000000000000",                  // tag 3 (negative bignum, ignored)
            bytes({1, 0, 0, 0, 0, 0, 0, 0, 0}), false},  //   -2^64-1 kept as its byte string
    Example{"20", -1, true},                             // major 1: -1 - 0
    Example{"29", -10, true},                            // major 1: -1 - 9
    Example{"38 63", -100, true},                        // major 1, 1-byte argument 99
    Example{"39 03e7", -1000, true},                     // major 1, 2-byte argument 999
    Example{"3b 7fffffffffffffff", INT64_MIN, true}));   // -1 - (2^63-1) = -2^63

INSTANTIATE_TEST_SUITE_P(EncodingCborFloats, EncodingCborRfc8949, ::testing::Values(
    Example{"f9 0000", 0.0, true},                       // half: +0
    Example{"f9 8000", -0.0, true},                      // half: sign bit only
    Example{"f9 3c00", 1.0, true},                       // half: 1.0 stays a float
    Example{"fb 3ff199999999999a", 1.1, true},           // double: 1.1 has no shorter form
    Example{"f9 3e00", 1.5, true},                       // half: 1.5
    Example{"f9 7bff", 65504.0, true},                   // half: largest finite
    Example{"fa 47c35000", 100000.0, true},              // single: too big for half
    Example{"fa 7f7fffff", 3.4028234663852886e+38, true},// single: largest finite
    Example{"fb 7e37e43c8800759c", 1.0e+300, true},      // double
    Example{"f9 0001", 5.960464477539063e-8, true},      // half: smallest subnormal 2^-24
    Example{"f9 0400", 0.00006103515625, true},          // half: smallest normal 2^-14
    Example{"f9 c400", -4.0, true},                      // half: -4
    Example{"fb c010666666666666", -4.1, true},          // double: -4.1
    Example{"f9 7c00", inf, true},                       // half: +Infinity
    Example{"f9 7e00", nan, true},                       // half: NaN (canonical)
    Example{"f9 fc00", -inf, true},                      // half: -Infinity
    Example{"fa 7f800000", inf, false},                  // single: +Infinity
    Example{"fa 7fc00000", nan, false},                  // single: NaN
    Example{"fa ff800000", -inf, false},                 // single: -Infinity
    Example{"fb 7ff0000000000000", inf, false},          // double: +Infinity
    Example{"fb 7ff8000000000000", nan, false},          // double: NaN
    Example{"fb fff0000000000000", -inf, false}));       // double: -Infinity

INSTANTIATE_TEST_SUITE_P(EncodingCborSimpleAndTags, EncodingCborRfc8949, ::testing::Values(
    Example{"f4", false, true},                          // simple 20
    Example{"f5", true, true},                           // simple 21
    Example{"f6", nullptr, true},                        // simple 22: null
    Example{"f7", nullptr, false},                       // simple 23: undefined -> null
    Example{"c0 74 323031332d30332d32315432303a30343a30305a",  // tag 0 (date string), text(20)
            "2013-03-21T20:04:00Z", false},
    Example{"c1 1a 514b67b0", 1363896240, false},        // tag 1 (epoch), uint 4-byte
    Example{"c1 fb 41d452d9ec200000", 1363896240.5, false},    // tag 1, double
    Example{"d7 44 01020304", bytes({1, 2, 3, 4}), false},     // tag 23 (base16 hint), bytes(4)
    Example{"d8 18 45 6449455446",                       // tag 24 (1-byte tag number), bytes(5)
            bytes({0x64, 0x49, 0x45, 0x54, 0x46}), false},
    Example{"d8 20 76 687474703a2f2f7777772e6578616d706c652e636f6d",  // tag 32 (URI), text(22)
            "http://www.example.com", false}));

INSTANTIATE_TEST_SUITE_P(EncodingCborStrings, EncodingCborRfc8949, ::testing::Values(
    Example{"40", Bytes{}, true},                        // major 2, length 0
    Example{"44 01020304", bytes({1, 2, 3, 4}), true},   // major 2, length 4, content
    Example{"60", "", true},                             // major 3, length 0
    Example{"61 61", "a", true},                         // major 3, length 1, "a"
    Example{"64 49455446", "IETF", true},                // major 3, length 4
    Example{"62 225c", "\"\\", true},                    // quote and backslash, unescaped
    Example{"62 c3bc", "\u00fc", true},                  // ü, 2 UTF-8 bytes
    Example{"63 e6b0b4", "\u6c34", true},                // 水, 3 UTF-8 bytes
    Example{"64 f0908591", "\U00010151", true},          // U+10151, 4 UTF-8 bytes
    Example{"5f 42 0102 43 030405 ff",                   // indefinite bytes: chunk(2), chunk(3), break
            bytes({1, 2, 3, 4, 5}), false},
    Example{"7f 65 7374726561 64 6d696e67 ff",           // indefinite text: "strea", "ming", break
            "streaming", false}));

INSTANTIATE_TEST_SUITE_P(EncodingCborContainers, EncodingCborRfc8949, ::testing::Values(
    Example{"80", Array{}, true},                        // major 4, 0 items
    Example{"83 01 02 03", Array{1, 2, 3}, true},        // array(3): 1, 2, 3
    Example{"83 01 82 0203 82 0405",                     // array(3): 1, array(2), array(2)
            Array{1, Array{2, 3}, Array{4, 5}}, true},
    Example{"98 19 0102030405060708090a0b0c0d0e0f1011121314151617 1818 1819",  // array, 1-byte count 25
            one_to(25), true},
    Example{"a0", Map{}, true},                          // major 5, 0 pairs
    Example{"a2 01 02 03 04",                            // map(2) with integer keys 1, 3:
            Map{{"1", 2}, {"3", 4}}, false},             //   keys become decimal strings
    Example{"a2 6161 01 6162 82 0203",                   // map(2): "a": 1, "b": [2, 3]
            Map{{"a", 1}, {"b", Array{2, 3}}}, true},
    Example{"82 6161 a1 6162 6163",                      // array(2): "a", map(1) "b": "c"
            Array{"a", Map{{"b", "c"}}}, true},
    Example{"a5 6161 6141 6162 6142 6163 6143 6164 6144 6165 6145",  // map(5), "a": "A" ...
            Map{{"a", "A"}, {"b", "B"}, {"c", "C"}, {"d", "D"}, {"e", "E"}}, true},
    Example{"9f ff", Array{}, false},                    // indefinite array: break at once
    Example{"9f 01 82 0203 9f 0405 ff ff",               // [_ 1, [2, 3], [_ 4, 5]]
            Array{1, Array{2, 3}, Array{4, 5}}, false},
    Example{"9f 01 82 0203 82 0405 ff",                  // [_ 1, [2, 3], [4, 5]]
            Array{1, Array{2, 3}, Array{4, 5}}, false},
    Example{"83 01 82 0203 9f 0405 ff",                  // [1, [2, 3], [_ 4, 5]]
            Array{1, Array{2, 3}, Array{4, 5}}, false},
    Example{"83 01 9f 0203 ff 82 0405",                  // [1, [_ 2, 3], [4, 5]]
            Array{1, Array{2, 3}, Array{4, 5}}, false},
    Example{"9f 0102030405060708090a0b0c0d0e0f1011121314151617 1818 1819 ff",  // [_ 1..25]
            one_to(25), false},
    Example{"bf 6161 01 6162 9f 0203 ff ff",             // {_ "a": 1, "b": [_ 2, 3]}
            Map{{"a", 1}, {"b", Array{2, 3}}}, false},
    Example{"82 6161 bf 6162 6163 ff",                   // ["a", {_ "b": "c"}]
            Array{"a", Map{{"b", "c"}}}, false},
    Example{"bf 63 46756e f5 63 416d74 21 ff",           // {_ "Fun": true, "Amt": -2}
            Map{{"Fun", true}, {"Amt", -2}}, false}));
// clang-format on

TEST(EncodingCbor, NegativeBelowInt64IsOutOfRange) {
    // RFC 8949 A: -18446744073709551616 = 3b ffffffffffffffff, outside the model.
    auto v = decode(hex("3bffffffffffffffff"), Format::cbor);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error(), Errc::out_of_range);
}

TEST(EncodingCbor, UnassignedSimpleValuesAreRefused) {
    // RFC 8949 A: simple(16) = f0, simple(255) = f8 ff.
    EXPECT_EQ(decode(hex("f0"), Format::cbor).error(), Errc::unsupported_type);
    EXPECT_EQ(decode(hex("f8ff"), Format::cbor).error(), Errc::unsupported_type);
}

TEST(EncodingCbor, ShortestFloatThatIsExact) {
    EXPECT_EQ(to_hex(encode(Value(0.5), Format::cbor)), "f93800");           // half
    EXPECT_EQ(to_hex(encode(Value(0.1f), Format::cbor)), "fa3dcccccd");      // single, exact as float
    EXPECT_EQ(to_hex(encode(Value(0.1), Format::cbor)), "fb3fb999999999999a");  // double
    EXPECT_EQ(to_hex(encode(Value(65505.0), Format::cbor)), "fa477fe100");   // just past half's max
    EXPECT_EQ(to_hex(encode(Value(1e39), Format::cbor)), "fb48078287f49c4a1d");  // past float's max
    EXPECT_EQ(to_hex(encode(Value(std::ldexp(1.0, -25)), Format::cbor)), "fa33000000");  // below half
    EXPECT_EQ(to_hex(encode(Value(std::ldexp(3.0, -24)), Format::cbor)), "f90003");  // half subnormal
    EXPECT_EQ(to_hex(encode(Value(std::numeric_limits<double>::denorm_min()), Format::cbor)),
              "fb0000000000000001");
}

TEST(EncodingCbor, IntegerWidthBoundaries) {
    EXPECT_EQ(to_hex(encode(Value(255), Format::cbor)), "18ff");
    EXPECT_EQ(to_hex(encode(Value(256), Format::cbor)), "190100");
    EXPECT_EQ(to_hex(encode(Value(65536), Format::cbor)), "1a00010000");
    EXPECT_EQ(to_hex(encode(Value(4294967296), Format::cbor)), "1b0000000100000000");
    EXPECT_EQ(to_hex(encode(Value(INT64_MAX), Format::cbor)), "1b7fffffffffffffff");
    EXPECT_EQ(to_hex(encode(Value(-24), Format::cbor)), "37");
    EXPECT_EQ(to_hex(encode(Value(-25), Format::cbor)), "3818");
}

TEST(EncodingCbor, NonMinimalHeadsAreAccepted) {
    auto v = decode(hex("1b0000000000000001"), Format::cbor);  // 1 in an 8-byte argument
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, Value(1));
    v = decode(hex("7800"), Format::cbor);  // text, 1-byte length 0
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, Value(""));
}

TEST(EncodingCbor, NestedTagsAreSkipped) {
    auto v = decode(hex("c6 c6 d9d9f7 01"), Format::cbor);  // tag 6, tag 6, tag 55799, 1
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, Value(1));
}

TEST(EncodingCbor, DuplicateKeysLastWins) {
    auto v = decode(hex("a3 6161 01 6162 02 6161 03"), Format::cbor);  // {"a":1,"b":2,"a":3}
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, Value(Map{{"a", 3}, {"b", 2}}));
}

TEST(EncodingCbor, NegativeIntegerKeyBecomesDecimalString) {
    auto v = decode(hex("a1 24 f5"), Format::cbor);  // map(1): key -5, value true
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, Value(Map{{"-5", true}}));
}

}  // namespace
}  // namespace harperrt::encoding
