// The data representations of v5 §1.5 / v3.1.1 §1.5: integers, Variable Byte Integers,
// UTF-8 Encoded Strings, Binary Data.
#include "common/mqtt/reason_code.hpp"
#include "common/mqtt/wire.hpp"
#include "tests/support/hex.hpp"

#include <gtest/gtest.h>

namespace harperrt::mqtt {
namespace {

using harperrt::test::hex;
using harperrt::test::to_hex;

TEST(MqttWire, VarintBoundariesFromTheSpec) {
    // v5 §1.5.5 table 1-1: the ranges of 1, 2, 3 and 4 byte encodings.
    struct Case { std::uint32_t value; const char* bytes; };
    const Case cases[] = {
        {0, "00"}, {127, "7f"}, {128, "8001"}, {16'383, "ff7f"}, {16'384, "808001"},
        {2'097'151, "ffff7f"}, {2'097'152, "80808001"}, {268'435'455, "ffffff7f"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.value);
        Bytes out;
        write_varint(c.value, out);
        EXPECT_EQ(to_hex(out), c.bytes);
        EXPECT_EQ(varint_size(c.value), out.size());
        std::span<const std::byte> in = out;
        auto v = read_varint(in);
        ASSERT_TRUE(v);
        EXPECT_EQ(*v, c.value);
        EXPECT_TRUE(in.empty());
    }
}

TEST(MqttWire, VarintRejectsFiveBytesAndNonMinimalForms) {
    for (const char* bad : {"ffffffff01", "8000", "ff8000", "", "80"}) {
        SCOPED_TRACE(bad);
        const auto bytes = hex(bad);
        std::span<const std::byte> in = bytes;
        auto v = read_varint(in);
        ASSERT_FALSE(v);
        EXPECT_EQ(v.error(), ReasonCode::malformed_packet);
    }
}

TEST(MqttWire, IntegersAreBigEndian) {
    const auto bytes = hex("0102 0a0b0c0d");
    std::span<const std::byte> in = bytes;
    EXPECT_EQ(*read_u16(in), 0x0102);
    EXPECT_EQ(*read_u32(in), 0x0a0b0c0du);
    EXPECT_FALSE(read_u8(in));
    Bytes out;
    write_u16(0x0102, out);
    write_u32(0x0a0b0c0d, out);
    EXPECT_EQ(out, bytes);
}

TEST(MqttWire, ReadersAdvanceAndRefuseShortInput) {
    const auto bytes = hex("0002 6869 0003 6869");  // "hi", then a length 3 with 2 bytes
    std::span<const std::byte> in = bytes;
    auto s = read_utf8(in);
    ASSERT_TRUE(s);
    EXPECT_EQ(*s, "hi");
    EXPECT_EQ(in.size(), 4u);
    EXPECT_FALSE(read_binary(in));
    const auto one = hex("01");
    std::span<const std::byte> short_in = one;
    EXPECT_FALSE(read_u16(short_in));
}

TEST(MqttWire, Utf8Validation) {
    // Well-formed (v5 §1.5.4): ASCII, 2/3/4-byte forms, U+FEFF (must not be stripped,
    // v5 [MQTT-1.5.4-3]), U+FFFF (a noncharacter is allowed), U+10FFFF.
    for (const char* good : {"", "a/b", "\xc3\xa9", "\xe2\x82\xac", "\xef\xbb\xbf", "\xef\xbf\xbf",
                             "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\x7f"}) {
        EXPECT_TRUE(valid_utf8(good)) << to_hex(as_bytes(good));
    }
    // Ill-formed (v5 [MQTT-1.5.4-1], v3.1.1 [MQTT-1.5.3-1]) and U+0000 ([MQTT-1.5.4-2]).
    for (std::string_view bad : {std::string_view("\0", 1), std::string_view("a\0b", 3),
                                 std::string_view("\x80"), std::string_view("\xc0\xaf"),
                                 std::string_view("\xc1\xbf"), std::string_view("\xe0\x80\xaf"),
                                 std::string_view("\xed\xa0\x80"), std::string_view("\xed\xbf\xbf"),
                                 std::string_view("\xf0\x80\x80\xaf"), std::string_view("\xf4\x90\x80\x80"),
                                 std::string_view("\xf5\x80\x80\x80"), std::string_view("\xff"),
                                 std::string_view("\xe2\x82"), std::string_view("\xc3"),
                                 std::string_view("\xe2\x28\xa1")}) {
        EXPECT_FALSE(valid_utf8(bad)) << to_hex(as_bytes(bad));
    }
}

TEST(MqttWire, WritersUseTwoByteLengths) {
    Bytes out;
    write_utf8("ab", out);
    write_binary(std::string_view("\0", 1), out);
    write_raw("z", out);
    EXPECT_EQ(to_hex(out), "00026162" "000100" "7a");
}

}  // namespace
}  // namespace harperrt::mqtt
