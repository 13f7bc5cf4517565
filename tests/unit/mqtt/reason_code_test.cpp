// ReasonCode as a boost::system error code, its names, and the 3.1.1 CONNACK mapping.
#include "common/mqtt/reason_code.hpp"
#include "common/util/result.hpp"

#include <gtest/gtest.h>

namespace harperrt::mqtt {
namespace {

Result<int> refuse() { return error(ReasonCode::not_authorized); }

TEST(MqttReasonCode, IsAnErrorCodeEnum) {
    auto r = refuse();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), ReasonCode::not_authorized);
    EXPECT_NE(r.error(), ReasonCode::banned);
    EXPECT_EQ(r.error().value(), 0x87);
    EXPECT_EQ(std::string(r.error().category().name()), "mqtt");
    EXPECT_EQ(r.error().message(), "Not authorized");
    EXPECT_EQ(as_reason_code(r.error()), ReasonCode::not_authorized);
    EXPECT_EQ(as_reason_code(boost::system::errc::make_error_code(boost::system::errc::io_error)), std::nullopt);
}

TEST(MqttReasonCode, NamesAreTheSpecsWords) {
    EXPECT_EQ(name(ReasonCode::success), "Success");
    EXPECT_EQ(name(ReasonCode::malformed_packet), "Malformed Packet");
    EXPECT_EQ(name(ReasonCode::topic_alias_invalid), "Topic Alias invalid");
    EXPECT_EQ(name(ReasonCode::wildcard_subscriptions_not_supported), "Wildcard Subscriptions not supported");
    EXPECT_EQ(name(static_cast<ReasonCode>(0x03)), "Unknown reason code");
}

TEST(MqttReasonCode, EveryCodeOfTheSpecAndNoOther) {
    // v5 §2.4 table 2-6.
    const std::uint8_t codes[] = {0x00, 0x01, 0x02, 0x04, 0x10, 0x11, 0x18, 0x19, 0x80, 0x81, 0x82,
                                  0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D,
                                  0x8E, 0x8F, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
                                  0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
    int count = 0;
    for (unsigned b = 0; b < 256; ++b) {
        if (is_reason_code(static_cast<std::uint8_t>(b))) ++count;
    }
    EXPECT_EQ(count, static_cast<int>(std::size(codes)));
    for (auto c : codes) EXPECT_TRUE(is_reason_code(c)) << int{c};
    EXPECT_FALSE(is_failure(ReasonCode::granted_qos_2));
    EXPECT_TRUE(is_failure(ReasonCode::unspecified_error));
}

TEST(MqttReasonCode, ConnectReturnCodeMapping) {
    const std::pair<ReasonCode, ConnectReturnCode> exact[] = {
        {ReasonCode::success, ConnectReturnCode::accepted},
        {ReasonCode::unsupported_protocol_version, ConnectReturnCode::unacceptable_protocol_version},
        {ReasonCode::client_identifier_not_valid, ConnectReturnCode::identifier_rejected},
        {ReasonCode::server_unavailable, ConnectReturnCode::server_unavailable},
        {ReasonCode::bad_user_name_or_password, ConnectReturnCode::bad_user_name_or_password},
        {ReasonCode::not_authorized, ConnectReturnCode::not_authorized},
    };
    for (auto [rc, crc] : exact) {
        EXPECT_EQ(to_connect_return_code(rc), crc);
        EXPECT_EQ(to_reason_code(crc), rc);
    }
    EXPECT_EQ(to_connect_return_code(ReasonCode::banned), ConnectReturnCode::not_authorized);
    EXPECT_EQ(to_connect_return_code(ReasonCode::server_busy), ConnectReturnCode::server_unavailable);
    EXPECT_EQ(to_connect_return_code(ReasonCode::bad_authentication_method),
              ConnectReturnCode::bad_user_name_or_password);
    EXPECT_EQ(to_connect_return_code(ReasonCode::malformed_packet), ConnectReturnCode::server_unavailable);
}

}  // namespace
}  // namespace harperrt::mqtt
