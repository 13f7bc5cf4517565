// MessagePack codec against the format table of the MessagePack specification: one test
// per family, each byte vector annotated (marker byte, then length/argument, then data).
#include "common/encoding/codec.hpp"
#include "tests/unit/encoding/hex.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace harperrt::encoding {
namespace {

using test::hex;
using test::to_hex;

// Decodes `bytes` and expects `value`.
void expect_decodes(const std::string& bytes, const Value& value) {
    auto v = decode(bytes, Format::msgpack);
    ASSERT_TRUE(v) << to_hex(bytes) << ": " << v.error().message();
    EXPECT_EQ(*v, value) << to_hex(bytes);
}

// Decodes `bytes` to `value` and encodes `value` back to the same bytes.
void expect_round_trip(const std::string& bytes, const Value& value) {
    expect_decodes(bytes, value);
    EXPECT_EQ(to_hex(encode(value, Format::msgpack)), to_hex(bytes));
}

TEST(EncodingMsgpack, NilAndBool) {
    expect_round_trip(hex("c0"), nullptr);  // nil
    expect_round_trip(hex("c2"), false);    // false
    expect_round_trip(hex("c3"), true);     // true
}

TEST(EncodingMsgpack, PositiveAndNegativeFixint) {
    expect_round_trip(hex("00"), 0);      // positive fixint 0xxxxxxx: 0
    expect_round_trip(hex("7f"), 127);    // positive fixint: 127
    expect_round_trip(hex("ff"), -1);     // negative fixint 111xxxxx: -1
    expect_round_trip(hex("e0"), -32);    // negative fixint: -32
}

TEST(EncodingMsgpack, UnsignedWidths) {
    expect_round_trip(hex("cc 80"), 128);                             // uint 8
    expect_round_trip(hex("cc ff"), 255);                             // uint 8: max
    expect_round_trip(hex("cd 0100"), 256);                           // uint 16
    expect_round_trip(hex("cd ffff"), 65535);                         // uint 16: max
    expect_round_trip(hex("ce 00010000"), 65536);                     // uint 32
    expect_round_trip(hex("ce ffffffff"), 4294967295);                // uint 32: max
    expect_round_trip(hex("cf 0000000100000000"), 4294967296);        // uint 64
    expect_round_trip(hex("cf 7fffffffffffffff"), INT64_MAX);         // uint 64: int64 max
    expect_round_trip(hex("cf 8000000000000000"), std::uint64_t{1} << 63);  // uint 64: 2^63
    expect_round_trip(hex("cf ffffffffffffffff"), UINT64_MAX);        // uint 64: max
}

TEST(EncodingMsgpack, SignedWidths) {
    expect_round_trip(hex("d0 df"), -33);                             // int 8
    expect_round_trip(hex("d0 80"), -128);                            // int 8: min
    expect_round_trip(hex("d1 ff7f"), -129);                          // int 16
    expect_round_trip(hex("d1 8000"), -32768);                        // int 16: min
    expect_round_trip(hex("d2 ffff7fff"), -32769);                    // int 32
    expect_round_trip(hex("d2 80000000"), INT32_MIN);                 // int 32: min
    expect_round_trip(hex("d3 ffffffff7fffffff"), std::int64_t{INT32_MIN} - 1);  // int 64
    expect_round_trip(hex("d3 8000000000000000"), INT64_MIN);         // int 64: min
}

TEST(EncodingMsgpack, NonMinimalIntegersDecode) {
    expect_decodes(hex("d0 05"), 5);                    // int 8 holding a positive value
    expect_decodes(hex("d3 0000000000000001"), 1);      // int 64 holding 1
    expect_decodes(hex("cc 01"), 1);                    // uint 8 holding a fixint value
}

TEST(EncodingMsgpack, Floats) {
    expect_decodes(hex("ca 3fc00000"), 1.5);                     // float 32: 1.5
    expect_decodes(hex("ca 7f800000"), std::numeric_limits<double>::infinity());  // float 32: +inf
    expect_round_trip(hex("cb 3ff8000000000000"), 1.5);          // float 64: 1.5
    expect_round_trip(hex("cb 3ff0000000000000"), 1.0);          // float 64: 1.0 stays a float
    expect_round_trip(hex("cb 8000000000000000"), -0.0);         // float 64: -0
    expect_round_trip(hex("cb 3fb999999999999a"), 0.1);          // float 64: 0.1
    expect_round_trip(hex("cb 7ff8000000000000"), std::numeric_limits<double>::quiet_NaN());
}

TEST(EncodingMsgpack, Strings) {
    expect_round_trip(hex("a0"), "");                          // fixstr 101xxxxx: length 0
    expect_round_trip(hex("a1 61"), "a");                      // fixstr: length 1, "a"
    expect_round_trip(hex("a2 c3bc"), "\u00fc");               // fixstr: 2 UTF-8 bytes
    const std::string s31(31, 'x'), s32(32, 'x'), s256(256, 'x'), s65536(65536, 'x');
    expect_round_trip(hex("bf") + s31, s31);                   // fixstr: max length 31
    expect_round_trip(hex("d9 20") + s32, s32);                // str 8: length 32
    expect_round_trip(hex("da 0100") + s256, s256);            // str 16: length 256
    expect_round_trip(hex("db 00010000") + s65536, s65536);    // str 32: length 65536
    expect_decodes(hex("d9 01 61"), "a");                      // str 8 holding a short string
}

TEST(EncodingMsgpack, Binary) {
    expect_round_trip(hex("c4 00"), Bytes{});                                   // bin 8: empty
    expect_round_trip(hex("c4 03 010203"),                                      // bin 8: length 3
                      Bytes{std::byte{1}, std::byte{2}, std::byte{3}});
    const Bytes b256(256, std::byte{7}), b65536(65536, std::byte{9});
    expect_round_trip(hex("c5 0100") + std::string(256, '\x07'), b256);         // bin 16
    expect_round_trip(hex("c6 00010000") + std::string(65536, '\x09'), b65536); // bin 32
}

TEST(EncodingMsgpack, Arrays) {
    expect_round_trip(hex("90"), Array{});                     // fixarray 1001xxxx: 0 items
    expect_round_trip(hex("92 01 a161"), Array{1, "a"});       // fixarray: 2 items
    Array a15(15, Value(0)), a16(16, Value(0)), a65536(65536, Value(0));
    expect_round_trip(hex("9f") + std::string(15, '\0'), a15); // fixarray: max 15
    expect_round_trip(hex("dc 0010") + std::string(16, '\0'), a16);            // array 16
    expect_round_trip(hex("dd 00010000") + std::string(65536, '\0'), a65536);  // array 32
    expect_decodes(hex("dc 0001 c0"), Array{nullptr});         // array 16 holding 1 item
}

TEST(EncodingMsgpack, Maps) {
    expect_round_trip(hex("80"), Map{});                                 // fixmap 1000xxxx: 0 pairs
    expect_round_trip(hex("82 a161 01 a162 92 0203"),                    // fixmap: 2 pairs, in order
                      Map{{"a", 1}, {"b", Array{2, 3}}});
    std::vector<Member> m16;
    std::string wire16 = hex("de 0010");                                 // map 16: 16 pairs
    for (int i = 0; i < 16; ++i) {
        const std::string key(1, static_cast<char>('a' + i));
        m16.push_back({key, i});
        wire16 += hex("a1") + key + static_cast<char>(i);                // fixstr key, fixint value
    }
    expect_round_trip(wire16, Map(m16));
    expect_decodes(hex("df 00000001 a161 c3"), Map{{"a", true}});       // map 32 holding 1 pair
}

TEST(EncodingMsgpack, IntegerKeysBecomeDecimalStrings) {
    expect_decodes(hex("82 01 a178 ff a179"), Map{{"1", "x"}, {"-1", "y"}});  // {1:"x", -1:"y"}
    expect_decodes(hex("81 cf ffffffffffffffff c0"), Map{{"18446744073709551615", nullptr}});
}

TEST(EncodingMsgpack, DuplicateKeysLastWins) {
    expect_decodes(hex("83 a161 01 a162 02 a161 03"), Map{{"a", 3}, {"b", 2}});
}

TEST(EncodingMsgpack, ExtTypesAreRefused) {
    for (const char* bytes : {
             "d4 01 00",                    // fixext 1: type 1, 1 byte
             "d5 01 0000",                  // fixext 2
             "d6 ff 00000000",              // fixext 4: type -1, the 32-bit timestamp
             "d7 ff 0000000000000000",      // fixext 8: 64-bit timestamp
             "d8 01 00000000000000000000000000000000",  // fixext 16
             "c7 00 05",                    // ext 8: length 0, type 5
             "c8 0001 05 00",               // ext 16: length 1
             "c9 00000001 05 00",           // ext 32: length 1
         }) {
        auto v = decode(hex(bytes), Format::msgpack);
        ASSERT_FALSE(v) << bytes;
        EXPECT_EQ(v.error(), Errc::unsupported_type) << bytes;
    }
}

}  // namespace
}  // namespace harperrt::encoding
