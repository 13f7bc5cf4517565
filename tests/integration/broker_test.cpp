// The broker over TCP, black-box: the real daemon (port 0 + ready file) and raw packets
// from TestClient, in MQTT 3.1.1 and 5.0 (TEST_P).
#include "tests/support/daemon.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>

namespace harperrt::test {
namespace {

using mqtt::QoS;
using mqtt::ReasonCode;
using mqtt::Version;

class BrokerTest : public ::testing::TestWithParam<Version> {
protected:
    void TearDown() override { EXPECT_EQ(daemon_.stop(), 0) << daemon_.log(); }  // graceful drain

    std::unique_ptr<TestClient> client(const std::string& id, bool clean = true) {
        auto c = std::make_unique<TestClient>(daemon_.mqtt_port(), GetParam());
        const auto ack = c->connect(id, clean);
        EXPECT_EQ(ack.reason_code, ReasonCode::success);
        return c;
    }
    bool v5() const { return GetParam() == Version::v5; }

    Daemon daemon_;
};

TEST_P(BrokerTest, ConnectIsAcknowledged) {
    TestClient c(daemon_.mqtt_port(), GetParam());
    const auto ack = c.connect("c1");
    EXPECT_EQ(ack.reason_code, ReasonCode::success);
    EXPECT_FALSE(ack.session_present);
    if (v5()) {
        EXPECT_TRUE(ack.properties.receive_maximum.has_value());
        EXPECT_TRUE(ack.properties.topic_alias_maximum.has_value());
    }
}

TEST_P(BrokerTest, FirstPacketMustBeConnect) {
    TestClient c(daemon_.mqtt_port(), GetParam());
    c.send(mqtt::Pingreq{});
    EXPECT_TRUE(c.wait_closed());  // [MQTT-3.1.0-1]
}

TEST_P(BrokerTest, SecondConnectIsAProtocolError) {
    auto c = client("c1");
    mqtt::Connect again;
    again.version = GetParam();
    again.client_id = "c1";
    c->send(again);
    EXPECT_TRUE(c->wait_closed());  // [MQTT-3.1.0-2]
}

TEST_P(BrokerTest, EmptyClientIdIsAssignedOrRefused) {
    TestClient c(daemon_.mqtt_port(), GetParam());
    const auto ack = c.connect("", /*clean=*/false);
    if (v5()) {
        EXPECT_EQ(ack.reason_code, ReasonCode::success);
        ASSERT_TRUE(ack.properties.assigned_client_identifier.has_value());
        EXPECT_FALSE(ack.properties.assigned_client_identifier->empty());
    } else {
        EXPECT_EQ(ack.reason_code, ReasonCode::client_identifier_not_valid);  // 3.1.1 return code 2
        EXPECT_TRUE(c.wait_closed());
    }
}

TEST_P(BrokerTest, PingGetsPingresp) {
    auto c = client("c1");
    c->send(mqtt::Pingreq{});
    c->expect<mqtt::Pingresp>();
}

TEST_P(BrokerTest, PublishReachesSubscriberAtMinQos) {
    auto sub = client("sub");
    auto ack = sub->subscribe("a/+", QoS::at_least_once);
    ASSERT_EQ(ack.reason_codes.size(), 1u);
    EXPECT_EQ(ack.reason_codes[0], ReasonCode::granted_qos_1);
    auto pub = client("pub");
    pub->publish("a/b", "hello", QoS::exactly_once, false, 7);
    const auto p = sub->receive_publish();
    EXPECT_EQ(p.topic, "a/b");
    EXPECT_EQ(p.payload, "hello");
    EXPECT_EQ(p.qos, QoS::at_least_once);  // min(2, granted 1)
    EXPECT_FALSE(p.retain);
}

TEST_P(BrokerTest, Qos2ResendBeforePubrelIsNotDeliveredTwice) {
    auto sub = client("sub");
    sub->subscribe("x", QoS::exactly_once);
    auto pub = client("pub");
    mqtt::Publish p{"x", "once", QoS::exactly_once, false, false, 9, {}};
    pub->send(p);
    EXPECT_EQ(pub->expect<mqtt::Pubrec>().packet_id, 9);
    p.dup = true;
    pub->send(p);  // resend before PUBREL
    EXPECT_EQ(pub->expect<mqtt::Pubrec>().packet_id, 9);
    pub->send(mqtt::Pubrel{9, ReasonCode::success, {}});
    EXPECT_EQ(pub->expect<mqtt::Pubcomp>().packet_id, 9);
    EXPECT_EQ(sub->receive_publish().payload, "once");
    sub->send(mqtt::Pingreq{});
    // The next packet is the PINGRESP, not a second copy.
    auto next = sub->receive();
    ASSERT_TRUE(next.has_value());
    EXPECT_TRUE(std::holds_alternative<mqtt::Pingresp>(*next));
}

// Packet identifiers of deliveries (v5 [MQTT-2.2.1-3]): more than 65535 QoS 1 deliveries
// while the first one stays unacknowledged and the others are acknowledged in reverse
// order, ten at a time. The identifiers wrap around, never reuse the one still in flight,
// and every message arrives once, in order.
TEST_P(BrokerTest, PacketIdsWrapAroundWithoutReusingOneInFlight) {
    auto sub = client("sub");
    sub->subscribe("wrap/#", QoS::at_least_once);
    auto pub = client("pub");
    constexpr int total = 65535 + 300;
    constexpr int batch = 200;  // publisher's QoS 1 PUBLISHes per round, then their PUBACKs
    constexpr int group = 10;   // the subscriber acknowledges ten at a time, newest first
    std::optional<std::uint16_t> held;  // the first delivery's id, never acknowledged until the end
    std::vector<std::uint16_t> unacked;
    int received = 0;
    bool wrapped = false;
    std::uint16_t last_id = 0;
    for (int sent = 0; sent < total;) {
        const int n = std::min(batch, total - sent);
        mqtt::Bytes bytes;
        for (int i = 0; i < n; ++i) {
            const mqtt::Publish p{"wrap/t", std::to_string(sent + i), QoS::at_least_once, false, false,
                                  static_cast<std::uint16_t>(i + 1), {}};
            const auto one = mqtt::encode(p, GetParam());
            bytes.insert(bytes.end(), one.begin(), one.end());
        }
        pub->send_raw(bytes);
        sent += n;
        while (received < sent) {
            auto p = sub->expect<mqtt::Publish>();
            ASSERT_EQ(p.payload, std::to_string(received)) << "lost, duplicated or out of order";
            ASSERT_NE(p.packet_id, 0);
            if (held) {
                ASSERT_NE(p.packet_id, *held) << "reused while in flight, delivery " << received;
            }
            for (auto id : unacked) ASSERT_NE(p.packet_id, id) << "reused while in flight";
            if (p.packet_id < last_id) wrapped = true;
            last_id = p.packet_id;
            ++received;
            if (!held) {
                held = p.packet_id;
                continue;
            }
            unacked.push_back(p.packet_id);
            if (unacked.size() == group || received == sent) {
                for (auto it = unacked.rbegin(); it != unacked.rend(); ++it)
                    sub->send(mqtt::Puback{*it, ReasonCode::success, {}});
                unacked.clear();
            }
        }
        for (int i = 0; i < n; ++i) ASSERT_EQ(pub->expect<mqtt::Puback>().packet_id, i + 1);
    }
    EXPECT_TRUE(wrapped);
    // The held one is still in flight: acknowledging it is accepted, and delivery goes on.
    sub->send(mqtt::Puback{*held, ReasonCode::success, {}});
    pub->publish("wrap/t", "after", QoS::at_least_once, false, 1);
    EXPECT_EQ(sub->receive_publish().payload, "after");
}

// Four-byte acks take a shortcut past the decoder (connection.hpp, design note 7); the
// rules still hold: an ack of an unknown id is ignored, packet id 0 and reserved flag
// bits are protocol errors that end the connection.
TEST_P(BrokerTest, ShortAcksFollowTheRules) {
    const auto raw = [](std::initializer_list<unsigned> bytes) {
        mqtt::Bytes out;
        for (auto b : bytes) out.push_back(static_cast<std::byte>(b));
        return out;
    };
    auto unknown = client("unknown");
    unknown->send_raw(raw({0x40, 0x02, 0x12, 0x34, 0x70, 0x02, 0x12, 0x35}));  // PUBACK, PUBCOMP of nothing
    unknown->send(mqtt::Pingreq{});
    unknown->expect<mqtt::Pingresp>();  // still connected, nothing else sent
    auto zero = client("zero");
    zero->send_raw(raw({0x40, 0x02, 0x00, 0x00}));  // PUBACK with packet id 0 [MQTT-2.2.1-3]
    EXPECT_TRUE(zero->wait_closed());
    auto flags = client("flags");
    flags->send_raw(raw({0x41, 0x02, 0x00, 0x01}));  // PUBACK with a reserved flag bit [MQTT-2.2.2-2]
    EXPECT_TRUE(flags->wait_closed());
}

TEST_P(BrokerTest, RetainedMessageIsDeliveredOnSubscribeWithRetainFlag) {
    auto pub = client("pub");
    pub->publish("r/1", "kept", QoS::at_least_once, true);
    auto sub = client("sub");
    sub->subscribe("r/#", QoS::at_least_once);
    const auto p = sub->receive_publish();
    EXPECT_EQ(p.topic, "r/1");
    EXPECT_EQ(p.payload, "kept");
    EXPECT_TRUE(p.retain);
    // An empty retained publish clears it.
    pub->publish("r/1", "", QoS::at_least_once, true);
    auto sub2 = client("sub2");
    sub2->subscribe("r/#", QoS::at_least_once);
    sub2->send(mqtt::Pingreq{});
    auto next = sub2->receive();
    ASSERT_TRUE(next.has_value());
    EXPECT_TRUE(std::holds_alternative<mqtt::Pingresp>(*next));
}

TEST_P(BrokerTest, SnapshotBeforePingresp) {
    auto pub = client("pub");
    for (int i = 0; i < 50; ++i) pub->publish("s/" + std::to_string(i), "v", QoS::at_most_once, true);
    pub->send(mqtt::Pingreq{});
    pub->expect<mqtt::Pingresp>();  // the publishes above are processed
    auto sub = client("sub");
    sub->subscribe("s/#", QoS::at_most_once);
    sub->send(mqtt::Pingreq{});
    int retained = 0;
    for (;;) {
        auto p = sub->receive();
        ASSERT_TRUE(p.has_value());
        if (std::holds_alternative<mqtt::Pingresp>(*p)) break;
        ASSERT_TRUE(std::holds_alternative<mqtt::Publish>(*p));
        ++retained;
    }
    EXPECT_EQ(retained, 50);
}

TEST_P(BrokerTest, UnsubscribeStopsDelivery) {
    auto sub = client("sub");
    sub->subscribe("u", QoS::at_most_once);
    sub->send(mqtt::Unsubscribe{2, {"u", "never"}, {}});
    const auto ack = sub->expect<mqtt::Unsuback>();
    EXPECT_EQ(ack.packet_id, 2);
    if (v5()) {
        ASSERT_EQ(ack.reason_codes.size(), 2u);
        EXPECT_EQ(ack.reason_codes[0], ReasonCode::success);
        EXPECT_EQ(ack.reason_codes[1], ReasonCode::no_subscription_existed);
    }
    auto pub = client("pub");
    pub->publish("u", "x", QoS::at_least_once);
    sub->send(mqtt::Pingreq{});
    auto next = sub->receive();
    ASSERT_TRUE(next.has_value());
    EXPECT_TRUE(std::holds_alternative<mqtt::Pingresp>(*next));
}

TEST_P(BrokerTest, InvalidFilterIsRefusedInSuback) {
    auto sub = client("sub");
    const auto ack = sub->subscribe("a/#/b", QoS::at_most_once);
    ASSERT_EQ(ack.reason_codes.size(), 1u);
    EXPECT_EQ(ack.reason_codes[0], v5() ? ReasonCode::topic_filter_invalid : ReasonCode::unspecified_error);
}

TEST_P(BrokerTest, WillIsPublishedOnAbnormalClose) {
    auto sub = client("sub");
    sub->subscribe("will/#", QoS::at_least_once);
    {
        TestClient c(daemon_.mqtt_port(), GetParam());
        mqtt::Connect con;
        con.client_id = "dying";
        con.will = mqtt::Will{"will/dying", "gone", QoS::at_least_once, false, {}};
        EXPECT_EQ(c.connect(con).reason_code, ReasonCode::success);
    }  // socket closed without DISCONNECT
    const auto p = sub->receive_publish();
    EXPECT_EQ(p.topic, "will/dying");
    EXPECT_EQ(p.payload, "gone");
}

TEST_P(BrokerTest, WillIsDiscardedOnNormalDisconnect) {
    auto sub = client("sub");
    sub->subscribe("will/#", QoS::at_least_once);
    {
        TestClient c(daemon_.mqtt_port(), GetParam());
        mqtt::Connect con;
        con.client_id = "polite";
        con.will = mqtt::Will{"will/polite", "gone", QoS::at_least_once, false, {}};
        c.connect(con);
        c.disconnect();
        EXPECT_TRUE(c.wait_closed());
    }
    sub->send(mqtt::Pingreq{});
    auto next = sub->receive();
    ASSERT_TRUE(next.has_value());
    EXPECT_TRUE(std::holds_alternative<mqtt::Pingresp>(*next));
}

TEST_P(BrokerTest, SessionTakeover) {
    auto first = client("same");
    auto second = client("same");
    if (v5()) {
        const auto d = first->expect<mqtt::Disconnect>();
        EXPECT_EQ(d.reason_code, ReasonCode::session_taken_over);  // v5 0x8E
    }
    EXPECT_TRUE(first->wait_closed());
    second->send(mqtt::Pingreq{});
    second->expect<mqtt::Pingresp>();
}

// A client that starts clean has a session from its CONNECT on, in MQTT's terms, though the
// broker creates the Session object only when something needs one (broker.hpp,
// open_session). Taken over without clean start, that empty session is present; with
// clean start, it is not. Either way the newcomer works.
TEST_P(BrokerTest, TakeoverOfAnIdleCleanClientFindsItsEmptySession) {
    auto first = client("idle");
    TestClient second(daemon_.mqtt_port(), GetParam());
    EXPECT_TRUE(second.connect("idle", false).session_present);
    EXPECT_TRUE(first->wait_closed());
    second.subscribe("after/takeover", QoS::at_least_once);
    auto pub = client("pub");
    pub->publish("after/takeover", "hello", QoS::at_least_once);
    EXPECT_EQ(second.receive_publish().payload, "hello");

    auto fresh = client("idle2");
    TestClient clean(daemon_.mqtt_port(), GetParam());
    EXPECT_FALSE(clean.connect("idle2", true).session_present);
    EXPECT_TRUE(fresh->wait_closed());
    clean.send(mqtt::Pingreq{});
    clean.expect<mqtt::Pingresp>();
}

// Acknowledgements and UNSUBSCRIBE from a client with no session state yet (it never
// subscribed nor published at QoS 2): every packet id is unknown, no filter subscribed.
TEST_P(BrokerTest, AcksAndUnsubscribeBeforeAnySessionState) {
    auto c = client("fresh");
    c->send(mqtt::Pubrel{5, ReasonCode::success, {}});
    const auto comp = c->expect<mqtt::Pubcomp>();
    EXPECT_EQ(comp.packet_id, 5);
    if (v5()) {
        EXPECT_EQ(comp.reason_code, ReasonCode::packet_identifier_not_found);
    }
    c->send(mqtt::Pubrec{6, ReasonCode::success, {}});
    const auto rel = c->expect<mqtt::Pubrel>();
    EXPECT_EQ(rel.packet_id, 6);
    if (v5()) {
        EXPECT_EQ(rel.reason_code, ReasonCode::packet_identifier_not_found);
    }
    c->send(mqtt::Unsubscribe{7, {"never/subscribed"}, {}});
    const auto unsub = c->expect<mqtt::Unsuback>();
    EXPECT_EQ(unsub.packet_id, 7);
    if (v5()) {
        ASSERT_EQ(unsub.reason_codes.size(), 1u);
        EXPECT_EQ(unsub.reason_codes[0], ReasonCode::no_subscription_existed);
    }
    c->send(mqtt::Pingreq{});
    c->expect<mqtt::Pingresp>();
}

TEST_P(BrokerTest, PersistentSessionQueuesQos1WhileOffline) {
    mqtt::Properties forever;
    if (v5()) forever.session_expiry_interval = 3600;
    {
        TestClient c(daemon_.mqtt_port(), GetParam());
        EXPECT_EQ(c.connect("keeper", false, forever).reason_code, ReasonCode::success);
        c.subscribe("q", QoS::at_least_once);
        c.disconnect();
        EXPECT_TRUE(c.wait_closed());
    }
    auto pub = client("pub");
    pub->publish("q", "while away", QoS::at_least_once);
    TestClient c(daemon_.mqtt_port(), GetParam());
    const auto ack = c.connect("keeper", false, forever);
    EXPECT_TRUE(ack.session_present);
    EXPECT_EQ(c.receive_publish().payload, "while away");
}

TEST_P(BrokerTest, KeepAliveTimeoutClosesTheConnection) {
    TestClient c(daemon_.mqtt_port(), GetParam());
    c.connect("sleepy", true, {}, /*keep_alive=*/1);
    // Nothing is sent: the server closes after 1.5 s (v5 [MQTT-3.1.2-22]).
    EXPECT_TRUE(c.wait_closed(std::chrono::seconds(4)));
}

TEST_P(BrokerTest, MalformedPacketClosesTheConnection) {
    auto c = client("bad");
    c->send_raw({std::byte{0x30}, std::byte{0x02}, std::byte{0x00}, std::byte{0x05}});  // topic length past the end
    EXPECT_TRUE(c->wait_closed());
}

INSTANTIATE_TEST_SUITE_P(Versions, BrokerTest, ::testing::Values(Version::v311, Version::v5),
                         [](const ::testing::TestParamInfo<Version>& p) { return p.param == Version::v5 ? "v5" : "v311"; });

}  // namespace
}  // namespace harperrt::test
