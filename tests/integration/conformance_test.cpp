// Normative statements of MQTT 3.1.1 and 5.0 that the feature tests do not already pin
// down, each test named after what the specification requires (conformance ids in the
// comments), black-box against the real daemon.
#include "tests/support/daemon.hpp"
#include "tests/support/test_client.hpp"
#include "tests/support/v5_fixture.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace harperrt::test {
namespace {

using mqtt::QoS;
using mqtt::ReasonCode;
using mqtt::Version;

class Conformance : public ::testing::TestWithParam<Version> {
protected:
    void TearDown() override { EXPECT_EQ(daemon_.stop(), 0) << daemon_.log(); }
    bool v5() const { return GetParam() == Version::v5; }
    std::unique_ptr<TestClient> client(const std::string& id, bool clean = true, mqtt::Properties props = {}) {
        auto c = std::make_unique<TestClient>(daemon_.mqtt_port(), GetParam());
        EXPECT_EQ(c->connect(id, clean, std::move(props)).reason_code, ReasonCode::success);
        return c;
    }
    Daemon daemon_;
};

// [MQTT-4.7.2-1]: filters starting with a wildcard do not match topics starting with '$'.
TEST_P(Conformance, WildcardsDoNotMatchDollarTopics) {
    auto pub = client("pub");
    auto sub = client("sub");
    sub->subscribe("#", QoS::at_most_once, 1);
    sub->subscribe("+/x", QoS::at_most_once, 2);
    sub->subscribe("$other/#", QoS::at_most_once, 3);
    pub->publish("$other/x", "a", QoS::at_least_once, false, 1);
    const auto got = sub->receive_publish();
    EXPECT_EQ(got.topic, "$other/x");  // once, through $other/# only
    EXPECT_TRUE(sub->nothing_pending());
}

// v5 [MQTT-3.3.1-6..7], 3.1.1 [MQTT-3.3.1-10..11]: a retained PUBLISH with an empty payload
// removes the retained message, and is not itself retained; QoS 0 too.
TEST_P(Conformance, EmptyRetainedQos0PublishClearsTheRetainedMessage) {
    auto pub = client("pub");
    pub->publish("plain/r", "kept", QoS::at_least_once, true, 1);
    pub->publish("plain/r", "", QoS::at_most_once, true);
    pub->send(mqtt::Pingreq{});
    pub->expect<mqtt::Pingresp>();  // the clear is routed before this answer
    auto sub = client("sub");
    sub->subscribe("plain/#", QoS::at_least_once);
    EXPECT_TRUE(sub->nothing_pending());
}

// v5 [MQTT-3.1.2-4..6], 3.1.1 [MQTT-3.1.2-6]: a clean session discards the old one; with
// clean start off the stored subscriptions continue ([MQTT-3.1.2-5]/[MQTT-3.1.2-4]).
TEST_P(Conformance, CleanStartDiscardsSubscriptions) {
    mqtt::Properties keep;
    if (v5()) keep.session_expiry_interval = 600;
    {
        auto c = client("cs", false, keep);
        c->subscribe("cs/#", QoS::at_least_once);
        c->disconnect();
        ASSERT_TRUE(c->wait_closed());
    }
    {
        TestClient c(daemon_.mqtt_port(), GetParam());
        EXPECT_TRUE(c.connect("cs", true, keep).reason_code == ReasonCode::success);
        auto pub = client("pub");
        pub->publish("cs/x", "after clean", QoS::at_least_once, false, 1);
        EXPECT_TRUE(c.nothing_pending());  // the subscription went with the old session
    }
}

// [MQTT-2.3.1-1] (v5 [MQTT-2.2.1-3]): a QoS 1/2 PUBLISH needs a non-zero packet identifier.
TEST_P(Conformance, PacketIdentifierZeroIsMalformed) {
    auto c = client("zero");
    // PUBLISH QoS 1 "z/x", packet identifier 0, payload "p" (v5: empty properties).
    if (v5()) c->send_raw({std::byte{0x32}, std::byte{9}, std::byte{0}, std::byte{3}, std::byte{'z'}, std::byte{'/'},
                           std::byte{'x'}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{'p'}});
    else c->send_raw({std::byte{0x32}, std::byte{8}, std::byte{0}, std::byte{3}, std::byte{'z'}, std::byte{'/'},
                      std::byte{'x'}, std::byte{0}, std::byte{0}, std::byte{'p'}});
    EXPECT_TRUE(c->wait_closed());
}

// 3.1.1 [MQTT-3.8.3-3], v5 [MQTT-3.8.3-2]: a SUBSCRIBE without a topic filter is a protocol violation.
TEST_P(Conformance, SubscribeWithoutFiltersIsRefused) {
    auto c = client("nofilter");
    if (v5()) c->send_raw({std::byte{0x82}, std::byte{3}, std::byte{0}, std::byte{1}, std::byte{0}});
    else c->send_raw({std::byte{0x82}, std::byte{2}, std::byte{0}, std::byte{1}});
    EXPECT_TRUE(c->wait_closed());
}

// v5 [MQTT-3.3.2-2], 3.1.1 [MQTT-3.3.2-2]: the topic name in a PUBLISH must not contain wildcards.
TEST_P(Conformance, WildcardInPublishTopicClosesTheConnection) {
    auto c = client("wild");
    c->send(mqtt::Publish{"a/+", "p", QoS::at_most_once, false, false, 0, {}});
    EXPECT_TRUE(c->wait_closed());
}

// v5 [MQTT-3.1.2-22] / 3.1.1 [MQTT-3.1.2-24]: keep alive 0 turns the mechanism off.
TEST_P(Conformance, KeepAliveZeroNeverTimesOut) {
    TestClient c(daemon_.mqtt_port(), GetParam());
    ASSERT_EQ(c.connect("ka0", true, {}, 0).reason_code, ReasonCode::success);
    // No traffic for a while would close a 1 s keep-alive connection (1.5 s); this one stays.
    EXPECT_FALSE(c.receive(std::chrono::milliseconds(2000)).has_value());
    EXPECT_FALSE(c.closed());
    EXPECT_TRUE(c.nothing_pending());
}

// v5 [MQTT-3.1.2-17], 3.1.1 [MQTT-3.1.2-17]: a will with Will Retain 1 is published as a
// retained message: a later subscriber receives it with RETAIN=1.
TEST_P(Conformance, RetainedWillIsRetained) {
    auto watcher = client("watcher");
    watcher->subscribe("wills/#", QoS::at_least_once);
    {
        TestClient c(daemon_.mqtt_port(), GetParam());
        mqtt::Connect conn;
        conn.version = GetParam();
        conn.client_id = "dies";
        conn.clean_start = true;
        conn.will = mqtt::Will{"wills/dies", "gone", QoS::at_least_once, true, {}};
        ASSERT_EQ(c.connect(conn).reason_code, ReasonCode::success);
    }  // closed without DISCONNECT
    EXPECT_EQ(watcher->receive_publish().payload, "gone");  // published (and kept before routing)
    auto later = client("later");
    later->subscribe("wills/#", QoS::at_least_once);
    const auto will = later->receive_publish();
    EXPECT_EQ(will.topic, "wills/dies");
    EXPECT_EQ(will.payload, "gone");
    EXPECT_TRUE(will.retain);
}

// v5 [MQTT-3.1.2-22], 3.1.1 [MQTT-3.1.2-24]: the server allows one and a half keep alive
// periods; with keep alive 1 a client that pings every 1.2 s stays connected.
TEST_P(Conformance, KeepAliveAllowsOneAndAHalfPeriods) {
    TestClient c(daemon_.mqtt_port(), GetParam());
    ASSERT_EQ(c.connect("ka1", true, {}, 1).reason_code, ReasonCode::success);
    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(c.receive(std::chrono::milliseconds(1200)).has_value());  // the protocol's own timing
        ASSERT_FALSE(c.closed()) << "closed after " << i << " pings";
        EXPECT_TRUE(c.nothing_pending());
    }
}

INSTANTIATE_TEST_SUITE_P(Versions, Conformance, ::testing::Values(Version::v311, Version::v5),
                         [](const ::testing::TestParamInfo<Version>& p) { return p.param == Version::v5 ? "v5" : "v311"; });

class ConformanceV5 : public DaemonV5Test {};

// v5 §3.2.2.3.14 [MQTT-3.2.2-21]: a keep alive above mqtt.limits.maxKeepalive is replaced by
// the server's, announced as Server Keep Alive, which the client must then use.
TEST(ConformanceV5Limits, ServerKeepAliveCapsTheClientsValue) {
    Daemon daemon("mqtt:\n  limits: { maxKeepalive: 10 }\n");
    TestClient c(daemon.mqtt_port(), Version::v5);
    const auto ack = c.connect("ka", true, {}, 60);
    EXPECT_EQ(ack.reason_code, ReasonCode::success);
    EXPECT_EQ(ack.properties.server_keep_alive, 10);
    TestClient d(daemon.mqtt_port(), Version::v5);
    EXPECT_FALSE(d.connect("ka2", true, {}, 5).properties.server_keep_alive);  // within the limit: none
    EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// Before CONNECT nothing is trusted: the CONNECT timeout runs from the accept (a CONNECT
// trickled a byte at a time does not extend it), and a packet announced larger than a
// CONNECT can be is refused at its header, before anything is buffered.
TEST(ConformanceLimits, ConnectTimeoutRunsFromTheAccept) {
    Daemon daemon("mqtt:\n  limits: { connectTimeout: 1 }\n");
    TestClient c(daemon.mqtt_port(), Version::v5);
    const auto start = std::chrono::steady_clock::now();
    const std::vector<int> connect = {0x10, 0x20, 0x00, 0x04, 'M', 'Q', 'T', 'T', 5, 2, 0, 60, 0, 0, 1, 'x'};
    for (const int b : connect) {
        if (c.wait_closed(std::chrono::milliseconds(300))) break;  // a paced trickle that ends when closed
        c.send_raw({static_cast<std::byte>(b)});
    }
    EXPECT_TRUE(c.wait_closed(std::chrono::seconds(5)));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
    EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

TEST(ConformanceLimits, OversizedPacketBeforeConnectIsRefusedAtItsHeader) {
    Daemon daemon;
    TestClient c(daemon.mqtt_port(), Version::v5);
    // CONNECT announcing 100,663,296 bytes (the default maxPacketSize would allow it later).
    c.send_raw({std::byte{0x10}, std::byte{0x80}, std::byte{0x80}, std::byte{0x80}, std::byte{0x30}});
    EXPECT_TRUE(c.wait_closed(std::chrono::seconds(2)));
    EXPECT_EQ(daemon.stop(), 0) << daemon.log();
}

// [MQTT-3.14.2-2]: a DISCONNECT may not set a Session Expiry Interval when CONNECT had 0.
TEST_F(ConformanceV5, DisconnectCannotRaiseSessionExpiryFromZero) {
    auto c = client("se0");
    mqtt::Disconnect d;
    d.reason_code = ReasonCode::success;
    d.properties.session_expiry_interval = 60;
    c->send(d);
    auto p = c->receive();
    if (p) {
        ASSERT_TRUE(std::holds_alternative<mqtt::Disconnect>(*p));
        EXPECT_EQ(std::get<mqtt::Disconnect>(*p).reason_code, ReasonCode::protocol_error);
    }
    EXPECT_TRUE(c->wait_closed());
    // So the session ended: a reconnect without clean start finds none.
    TestClient again(daemon_.mqtt_port(), Version::v5);
    EXPECT_FALSE(again.connect("se0", false).session_present);
}

// v5 §3.14.2.1: DISCONNECT 0x04 (Disconnect with Will Message) publishes the will.
TEST_F(ConformanceV5, DisconnectWithWillMessagePublishesTheWill) {
    auto watcher = client("watcher");
    watcher->subscribe("wills/#", QoS::at_least_once);
    TestClient c(daemon_.mqtt_port(), Version::v5);
    mqtt::Connect conn;
    conn.client_id = "leaver";
    conn.clean_start = true;
    conn.will = mqtt::Will{"wills/leaver", "gone", QoS::at_least_once, false, {}};
    ASSERT_EQ(c.connect(conn).reason_code, ReasonCode::success);
    mqtt::Disconnect d;
    d.reason_code = ReasonCode::disconnect_with_will_message;
    c.send(d);
    const auto will = watcher->receive_publish();
    EXPECT_EQ(will.topic, "wills/leaver");
    EXPECT_EQ(will.payload, "gone");
}

// v5 §3.8.2.1.2: a Subscription Identifier of 0 is a protocol error.
TEST_F(ConformanceV5, SubscriptionIdentifierZeroIsAProtocolError) {
    auto c = client("sid0");
    mqtt::Properties props;
    props.subscription_identifiers.push_back(0);
    c->send(mqtt::Subscribe{1, {{"s/#", {}}}, props});
    EXPECT_TRUE(c->wait_closed());
}

// v5 §3.11.3: UNSUBACK says 0x11 for a filter that had no subscription.
TEST_F(ConformanceV5, UnsubscribeOfUnknownFilterSaysNoSubscriptionExisted) {
    auto c = client("unsub");
    c->send(mqtt::Unsubscribe{3, {"never/#"}, {}});
    const auto ack = c->expect<mqtt::Unsuback>();
    EXPECT_EQ(ack.packet_id, 3);
    EXPECT_EQ(ack.reason_codes, std::vector<ReasonCode>{ReasonCode::no_subscription_existed});
}

// v5 [MQTT-3.1.2-29]: with Request Problem Information 0 the server sends no Reason String
// (or User Properties) except on PUBLISH, CONNACK and DISCONNECT.
TEST_F(ConformanceV5, NoReasonStringWhenProblemInformationIsNotRequested) {
    mqtt::Properties props;
    props.request_problem_information = 0;
    auto c = client("quiet", props);
    mqtt::Subscribe s{1, {{"bad/#/x", {}}}, {}};
    c->send(s);
    const auto ack = c->expect<mqtt::Suback>();
    EXPECT_EQ(ack.reason_codes, std::vector<ReasonCode>{ReasonCode::topic_filter_invalid});
    EXPECT_FALSE(ack.properties.reason_string);
}

}  // namespace
}  // namespace harperrt::test
