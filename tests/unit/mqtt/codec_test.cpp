// Well-formed packets of every type in every version where the type exists, written from
// the specifications (v3.1.1 §3, v5 §3): decode, check the fields, encode back to the bytes.
#include "common/mqtt/codec.hpp"
#include "tests/support/hex.hpp"
#include "tests/unit/mqtt/round_trip.hpp"

#include <gtest/gtest.h>

namespace harperrt::mqtt {
namespace {

using harperrt::test::hex;
using harperrt::test::to_hex;
using test::round_trip;

// --- CONNECT -------------------------------------------------------------------------

TEST(MqttCodec, V311ConnectMinimal) {
    const auto bytes = hex("10"            // CONNECT
                           "10"            // remaining length 16
                           "00044d515454"  // protocol name "MQTT"
                           "04"            // protocol level 4 (3.1.1)
                           "02"            // connect flags: clean session
                           "003c"          // keep alive 60
                           "000474657374"); // client id "test"
    const auto c = round_trip<Connect>(bytes, Version::v311);
    EXPECT_EQ(c.version, Version::v311);
    EXPECT_TRUE(c.clean_start);
    EXPECT_EQ(c.keep_alive, 60);
    EXPECT_EQ(c.client_id, "test");
    EXPECT_FALSE(c.will);
    EXPECT_FALSE(c.username);
    EXPECT_FALSE(c.password);
    EXPECT_TRUE(c.properties.empty());
}

TEST(MqttCodec, V311ConnectWithWillUserNameAndPassword) {
    const auto bytes = hex("10"            // CONNECT
                           "1f"            // remaining length 31
                           "00044d515454"  // protocol name "MQTT"
                           "04"            // protocol level 4
                           "ee"            // flags: user name, password, will retain, will QoS 1, will, clean
                           "0000"          // keep alive 0
                           "00026331"      // client id "c1"
                           "0003772f74"    // will topic "w/t"
                           "0003627965"    // will payload "bye"
                           "000175"        // user name "u"
                           "00027000");    // password "p\0" (binary)
    const auto c = round_trip<Connect>(bytes, Version::v311);
    EXPECT_EQ(c.client_id, "c1");
    ASSERT_TRUE(c.will);
    EXPECT_EQ(c.will->topic, "w/t");
    EXPECT_EQ(c.will->payload, "bye");
    EXPECT_EQ(c.will->qos, QoS::at_least_once);
    EXPECT_TRUE(c.will->retain);
    EXPECT_EQ(c.username, "u");
    EXPECT_EQ(c.password, std::string("p\0", 2));
}

TEST(MqttCodec, V31ConnectIsDecodedWhateverTheConnectionVersionSays) {
    const auto bytes = hex("10"                // CONNECT
                           "11"                // remaining length 17
                           "00064d5149736470"  // protocol name "MQIsdp"
                           "03"                // protocol level 3 (3.1)
                           "02"                // connect flags: clean session
                           "000a"              // keep alive 10
                           "0003616263");      // client id "abc"
    const auto c = round_trip<Connect>(bytes, Version::v5);  // the argument is ignored
    EXPECT_EQ(c.version, Version::v31);
    EXPECT_EQ(c.keep_alive, 10);
    EXPECT_EQ(c.client_id, "abc");
    EXPECT_EQ(connect_version(bytes), Version::v31);
}

TEST(MqttCodec, V5ConnectWithProperties) {
    const auto bytes = hex("10"              // CONNECT
                           "28"              // remaining length 40
                           "00044d515454"    // protocol name "MQTT"
                           "05"              // protocol level 5
                           "02"              // connect flags: clean start
                           "003c"            // keep alive 60
                           "1b"              // property length 27
                           "1100000078"      //   session expiry interval 120
                           "1700"            //   request problem information 0
                           "1901"            //   request response information 1
                           "210014"          //   receive maximum 20
                           "22000a"          //   topic alias maximum 10
                           "260001610001 62" //   user property ("a", "b")
                           "2700000400"      //   maximum packet size 1024
                           "0000");          // client id "" (server assigns one)
    const auto c = round_trip<Connect>(bytes, Version::v311);  // CONNECT decides its version
    EXPECT_EQ(c.version, Version::v5);
    EXPECT_TRUE(c.client_id.empty());
    EXPECT_EQ(c.properties.session_expiry_interval, 120u);
    EXPECT_EQ(c.properties.request_problem_information, false);
    EXPECT_EQ(c.properties.request_response_information, true);
    EXPECT_EQ(c.properties.receive_maximum, 20);
    EXPECT_EQ(c.properties.topic_alias_maximum, 10);
    ASSERT_EQ(c.properties.user_properties.size(), 1u);
    EXPECT_EQ(c.properties.user_properties[0], (std::pair<std::string, std::string>{"a", "b"}));
    EXPECT_EQ(c.properties.maximum_packet_size, 1024u);
    EXPECT_EQ(connect_version(bytes), Version::v5);
}

TEST(MqttCodec, V5ConnectWithWillPropertiesAndPasswordWithoutUserName) {
    const auto bytes = hex("10"              // CONNECT
                           "22"              // remaining length 34
                           "00044d515454"    // protocol name "MQTT"
                           "05"              // protocol level 5
                           "54"              // flags: password, will QoS 2, will (v5 allows no user name)
                           "0000"            // keep alive 0
                           "00"              // property length 0
                           "000178"          // client id "x"
                           "07"              // will property length 7
                           "0101"            //   payload format indicator 1 (UTF-8)
                           "1800000005"      //   will delay interval 5
                           "000174"          // will topic "t"
                           "00020102"        // will payload 01 02
                           "0003736563");    // password "sec"
    const auto c = round_trip<Connect>(bytes, Version::v5);
    EXPECT_FALSE(c.clean_start);
    ASSERT_TRUE(c.will);
    EXPECT_EQ(c.will->qos, QoS::exactly_once);
    EXPECT_FALSE(c.will->retain);
    EXPECT_EQ(c.will->properties.payload_format_indicator, 1);
    EXPECT_EQ(c.will->properties.will_delay_interval, 5u);
    EXPECT_EQ(c.will->payload, std::string("\x01\x02", 2));
    EXPECT_FALSE(c.username);
    EXPECT_EQ(c.password, "sec");
}

// --- CONNACK -------------------------------------------------------------------------

TEST(MqttCodec, V311ConnackSessionPresent) {
    const auto bytes = hex("20"    // CONNACK
                           "02"    // remaining length 2
                           "01"    // acknowledge flags: session present
                           "00");  // return code 0 (accepted)
    const auto c = round_trip<Connack>(bytes, Version::v311);
    EXPECT_TRUE(c.session_present);
    EXPECT_EQ(c.reason_code, ReasonCode::success);
}

TEST(MqttCodec, V311ConnackRefusedMapsToReasonCode) {
    const auto bytes = hex("20"    // CONNACK
                           "02"    // remaining length 2
                           "00"    // acknowledge flags: none
                           "05");  // return code 5 (not authorized)
    const auto c = round_trip<Connack>(bytes, Version::v311);
    EXPECT_EQ(c.reason_code, ReasonCode::not_authorized);
}

TEST(MqttCodec, V31ConnackHasNoSessionPresent) {
    const auto bytes = hex("20"    // CONNACK
                           "02"    // remaining length 2
                           "00"    // reserved (3.1: topic name compression, unused)
                           "02");  // return code 2 (identifier rejected)
    const auto c = round_trip<Connack>(bytes, Version::v31);
    EXPECT_FALSE(c.session_present);
    EXPECT_EQ(c.reason_code, ReasonCode::client_identifier_not_valid);
    // Session present is not representable in 3.1: it encodes as 0.
    Connack present;
    present.session_present = true;
    EXPECT_EQ(to_hex(encode(present, Version::v31)), "20020000");
}

TEST(MqttCodec, V5ConnackFailureWithoutProperties) {
    const auto bytes = hex("20"    // CONNACK
                           "03"    // remaining length 3
                           "00"    // acknowledge flags: none
                           "87"    // reason code 0x87 (not authorized)
                           "00");  // property length 0
    const auto c = round_trip<Connack>(bytes, Version::v5);
    EXPECT_EQ(c.reason_code, ReasonCode::not_authorized);
}

TEST(MqttCodec, V5ConnackWithEveryConnackProperty) {
    const auto bytes = hex("20"              // CONNACK
                           "3f"              // remaining length 63
                           "00"              // acknowledge flags: none
                           "00"              // reason code success
                           "3c"              // property length 60
                           "1100000100"      //   session expiry interval 256
                           "12000163"        //   assigned client identifier "c"
                           "13001e"          //   server keep alive 30
                           "1500016d"        //   authentication method "m"
                           "16000164"        //   authentication data "d"
                           "1a000172"        //   response information "r"
                           "1c000173"        //   server reference "s"
                           "1f00016f"        //   reason string "o"
                           "21000a"          //   receive maximum 10
                           "220005"          //   topic alias maximum 5
                           "2401"            //   maximum QoS 1
                           "2500"            //   retain available 0
                           "2600016b000176"  //   user property ("k", "v")
                           "2700001000"      //   maximum packet size 4096
                           "2801"            //   wildcard subscription available 1
                           "2900"            //   subscription identifier available 0
                           "2a01");          //   shared subscription available 1
    const auto c = round_trip<Connack>(bytes, Version::v5);
    const auto& p = c.properties;
    EXPECT_EQ(p.session_expiry_interval, 256u);
    EXPECT_EQ(p.assigned_client_identifier, "c");
    EXPECT_EQ(p.server_keep_alive, 30);
    EXPECT_EQ(p.authentication_method, "m");
    EXPECT_EQ(p.authentication_data, "d");
    EXPECT_EQ(p.response_information, "r");
    EXPECT_EQ(p.server_reference, "s");
    EXPECT_EQ(p.reason_string, "o");
    EXPECT_EQ(p.receive_maximum, 10);
    EXPECT_EQ(p.topic_alias_maximum, 5);
    EXPECT_EQ(p.maximum_qos, QoS::at_least_once);
    EXPECT_EQ(p.retain_available, false);
    ASSERT_EQ(p.user_properties.size(), 1u);
    EXPECT_EQ(p.maximum_packet_size, 4096u);
    EXPECT_EQ(p.wildcard_subscription_available, true);
    EXPECT_EQ(p.subscription_identifier_available, false);
    EXPECT_EQ(p.shared_subscription_available, true);
}

// --- PUBLISH -------------------------------------------------------------------------

TEST(MqttCodec, V311PublishQos0) {
    const auto bytes = hex("30"          // PUBLISH, QoS 0
                           "07"          // remaining length 7
                           "0003612f62"  // topic "a/b"
                           "6869");      // payload "hi"
    const auto p = round_trip<Publish>(bytes, Version::v311);
    EXPECT_EQ(p.topic, "a/b");
    EXPECT_EQ(p.payload, "hi");
    EXPECT_EQ(p.qos, QoS::at_most_once);
    EXPECT_EQ(p.packet_id, 0);
    EXPECT_FALSE(p.retain);
    EXPECT_FALSE(p.dup);
}

TEST(MqttCodec, V311PublishQos2DupRetainEmptyPayload) {
    const auto bytes = hex("3d"      // PUBLISH, DUP, QoS 2, RETAIN
                           "05"      // remaining length 5
                           "000161"  // topic "a"
                           "000a");  // packet identifier 10; payload empty
    const auto p = round_trip<Publish>(bytes, Version::v311);
    EXPECT_TRUE(p.dup);
    EXPECT_TRUE(p.retain);
    EXPECT_EQ(p.qos, QoS::exactly_once);
    EXPECT_EQ(p.packet_id, 10);
    EXPECT_TRUE(p.payload.empty());
}

TEST(MqttCodec, V31PublishQos1) {
    const auto bytes = hex("32"      // PUBLISH, QoS 1
                           "06"      // remaining length 6
                           "000161"  // topic "a"
                           "0001"    // packet identifier 1
                           "ff");    // payload ff (binary)
    const auto p = round_trip<Publish>(bytes, Version::v31);
    EXPECT_EQ(p.packet_id, 1);
    EXPECT_EQ(p.payload, "\xff");
}

TEST(MqttCodec, V5PublishQos1RoundTrips) {
    const auto bytes = hex("32"              // PUBLISH, QoS 1
                           "0c"              // remaining length = 12
                           "0005646f672f31"  // topic "dog/1"
                           "0007"            // packet identifier 7
                           "00"              // property length 0
                           "7b7d");          // payload "{}"
    auto packet = mqtt::decode(bytes, mqtt::Version::v5);
    ASSERT_TRUE(packet) << packet.error().message();
    const auto& p = std::get<mqtt::Publish>(*packet);
    EXPECT_EQ(p.topic, "dog/1");
    EXPECT_EQ(p.packet_id, 7);
    EXPECT_EQ(mqtt::encode(p, mqtt::Version::v5), bytes);
}

TEST(MqttCodec, V5PublishWithEveryPublishProperty) {
    const auto bytes = hex("31"              // PUBLISH, QoS 0, RETAIN
                           "36"              // remaining length 54
                           "0000"            // topic "" (the topic alias names it)
                           "32"              // property length 50
                           "0101"            //   payload format indicator 1
                           "020000003c"      //   message expiry interval 60
                           "030010"          //   content type, 16 bytes:
                           "6170706c69636174696f6e2f6a736f6e"  // "application/json"
                           "08000172"        //   response topic "r"
                           "09 0002 abcd"    //   correlation data ab cd
                           "0b05"            //   subscription identifier 5
                           "0b8001"          //   subscription identifier 128 (two-byte varint)
                           "230001"          //   topic alias 1
                           "2600016b000176"  //   user property ("k", "v")
                           "78");            // payload "x"
    const auto p = round_trip<Publish>(bytes, Version::v5);
    EXPECT_TRUE(p.topic.empty());
    EXPECT_TRUE(p.retain);
    EXPECT_EQ(p.payload, "x");
    const auto& pr = p.properties;
    EXPECT_EQ(pr.payload_format_indicator, 1);
    EXPECT_EQ(pr.message_expiry_interval, 60u);
    EXPECT_EQ(pr.content_type, "application/json");
    EXPECT_EQ(pr.response_topic, "r");
    EXPECT_EQ(pr.correlation_data, "\xab\xcd");
    EXPECT_EQ(pr.subscription_identifiers, (std::vector<std::uint32_t>{5, 128}));
    EXPECT_EQ(pr.topic_alias, 1);
    ASSERT_EQ(pr.user_properties.size(), 1u);
    EXPECT_EQ(pr.user_properties[0].first, "k");
}

// decode_into: a PUBLISH into a Packet that holds a Publish reuses its strings, and every
// field is set as decode() sets it (nothing left from the previous packet).
TEST(MqttCodec, DecodeIntoReusesAPublishAndSetsEveryField) {
    Packet into = Publish{std::string(64, 't'), std::string(256, 'p'), QoS::exactly_once, true, true, 9, {}};
    std::get<Publish>(into).properties.content_type = "text/plain";  // not in the next packet
    const char* payload_buffer = std::get<Publish>(into).payload.data();
    const auto qos0 = hex("30"          // PUBLISH, QoS 0
                          "07"          // remaining length 7
                          "0003612f62"  // topic "a/b"
                          "6869");      // payload "hi"
    ASSERT_TRUE(decode_into(qos0, Version::v311, into));
    const auto& p = std::get<Publish>(into);
    EXPECT_EQ(p, std::get<Publish>(*decode(qos0, Version::v311)));  // qos, dup, retain, id 0, no properties
    EXPECT_EQ(p.payload.data(), payload_buffer);  // the same buffer: nothing allocated

    const auto v5 = hex("32"              // PUBLISH, QoS 1
                        "0f"              // remaining length = 15
                        "0005646f672f31"  // topic "dog/1"
                        "0007"            // packet identifier 7
                        "03"              // property length 3
                        "230001"          //   topic alias 1
                        "7b7d");          // payload "{}"
    ASSERT_TRUE(decode_into(v5, Version::v5, into));
    EXPECT_EQ(std::get<Publish>(into), std::get<Publish>(*decode(v5, Version::v5)));
}

TEST(MqttCodec, DecodeIntoOtherPacketsAndErrorsAsDecode) {
    Packet into = Publish{};
    const auto puback = hex("40"     // PUBACK
                            "02"     // remaining length 2
                            "0005");  // packet identifier 5
    ASSERT_TRUE(decode_into(puback, Version::v311, into));
    EXPECT_EQ(into, *decode(puback, Version::v311));

    into = Publish{};
    const auto wildcard = hex("30"          // PUBLISH, QoS 0
                              "05"          // remaining length 5
                              "0003612f23");  // topic "a/#": no wildcards in a topic name
    const auto r = decode_into(wildcard, Version::v311, into);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), decode(wildcard, Version::v311).error());
    const auto short_frame = hex("30"     // PUBLISH, QoS 0
                                 "07"     // remaining length 7, but only 2 bytes follow
                                 "0003");
    EXPECT_FALSE(decode_into(short_frame, Version::v311, into));
}

TEST(MqttCodec, V5UserPropertiesKeepTheirOrderAndDuplicates) {
    const auto bytes = hex("30"              // PUBLISH, QoS 0
                           "19"              // remaining length 25
                           "000161"          // topic "a"
                           "15"              // property length 21
                           "2600017a000131"  //   user property ("z", "1")
                           "26000161000132"  //   user property ("a", "2")
                           "2600017a000133"  //   user property ("z", "3"): repeats are allowed
                           "");              // payload empty
    const auto p = round_trip<Publish>(bytes, Version::v5);
    const std::vector<std::pair<std::string, std::string>> expected{{"z", "1"}, {"a", "2"}, {"z", "3"}};
    EXPECT_EQ(p.properties.user_properties, expected);
}

// --- PUBACK, PUBREC, PUBREL, PUBCOMP ---------------------------------------------------

TEST(MqttCodec, V311Acks) {
    const auto puback = round_trip<Puback>(hex("40"      // PUBACK
                                               "02"      // remaining length 2
                                               "0007"),  // packet identifier 7
                                           Version::v311);
    EXPECT_EQ(puback.packet_id, 7);
    EXPECT_EQ(puback.reason_code, ReasonCode::success);
    EXPECT_EQ(round_trip<Pubrec>(hex("50"      // PUBREC
                                     "02"      // remaining length 2
                                     "0008"),  // packet identifier 8
                                 Version::v311).packet_id, 8);
    EXPECT_EQ(round_trip<Pubrel>(hex("62"      // PUBREL (flags 0010)
                                     "02"      // remaining length 2
                                     "0009"),  // packet identifier 9
                                 Version::v311).packet_id, 9);
    for (auto v : {Version::v31, Version::v311}) {
        EXPECT_EQ(round_trip<Pubcomp>(hex("70"      // PUBCOMP
                                          "02"      // remaining length 2
                                          "0009"),  // packet identifier 9
                                      v).packet_id, 9);
    }
}

TEST(MqttCodec, V5AckShortForms) {
    // v5 §3.4.2.1: remaining length 2 means Success without properties.
    const auto a = round_trip<Puback>(hex("40"      // PUBACK
                                          "02"      // remaining length 2
                                          "0007"),  // packet identifier 7
                                      Version::v5);
    EXPECT_EQ(a.reason_code, ReasonCode::success);
    // Remaining length 3: a reason code and no property length.
    const auto b = round_trip<Puback>(hex("40"    // PUBACK
                                          "03"    // remaining length 3
                                          "0007"  // packet identifier 7
                                          "10"),  // reason code 0x10 (no matching subscribers)
                                      Version::v5);
    EXPECT_EQ(b.reason_code, ReasonCode::no_matching_subscribers);
    const auto c = round_trip<Pubrel>(hex("62"    // PUBREL
                                          "03"    // remaining length 3
                                          "0009"  // packet identifier 9
                                          "92"),  // reason code 0x92 (packet identifier not found)
                                      Version::v5);
    EXPECT_EQ(c.reason_code, ReasonCode::packet_identifier_not_found);
    const auto d = round_trip<Pubcomp>(hex("70"      // PUBCOMP
                                           "02"      // remaining length 2
                                           "0009"),  // packet identifier 9
                                       Version::v5);
    EXPECT_EQ(d.packet_id, 9);
    // A Success reason code with an empty property list decodes, and encodes shorter.
    auto long_form = decode(hex("40"      // PUBACK
                                "04"      // remaining length 4
                                "0007"    // packet identifier 7
                                "00"      // reason code success
                                "00"),    // property length 0
                            Version::v5);
    ASSERT_TRUE(long_form);
    EXPECT_EQ(to_hex(encode(*long_form, Version::v5)), "40020007");
}

TEST(MqttCodec, V5PubrecWithReasonString) {
    const auto bytes = hex("50"            // PUBREC
                           "0b"            // remaining length 11
                           "0008"          // packet identifier 8
                           "99"            // reason code 0x99 (payload format invalid)
                           "07"            // property length 7
                           "1f000464656e79");  // reason string "deny"
    const auto p = round_trip<Pubrec>(bytes, Version::v5);
    EXPECT_EQ(p.reason_code, ReasonCode::payload_format_invalid);
    EXPECT_EQ(p.properties.reason_string, "deny");
}

TEST(MqttCodec, V5AckEncodedForV311DropsReasonAndProperties) {
    Puback a{.packet_id = 7, .reason_code = ReasonCode::not_authorized, .properties = {}};
    a.properties.reason_string = "no";
    EXPECT_EQ(to_hex(encode(a, Version::v311)), "40020007");
    EXPECT_EQ(encoded_size(a, Version::v311), 4u);
}

// --- SUBSCRIBE, SUBACK ---------------------------------------------------------------

TEST(MqttCodec, V311Subscribe) {
    const auto bytes = hex("82"          // SUBSCRIBE (flags 0010)
                           "0c"          // remaining length 12
                           "0001"        // packet identifier 1
                           "0003612f23"  // topic filter "a/#"
                           "01"          //   requested QoS 1
                           "000162"      // topic filter "b"
                           "02");        //   requested QoS 2
    const auto s = round_trip<Subscribe>(bytes, Version::v311);
    EXPECT_EQ(s.packet_id, 1);
    ASSERT_EQ(s.subscriptions.size(), 2u);
    EXPECT_EQ(s.subscriptions[0].filter, "a/#");
    EXPECT_EQ(s.subscriptions[0].options.qos, QoS::at_least_once);
    EXPECT_EQ(s.subscriptions[1].filter, "b");
    EXPECT_EQ(s.subscriptions[1].options.qos, QoS::exactly_once);
}

TEST(MqttCodec, V5SubscribeWithOptionsAndProperties) {
    const auto bytes = hex("82"                    // SUBSCRIBE
                           "25"                    // remaining length 37
                           "0002"                  // packet identifier 2
                           "11"                    // property length 17
                           "0b01"                  //   subscription identifier 1
                           "260006616363657074"    //   user property "accept"
                           "000463626f72"          //     = "cbor"
                           "000a247368617265"      // topic filter "$share/g/t" (10 bytes):
                           "2f672f74"              //   "$share" "/g/t"
                           "29"                    //   options: retain handling 2, RAP, QoS 1
                           "000178"                // topic filter "x"
                           "14");                  //   options: retain handling 1, no local, QoS 0
    const auto s = round_trip<Subscribe>(bytes, Version::v5);
    EXPECT_EQ(s.properties.subscription_identifiers, std::vector<std::uint32_t>{1});
    ASSERT_EQ(s.properties.user_properties.size(), 1u);
    EXPECT_EQ(s.properties.user_properties[0].second, "cbor");
    ASSERT_EQ(s.subscriptions.size(), 2u);
    EXPECT_EQ(s.subscriptions[0].filter, "$share/g/t");
    EXPECT_EQ(s.subscriptions[0].options,
              (SubscribeOptions{QoS::at_least_once, false, true, RetainHandling::do_not_send}));
    EXPECT_EQ(s.subscriptions[1].options,
              (SubscribeOptions{QoS::at_most_once, true, false, RetainHandling::send_if_new_subscription}));
}

TEST(MqttCodec, V311Suback) {
    const auto bytes = hex("90"    // SUBACK
                           "05"    // remaining length 5
                           "0001"  // packet identifier 1
                           "01"    // granted QoS 1
                           "02"    // granted QoS 2
                           "80");  // failure
    const auto s = round_trip<Suback>(bytes, Version::v311);
    EXPECT_EQ(s.reason_codes, (std::vector<ReasonCode>{ReasonCode::granted_qos_1, ReasonCode::granted_qos_2,
                                                       ReasonCode::unspecified_error}));
    // Any v5 failure code goes out as 0x80 before v5.
    const Suback v5_style{.packet_id = 1, .reason_codes = {ReasonCode::success, ReasonCode::not_authorized}, .properties = {}};
    EXPECT_EQ(to_hex(encode(v5_style, Version::v311)), "900400010080");
}

TEST(MqttCodec, V5Suback) {
    const auto bytes = hex("90"        // SUBACK
                           "0c"        // remaining length 12
                           "0002"      // packet identifier 2
                           "05"        // property length 5
                           "1f00026f6b"  //   reason string "ok"
                           "01"        // granted QoS 1
                           "00"        // granted QoS 0
                           "8f"        // topic filter invalid
                           "a1");      // subscription identifiers not supported
    const auto s = round_trip<Suback>(bytes, Version::v5);
    EXPECT_EQ(s.properties.reason_string, "ok");
    EXPECT_EQ(s.reason_codes,
              (std::vector<ReasonCode>{ReasonCode::granted_qos_1, ReasonCode::success, ReasonCode::topic_filter_invalid,
                                       ReasonCode::subscription_identifiers_not_supported}));
}

// --- UNSUBSCRIBE, UNSUBACK -------------------------------------------------------------

TEST(MqttCodec, V311Unsubscribe) {
    const auto bytes = hex("a2"          // UNSUBSCRIBE (flags 0010)
                           "0a"          // remaining length 10
                           "0003"        // packet identifier 3
                           "0003612f62"  // topic filter "a/b"
                           "000163");    // topic filter "c"
    const auto u = round_trip<Unsubscribe>(bytes, Version::v311);
    EXPECT_EQ(u.packet_id, 3);
    EXPECT_EQ(u.filters, (std::vector<std::string>{"a/b", "c"}));
}

TEST(MqttCodec, V5Unsubscribe) {
    const auto bytes = hex("a2"       // UNSUBSCRIBE
                           "06"       // remaining length 6
                           "0003"     // packet identifier 3
                           "00"       // property length 0
                           "000163"); // topic filter "c"
    const auto u = round_trip<Unsubscribe>(bytes, Version::v5);
    EXPECT_EQ(u.filters, std::vector<std::string>{"c"});
}

TEST(MqttCodec, V311Unsuback) {
    const auto u = round_trip<Unsuback>(hex("b0"      // UNSUBACK
                                            "02"      // remaining length 2
                                            "0003"),  // packet identifier 3
                                        Version::v311);
    EXPECT_EQ(u.packet_id, 3);
    EXPECT_TRUE(u.reason_codes.empty());
}

TEST(MqttCodec, V5Unsuback) {
    const auto bytes = hex("b0"    // UNSUBACK
                           "05"    // remaining length 5
                           "0003"  // packet identifier 3
                           "00"    // property length 0
                           "00"    // success
                           "11");  // no subscription existed
    const auto u = round_trip<Unsuback>(bytes, Version::v5);
    EXPECT_EQ(u.reason_codes, (std::vector<ReasonCode>{ReasonCode::success, ReasonCode::no_subscription_existed}));
}

// --- PINGREQ, PINGRESP, DISCONNECT, AUTH ------------------------------------------------

TEST(MqttCodec, PingInEveryVersion) {
    for (auto v : {Version::v31, Version::v311, Version::v5}) {
        SCOPED_TRACE(std::string(name(v)));
        round_trip<Pingreq>(hex("c0"    // PINGREQ
                                "00"),  // remaining length 0
                            v);
        round_trip<Pingresp>(hex("d0"    // PINGRESP
                                 "00"),  // remaining length 0
                             v);
    }
}

TEST(MqttCodec, DisconnectWithoutReason) {
    for (auto v : {Version::v31, Version::v311, Version::v5}) {
        SCOPED_TRACE(std::string(name(v)));
        const auto d = round_trip<Disconnect>(hex("e0"    // DISCONNECT
                                                  "00"),  // remaining length 0 (v5: normal disconnection)
                                              v);
        EXPECT_EQ(d.reason_code, ReasonCode::success);
    }
}

TEST(MqttCodec, V5DisconnectWithReasonAndProperties) {
    const auto only_reason = round_trip<Disconnect>(hex("e0"    // DISCONNECT
                                                        "01"    // remaining length 1
                                                        "8e"),  // session taken over
                                                    Version::v5);
    EXPECT_EQ(only_reason.reason_code, ReasonCode::session_taken_over);

    const auto bytes = hex("e0"          // DISCONNECT
                           "0f"          // remaining length 15
                           "04"          // disconnect with will message
                           "0d"          // property length 13
                           "1100000000"  //   session expiry interval 0
                           "1c000173"    //   server reference "s"
                           "1f000178");  //   reason string "x"
    const auto d = round_trip<Disconnect>(bytes, Version::v5);
    EXPECT_EQ(d.reason_code, ReasonCode::disconnect_with_will_message);
    EXPECT_EQ(d.properties.session_expiry_interval, 0u);
    EXPECT_EQ(d.properties.server_reference, "s");
    EXPECT_EQ(d.properties.reason_string, "x");
}

TEST(MqttCodec, V5Auth) {
    round_trip<Auth>(hex("f0"    // AUTH
                         "00"),  // remaining length 0: success, no properties
                     Version::v5);
    const auto bytes = hex("f0"              // AUTH
                           "0f"              // remaining length 15
                           "18"              // continue authentication
                           "0d"              // property length 13
                           "15000553435241 4d"  //   authentication method "SCRAM"
                           "1600020102");    //   authentication data 01 02
    const auto a = round_trip<Auth>(bytes, Version::v5);
    EXPECT_EQ(a.reason_code, ReasonCode::continue_authentication);
    EXPECT_EQ(a.properties.authentication_method, "SCRAM");
    EXPECT_EQ(a.properties.authentication_data, std::string("\x01\x02", 2));
}

// --- encoder API -----------------------------------------------------------------------

TEST(MqttCodec, EncodeToAppendsPackets) {
    Bytes out = hex("ff");  // something already buffered
    encode_to(Pingresp{}, Version::v311, out);
    encode_publish_to(Publish{.topic = "a", .payload = "b", .qos = QoS::at_least_once, .retain = false, .dup = false,
                              .packet_id = 2, .properties = {}},
                      Version::v5, out);
    EXPECT_EQ(to_hex(out), "ff"
                           "d000"                    // PINGRESP
                           "3207000161000200" "62"); // PUBLISH QoS 1 "a", id 2, no properties, "b"
}

TEST(MqttCodec, EncodedSizeMatchesEncodeForLongPayloads) {
    for (std::size_t n : {0u, 100u, 121u, 122u, 16'380u, 16'384u, 2'097'152u}) {
        Publish p{.topic = "t", .payload = std::string(n, 'x'), .qos = QoS::at_most_once, .retain = false,
                  .dup = false, .packet_id = 0, .properties = {}};
        Bytes out;
        encode_publish_to(p, Version::v5, out);
        EXPECT_EQ(out.size(), encoded_publish_size(p, Version::v5));
        auto size = frame_size(out, 0xffffffff);
        ASSERT_TRUE(size);
        EXPECT_EQ(*size, out.size());
        auto back = decode(out, Version::v5);
        ASSERT_TRUE(back);
        EXPECT_EQ(std::get<Publish>(*back), p);
    }
}

TEST(MqttCodec, ConnectVersionPeeksWithoutDecoding) {
    // CONNECT "MQTT" level 5 whose client id is cut short: decode fails, the version is known.
    const auto broken = hex("10"            // CONNECT
                            "0d"            // remaining length 13
                            "00044d515454"  // protocol name "MQTT"
                            "05"            // protocol level 5
                            "02"            // connect flags
                            "003c"          // keep alive 60
                            "00"            // property length 0
                            "0005");        // client id length 5, bytes missing
    EXPECT_FALSE(decode(broken, Version::v5));
    EXPECT_EQ(connect_version(broken), Version::v5);
    EXPECT_EQ(connect_version(hex("c000")), std::nullopt);  // not a CONNECT
    EXPECT_EQ(connect_version(hex("100c00044d51545406")), std::nullopt);  // level 6
}

TEST(MqttCodec, PacketTypeNames) {
    EXPECT_EQ(name(PacketType::connect), "CONNECT");
    EXPECT_EQ(name(PacketType::unsuback), "UNSUBACK");
    EXPECT_EQ(name(PacketType::auth), "AUTH");
    EXPECT_EQ(type_of(Packet{Pubrel{}}), PacketType::pubrel);
    EXPECT_EQ(type_of(Packet{Auth{}}), PacketType::auth);
    EXPECT_EQ(name(Version::v311), "3.1.1");
}

}  // namespace
}  // namespace harperrt::mqtt
