// frame_size(): the fixed header alone decides how many bytes a packet has, so a session
// can wait for more bytes, or refuse an oversized packet before buffering its body.
#include "common/mqtt/codec.hpp"
#include "tests/support/hex.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace harperrt::mqtt {
namespace {

using harperrt::test::hex;

constexpr std::uint32_t unlimited = std::numeric_limits<std::uint32_t>::max();

TEST(MqttFrameSize, ByteByByteReturnsZeroUntilTheHeaderIsComplete) {
    // PUBLISH with remaining length 200 = c8 01 (two-byte varint), body bytes arbitrary.
    Bytes packet = hex("30"     // PUBLISH
                       "c801"); // remaining length 200
    packet.resize(packet.size() + 200, std::byte{0x61});
    for (std::size_t n = 0; n <= packet.size(); ++n) {
        SCOPED_TRACE(n);
        auto size = frame_size(std::span(packet).first(n), unlimited);
        ASSERT_TRUE(size);
        EXPECT_EQ(*size, n < 3 ? 0u : 203u);
    }
}

TEST(MqttFrameSize, CountsOnlyTheFirstPacket) {
    const auto two = hex("c000"   // PINGREQ
                         "d000"); // PINGRESP
    auto size = frame_size(two, unlimited);
    ASSERT_TRUE(size);
    EXPECT_EQ(*size, 2u);
}

TEST(MqttFrameSize, OversizedIsRefusedBeforeTheBodyArrives) {
    // Only the header of a 1 + 4 + 268435455 byte packet is buffered.
    auto size = frame_size(hex("30"          // PUBLISH
                               "ffffff7f"),  // remaining length 268435455
                           1'000'000);
    ASSERT_FALSE(size);
    EXPECT_EQ(size.error(), ReasonCode::packet_too_large);
}

TEST(MqttFrameSize, LimitIsTheWholePacketSize) {
    const auto header = hex("30"   // PUBLISH
                            "0a"); // remaining length 10: 12 bytes in all
    auto fits = frame_size(header, 12);
    ASSERT_TRUE(fits);
    EXPECT_EQ(*fits, 12u);
    auto too_big = frame_size(header, 11);
    ASSERT_FALSE(too_big);
    EXPECT_EQ(too_big.error(), ReasonCode::packet_too_large);
}

TEST(MqttFrameSize, MaximumRemainingLength) {
    auto size = frame_size(hex("30"          // PUBLISH
                               "ffffff7f"),  // remaining length 268435455 (v5 §1.5.5)
                           unlimited);
    ASSERT_TRUE(size);
    EXPECT_EQ(*size, max_frame_size);
    EXPECT_EQ(*size, 268'435'460u);
}

TEST(MqttFrameSize, FifthLengthByteIsMalformed) {
    // The fourth byte still has its continuation bit: malformed without waiting for a fifth.
    auto four = frame_size(hex("30"          // PUBLISH
                               "ffffffff"),  // four continuation bytes
                           unlimited);
    ASSERT_FALSE(four);
    EXPECT_EQ(four.error(), ReasonCode::malformed_packet);
    auto five = frame_size(hex("30"            // PUBLISH
                               "ffffffff01"),  // five length bytes
                           unlimited);
    ASSERT_FALSE(five);
    EXPECT_EQ(five.error(), ReasonCode::malformed_packet);
}

TEST(MqttFrameSize, NonMinimalLengthIsMalformed) {
    // v5 [MQTT-1.5.5-1]: 0 written in two bytes.
    auto size = frame_size(hex("c0"     // PINGREQ
                               "8000"), // remaining length 0 in two bytes
                           unlimited);
    ASSERT_FALSE(size);
    EXPECT_EQ(size.error(), ReasonCode::malformed_packet);
    // 128 in two bytes is minimal; a zero continuation in the middle is fine too.
    auto ok = frame_size(hex("30"       // PUBLISH
                             "808001"), // remaining length 16384
                         unlimited);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 1u + 3u + 16'384u);
}

}  // namespace
}  // namespace harperrt::mqtt
