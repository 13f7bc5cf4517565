// Malformed and forbidden packets, one row each: the bytes, the version of the connection,
// and the reason code the spec names for it (v5 codes in every version, see codec.hpp
// design note 3).
#include "common/mqtt/codec.hpp"
#include "tests/support/hex.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace harperrt::mqtt {
namespace {

using harperrt::test::hex;

struct Row {
    std::string_view name;  // what is wrong, and the rule (version and conformance id)
    Version version;
    std::string_view bytes;
    ReasonCode expected;
};

constexpr auto v31 = Version::v31;
constexpr auto v311 = Version::v311;
constexpr auto v5 = Version::v5;
constexpr auto malformed = ReasonCode::malformed_packet;
constexpr auto protocol = ReasonCode::protocol_error;

// Fields are separated by spaces; "MQTT" is 00044d515454.
const Row rows[] = {
    // --- fixed header and lengths ---
    {"type 0 is reserved (v5 §2.1.2)", v5, "00 00", malformed},
    {"AUTH before v5 is reserved (v3.1.1 §2.2.1)", v311, "f0 00", malformed},
    {"remaining length in two bytes for 0, v5 [MQTT-1.5.5-1]", v5, "c0 8000", malformed},
    {"remaining length with a fifth byte (v5 §1.5.5, v3.1.1 §2.2.3)", v311, "30 ffffffff7f", malformed},
    {"string length past the end, v5 §1.5.4", v311, "10 10 00044d515454 04 02 003c 0005 74657374", malformed},
    {"bytes after the last field (v3.1.1 §2.2.3)", v311, "10 11 00044d515454 04 02 003c 0004 74657374 ff", malformed},
    {"PINGREQ with a body, v3.1.1 §3.12", v311, "c0 01 00", malformed},
    {"PINGREQ flags, v3.1.1 [MQTT-2.2.2-1]", v311, "c1 00", malformed},
    {"PINGRESP flags, v5 [MQTT-2.1.3-1]", v5, "d8 00", malformed},
    {"PUBACK flags, v5 [MQTT-2.1.3-1]", v5, "41 02 0001", malformed},
    {"PUBREL flags 0000, v3.1.1 [MQTT-3.6.1-1]", v311, "60 02 0001", malformed},
    {"PUBREL flags 0000, v5 [MQTT-3.6.1-1]", v5, "60 02 0001", malformed},
    {"SUBSCRIBE flags 0000, v3.1.1 [MQTT-3.8.1-1]", v311, "80 06 0001 000161 00", malformed},
    {"UNSUBSCRIBE flags 0000, v5 [MQTT-3.10.1-1]", v5, "a0 06 0001 00 000161", malformed},
    {"DISCONNECT flags, v3.1.1 [MQTT-3.14.1-1]", v311, "e1 00", malformed},
    {"CONNECT flags in the fixed header, v3.1.1 [MQTT-2.2.2-2]", v311, "11 10 00044d515454 04 02 003c 000474657374", malformed},

    // --- UTF-8 strings ---
    {"client id with a lone C0 byte, v3.1.1 [MQTT-1.5.3-1]", v311, "10 0d 00044d515454 04 02 003c 0001 c0", malformed},
    {"client id with U+0000, v3.1.1 [MQTT-1.5.3-2]", v311, "10 0d 00044d515454 04 02 003c 0001 00", malformed},
    {"client id with a surrogate U+D800, v5 [MQTT-1.5.4-1]", v5, "10 10 00044d515454 05 02 003c 00 0003 eda080", malformed},
    {"client id with an overlong '/', v5 [MQTT-1.5.4-1]", v5, "10 0f 00044d515454 05 02 003c 00 0002 c0af", malformed},
    {"client id above U+10FFFF, v5 [MQTT-1.5.4-1]", v5, "10 11 00044d515454 05 02 003c 00 0004 f4908080", malformed},
    {"client id cut inside a character, v5 [MQTT-1.5.4-1]", v5, "10 0f 00044d515454 05 02 003c 00 0002 e282", malformed},
    {"topic with U+0000, v5 [MQTT-1.5.4-2]", v5, "30 05 0002 6100 00", malformed},
    {"user property name not UTF-8, v5 [MQTT-1.5.4-1]", v5, "30 0b 000161 07 260001ff000161", malformed},

    // --- CONNECT ---
    {"protocol name MQTX, v3.1.1 [MQTT-3.1.2-1]", v311, "10 0c 00044d515458 04 02 003c 0000", malformed},
    {"protocol level 6, v5 [MQTT-3.1.2-2]", v5, "10 0c 00044d515454 06 02 003c 0000", ReasonCode::unsupported_protocol_version},
    {"protocol level 3 with MQTT, v3.1.1 [MQTT-3.1.2-2]", v311, "10 0c 00044d515454 03 02 003c 0000", ReasonCode::unsupported_protocol_version},
    {"MQIsdp with level 4", v31, "10 0e 00064d5149736470 04 02 003c 0000", ReasonCode::unsupported_protocol_version},
    {"reserved connect flag, v3.1.1 [MQTT-3.1.2-3]", v311, "10 0c 00044d515454 04 03 003c 0000", malformed},
    {"reserved connect flag, v5 [MQTT-3.1.2-3]", v5, "10 0d 00044d515454 05 03 003c 00 0000", malformed},
    {"reserved connect flag, 3.1", v31, "10 0e 00064d5149736470 03 03 003c 0000", malformed},
    {"will QoS without will flag, v3.1.1 [MQTT-3.1.2-13]", v311, "10 0c 00044d515454 04 0a 003c 0000", malformed},
    {"will QoS without will flag, v5 [MQTT-3.1.2-11]", v5, "10 0d 00044d515454 05 0a 003c 00 0000", malformed},
    {"will retain without will flag, v3.1.1 [MQTT-3.1.2-15]", v311, "10 0c 00044d515454 04 22 003c 0000", malformed},
    {"will retain without will flag, v5 [MQTT-3.1.2-13]", v5, "10 0d 00044d515454 05 22 003c 00 0000", malformed},
    {"will QoS 3, v3.1.1 [MQTT-3.1.2-14]", v311, "10 11 00044d515454 04 1e 003c 0000 000174 0000", malformed},
    {"will QoS 3, v5 [MQTT-3.1.2-12]", v5, "10 13 00044d515454 05 1e 003c 00 0000 00 000174 0000", malformed},
    {"password without user name, v3.1.1 [MQTT-3.1.2-22]", v311, "10 0f 00044d515454 04 42 003c 0000 000170", malformed},
    {"password without user name, 3.1", v31, "10 11 00064d5149736470 03 42 003c 0000 000170", malformed},
    {"will flag but no will topic, v3.1.1 §3.1.3", v311, "10 0c 00044d515454 04 06 003c 0000", malformed},
    {"receive maximum 0, v5 §3.1.2.11.3", v5, "10 10 00044d515454 05 02 003c 03 210000 0000", protocol},
    {"maximum packet size 0, v5 §3.1.2.11.4", v5, "10 12 00044d515454 05 02 003c 05 2700000000 0000", protocol},
    {"request problem information 2, v5 §3.1.2.11.7", v5, "10 0f 00044d515454 05 02 003c 02 1702 0000", protocol},
    {"request response information 2, v5 §3.1.2.11.6", v5, "10 0f 00044d515454 05 02 003c 02 1902 0000", protocol},
    {"session expiry interval twice, v5 §3.1.2.11.2", v5, "10 17 00044d515454 05 02 003c 0a 1100000001 1100000002 0000", protocol},
    {"authentication data without method, v5 §3.1.2.11.10", v5, "10 10 00044d515454 05 02 003c 03 160000 0000", protocol},
    {"topic alias in CONNECT, v5 §2.2.2.2", v5, "10 10 00044d515454 05 02 003c 03 230001 0000", malformed},
    {"will delay interval in CONNECT properties, v5 §2.2.2.2", v5, "10 12 00044d515454 05 02 003c 05 1800000001 0000", malformed},
    {"topic alias in will properties, v5 §2.2.2.2", v5, "10 16 00044d515454 05 06 003c 00 0000 03 230001 000174 0000", malformed},
    {"session expiry in will properties, v5 §2.2.2.2", v5, "10 18 00044d515454 05 06 003c 00 0000 05 1100000001 000174 0000", malformed},

    // --- CONNACK ---
    {"CONNACK reserved flag bits, v3.1.1 [MQTT-3.2.2-1]", v311, "20 02 02 00", malformed},
    {"CONNACK reserved flag bits, v5 [MQTT-3.2.2-1]", v5, "20 03 80 00 00", malformed},
    {"CONNACK return code 6, v3.1.1 §3.2.2.3", v311, "20 02 00 06", malformed},
    {"CONNACK session present with a failure, v3.1.1 [MQTT-3.2.2-4]", v311, "20 02 01 05", protocol},
    {"CONNACK session present with a failure, v5 [MQTT-3.2.2-6]", v5, "20 03 01 87 00", protocol},
    {"CONNACK reason 0x10 is not a CONNACK code, v5 §3.2.2.2", v5, "20 03 00 10 00", malformed},
    {"CONNACK without property length, v5 §3.2.2.3", v5, "20 02 00 00", malformed},
    {"maximum QoS 2, v5 §3.2.2.3.4", v5, "20 05 00 00 02 2402", protocol},
    {"retain available 2, v5 §3.2.2.3.5", v5, "20 05 00 00 02 2502", protocol},
    {"wildcard subscription available 2, v5 §3.2.2.3.11", v5, "20 05 00 00 02 2802", protocol},
    {"shared subscription available twice, v5 §3.2.2.3.13", v5, "20 07 00 00 04 2a01 2a01", protocol},
    {"receive maximum 0 in CONNACK, v5 §3.2.2.3.3", v5, "20 06 00 00 03 210000", protocol},
    {"request problem information in CONNACK, v5 §2.2.2.2", v5, "20 05 00 00 02 1701", malformed},

    // --- PUBLISH ---
    {"QoS 3, v3.1.1 [MQTT-3.3.1-4]", v311, "36 05 000161 0001", malformed},
    {"QoS 3, v5 [MQTT-3.3.1-4]", v5, "36 06 000161 0001 00", malformed},
    {"DUP with QoS 0, v3.1.1 [MQTT-3.3.1-2]", v311, "38 03 000161", protocol},
    {"DUP with QoS 0, v5 [MQTT-3.3.1-2]", v5, "38 04 000161 00", protocol},
    {"'+' in a topic name, v3.1.1 [MQTT-3.3.2-2]", v311, "30 05 0003 612f2b", ReasonCode::topic_name_invalid},
    {"'#' in a topic name, v5 [MQTT-3.3.2-2]", v5, "30 04 0001 23 00", ReasonCode::topic_name_invalid},
    {"'#' in a topic name, 3.1", v31, "30 03 0001 23", ReasonCode::topic_name_invalid},
    {"packet identifier 0 with QoS 1, v3.1.1 [MQTT-2.3.1-1]", v311, "32 05 000161 0000", protocol},
    {"packet identifier 0 with QoS 2, v5 [MQTT-2.2.1-3]", v5, "34 06 000161 0000 00", protocol},
    {"QoS 1 without packet identifier, v3.1.1 §3.3.2.2", v311, "32 03 000161", malformed},
    {"empty topic name, v3.1.1 [MQTT-4.7.3-1]", v311, "30 02 0000", ReasonCode::topic_name_invalid},
    {"empty topic name without topic alias, v5 §3.3.2.3.4", v5, "30 03 0000 00", protocol},
    {"topic alias 0, v5 [MQTT-3.3.2-8]", v5, "30 06 0000 03 230000", ReasonCode::topic_alias_invalid},
    {"session expiry interval on PUBLISH, v5 §2.2.2.2", v5, "30 09 000161 05 1100000000", malformed},
    {"unknown property 0x04, v5 §2.2.2.2", v5, "30 06 000161 02 0400", malformed},
    {"property id 0x80 0x01 (a varint, unknown), v5 §2.2.2.2", v5, "30 07 000161 03 800101", malformed},
    {"content type twice, v5 §3.3.2.3.9", v5, "30 0c 000161 08 03000161 03000162", protocol},
    {"topic alias twice, v5 §3.3.2.3.4", v5, "30 0a 000161 06 230001 230002", protocol},
    {"payload format indicator 2, v5 §3.3.2.3.2", v5, "30 06 000161 02 0102", protocol},
    {"subscription identifier 0, v5 §3.3.2.3.8", v5, "30 06 000161 02 0b00", protocol},
    {"subscription identifier in 5 bytes, v5 §1.5.5", v5, "30 0a 000161 06 0bffffffff01", malformed},
    {"property length past the end, v5 §2.2.2.1", v5, "30 05 000161 05 01", malformed},
    {"property value cut short, v5 §2.2.2", v5, "30 06 000161 02 0200", malformed},
    {"correlation data longer than the properties, v5 §1.5.6", v5, "30 08 000161 04 09 0005 61", malformed},

    // --- PUBACK, PUBREC, PUBREL, PUBCOMP ---
    {"PUBACK packet identifier 0, v3.1.1 [MQTT-2.3.1-6]", v311, "40 02 0000", protocol},
    {"PUBCOMP packet identifier 0, v5 [MQTT-2.2.1-5]", v5, "70 02 0000", protocol},
    {"PUBACK with a reason code before v5, v3.1.1 §3.4", v311, "40 03 0001 00", malformed},
    {"PUBACK too short, v3.1.1 §3.4", v311, "40 01 00", malformed},
    {"PUBACK reason 0x01, v5 §3.4.2.1", v5, "40 03 0001 01", malformed},
    {"PUBREL reason 0x10, v5 §3.6.2.1", v5, "62 03 0001 10", malformed},
    {"PUBREC reason 0x92, v5 §3.5.2.1", v5, "50 03 0001 92", malformed},
    {"PUBACK user property cut short, v5 §3.4.2.2", v5, "40 07 0001 00 03 260001", malformed},
    {"PUBACK content type, v5 §2.2.2.2", v5, "40 08 0001 00 04 03000161", malformed},

    // --- SUBSCRIBE, SUBACK ---
    {"SUBSCRIBE without filters, v3.1.1 [MQTT-3.8.3-3]", v311, "82 02 0001", protocol},
    {"SUBSCRIBE without filters, v5 [MQTT-3.8.3-2]", v5, "82 03 0001 00", protocol},
    {"SUBSCRIBE packet identifier 0, v3.1.1 [MQTT-2.3.1-1]", v311, "82 06 0000 000161 00", protocol},
    {"SUBSCRIBE options bit 2, v3.1.1 [MQTT-3-8.3-4]", v311, "82 06 0001 000161 04", malformed},
    {"SUBSCRIBE QoS 3, v3.1.1 [MQTT-3-8.3-4]", v311, "82 06 0001 000161 03", malformed},
    {"SUBSCRIBE QoS 3, 3.1", v31, "82 06 0001 000161 03", malformed},
    {"SUBSCRIBE options bit 6, v5 [MQTT-3.8.3-5]", v5, "82 07 0001 00 000161 40", malformed},
    {"SUBSCRIBE QoS 3, v5 §3.8.3.1", v5, "82 07 0001 00 000161 03", protocol},
    {"SUBSCRIBE retain handling 3, v5 §3.8.3.1", v5, "82 07 0001 00 000161 30", protocol},
    {"No Local on a shared subscription, v5 [MQTT-3.8.3-4]", v5, "82 10 0001 00 000a 2473686172652f672f74 04", protocol},
    {"SUBSCRIBE filter without options byte, v3.1.1 §3.8.3", v311, "82 05 0001 000161", malformed},
    {"subscription identifier twice on SUBSCRIBE, v5 §3.8.2.1.2", v5, "82 0b 0001 04 0b01 0b02 000161 00", protocol},
    {"subscription identifier 0 on SUBSCRIBE, v5 §3.8.2.1.2", v5, "82 09 0001 02 0b00 000161 00", protocol},
    {"reason string on SUBSCRIBE, v5 §2.2.2.2", v5, "82 0b 0001 04 1f000178 000161 00", malformed},
    {"SUBACK return code 3, v3.1.1 [MQTT-3.9.3-2]", v311, "90 03 0001 03", malformed},
    {"SUBACK without return codes, v3.1.1 [MQTT-3.9.3-1]", v311, "90 02 0001", protocol},
    {"SUBACK reason 0x92, v5 §3.9.3", v5, "90 04 0001 00 92", malformed},

    // --- UNSUBSCRIBE, UNSUBACK ---
    {"UNSUBSCRIBE without filters, v3.1.1 [MQTT-3.10.3-2]", v311, "a2 02 0001", protocol},
    {"UNSUBSCRIBE without filters, v5 [MQTT-3.10.3-2]", v5, "a2 03 0001 00", protocol},
    {"UNSUBSCRIBE packet identifier 0, v5 [MQTT-2.2.1-3]", v5, "a2 06 0000 00 000161", protocol},
    {"UNSUBSCRIBE filter not UTF-8, v3.1.1 [MQTT-3.10.3-1]", v311, "a2 05 0001 0001 ff", malformed},
    {"subscription identifier on UNSUBSCRIBE, v5 §2.2.2.2", v5, "a2 08 0001 02 0b01 000161", malformed},
    {"UNSUBACK with a body before v5, v3.1.1 §3.11", v311, "b0 03 0001 00", malformed},
    {"UNSUBACK without reason codes, v5 [MQTT-3.11.3-1]", v5, "b0 03 0001 00", protocol},
    {"UNSUBACK reason 0x01, v5 §3.11.3", v5, "b0 04 0001 00 01", malformed},

    // --- DISCONNECT, AUTH ---
    {"DISCONNECT with a body before v5, v3.1.1 §3.14", v311, "e0 01 00", malformed},
    {"DISCONNECT reason 0x01, v5 [MQTT-3.14.2-1]", v5, "e0 01 01", malformed},
    {"DISCONNECT reason string twice, v5 §3.14.2.2.3", v5, "e0 0a 00 08 1f000161 1f000162", protocol},
    {"DISCONNECT with topic alias, v5 §2.2.2.2", v5, "e0 05 00 03 230001", malformed},
    {"AUTH reason 0x87, v5 [MQTT-3.15.2-1]", v5, "f0 01 87", malformed},
    {"AUTH flags, v5 [MQTT-3.15.1-1]", v5, "f1 00", malformed},
    {"AUTH with session expiry, v5 §2.2.2.2", v5, "f0 07 18 05 1100000001", malformed},
};

TEST(MqttCodecMalformed, EachRowFailsWithItsReasonCode) {
    for (const auto& row : rows) {
        SCOPED_TRACE(std::string(row.name));
        const auto bytes = hex(row.bytes);
        auto size = frame_size(bytes, 0xffffffff);
        if (!size) {
            // A bad Remaining Length: frame_size and decode both refuse it.
            EXPECT_EQ(size.error(), row.expected);
            EXPECT_FALSE(decode(bytes, row.version));
            continue;
        }
        // Each vector is one whole frame, so the decoder's checks are what is tested.
        if (*size != bytes.size()) {
            ADD_FAILURE() << "the test vector's remaining length is wrong";
            continue;
        }
        auto r = decode(bytes, row.version);
        if (r) {
            ADD_FAILURE() << "decoded a " << name(type_of(*r));
            continue;
        }
        EXPECT_EQ(r.error(), row.expected)
            << "got " << r.error().message() << ", expected " << name(row.expected);
    }
}

// decode() gets exactly one frame: fewer or more bytes than the Remaining Length says are
// refused (v5 §2.1.4, v3.1.1 §2.2.3).
TEST(MqttCodecMalformed, FrameMustBeExactlyRemainingLength) {
    EXPECT_EQ(decode(hex("30 05 0001 61"), Version::v311).error(), ReasonCode::malformed_packet);
    EXPECT_EQ(decode(hex("c0 00 00"), Version::v311).error(), ReasonCode::malformed_packet);
    EXPECT_EQ(decode(hex(""), Version::v5).error(), ReasonCode::malformed_packet);
    EXPECT_EQ(decode(hex("30"), Version::v5).error(), ReasonCode::malformed_packet);
}

// v3.1 predates the reserved-flag rules: its PUBREL/SUBSCRIBE/UNSUBSCRIBE carried QoS 1 and
// sometimes DUP, so flags are not checked (codec_decode.cpp's opening comment).
TEST(MqttCodecMalformed, V31AcceptsLegacyFixedHeaderFlags) {
    EXPECT_TRUE(decode(hex("6a 02 0001"), Version::v31));           // PUBREL with DUP + QoS 1
    EXPECT_TRUE(decode(hex("8a 06 0001 000161 00"), Version::v31)); // SUBSCRIBE with DUP + QoS 1
}

TEST(MqttCodecMalformed, ErrorsAreReasonCodes) {
    auto r = decode(hex("00 00"), Version::v5);
    ASSERT_FALSE(r);
    EXPECT_EQ(as_reason_code(r.error()), ReasonCode::malformed_packet);
    EXPECT_EQ(r.error().message(), "Malformed Packet");
}

}  // namespace
}  // namespace harperrt::mqtt
