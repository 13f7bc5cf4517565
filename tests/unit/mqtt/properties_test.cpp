// v5 properties: the packet table of v5 §2.2.2.2 and encoding order.
#include "common/mqtt/properties.hpp"
#include "common/mqtt/reason_code.hpp"
#include "tests/support/hex.hpp"

#include <gtest/gtest.h>

namespace harperrt::mqtt {
namespace {

using harperrt::test::hex;
using harperrt::test::to_hex;

TEST(MqttProperties, AllowedOnTheSpecsPackets) {
    using enum PropertyOwner;
    EXPECT_TRUE(property_allowed(PropertyId::payload_format_indicator, will));
    EXPECT_TRUE(property_allowed(PropertyId::payload_format_indicator, publish));
    EXPECT_FALSE(property_allowed(PropertyId::payload_format_indicator, connect));
    EXPECT_TRUE(property_allowed(PropertyId::subscription_identifier, subscribe));
    EXPECT_FALSE(property_allowed(PropertyId::subscription_identifier, unsubscribe));
    EXPECT_TRUE(property_allowed(PropertyId::session_expiry_interval, disconnect));
    EXPECT_FALSE(property_allowed(PropertyId::session_expiry_interval, will));
    EXPECT_TRUE(property_allowed(PropertyId::will_delay_interval, will));
    EXPECT_FALSE(property_allowed(PropertyId::will_delay_interval, connect));
    EXPECT_TRUE(property_allowed(PropertyId::reason_string, pubcomp));
    EXPECT_FALSE(property_allowed(PropertyId::reason_string, publish));
    EXPECT_TRUE(property_allowed(PropertyId::server_reference, disconnect));
    EXPECT_TRUE(property_allowed(PropertyId::authentication_method, auth));
    EXPECT_FALSE(property_allowed(PropertyId::authentication_method, disconnect));
    EXPECT_TRUE(property_allowed(PropertyId::maximum_packet_size, connect));
    EXPECT_FALSE(property_allowed(PropertyId::maximum_qos, connect));
    for (auto o : {connect, will, connack, publish, puback, pubrec, pubrel, pubcomp, subscribe, suback,
                   unsubscribe, unsuback, disconnect, auth}) {
        EXPECT_TRUE(property_allowed(PropertyId::user_property, o));
    }
    EXPECT_FALSE(property_allowed(static_cast<PropertyId>(0x04), publish));
}

TEST(MqttProperties, EncodeInAscendingIdOrder) {
    Properties p;
    p.user_properties = {{"b", "2"}, {"a", "1"}};
    p.topic_alias = 3;
    p.payload_format_indicator = 1;
    p.subscription_identifiers = {7, 2};
    Bytes out;
    write_properties(p, out);
    EXPECT_EQ(to_hex(out), "17"               // property length 23
                           "0101"             // payload format indicator 1
                           "0b07" "0b02"      // subscription identifiers in vector order
                           "230003"           // topic alias 3
                           "26000162000132"   // user property ("b", "2")
                           "26000161000131"); // user property ("a", "1")
    EXPECT_EQ(properties_size(p) + 1, out.size());
    std::span<const std::byte> in = out;
    auto back = read_properties(in, PropertyOwner::publish);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, p);
    EXPECT_TRUE(in.empty());
}

TEST(MqttProperties, EmptyListIsOneZeroByte) {
    Properties p;
    EXPECT_TRUE(p.empty());
    Bytes out;
    write_properties(p, out);
    EXPECT_EQ(to_hex(out), "00");
    p.retain_available = false;
    EXPECT_FALSE(p.empty());
}

TEST(MqttProperties, SubscriptionIdentifierRepeatsOnlyOnPublish) {
    const auto bytes = hex("04"    // property length 4
                           "0b01"  // subscription identifier 1
                           "0b02");// subscription identifier 2
    std::span<const std::byte> a = bytes;
    EXPECT_TRUE(read_properties(a, PropertyOwner::publish));
    std::span<const std::byte> b = bytes;
    auto r = read_properties(b, PropertyOwner::subscribe);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), ReasonCode::protocol_error);
}

}  // namespace
}  // namespace harperrt::mqtt
