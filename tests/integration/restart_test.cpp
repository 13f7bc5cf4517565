// Restarts (DESIGN.md §6, §7): persistent sessions (subscriptions, queued and in-flight
// QoS 1/2 messages, inbound QoS 2 state) and plain retained messages survive SIGTERM and a
// start on the same data directory, in both protocol versions.
#include "tests/support/daemon.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>

namespace harperrt::test {
namespace {

using mqtt::QoS;
using mqtt::ReasonCode;
using mqtt::Version;

class Restart : public ::testing::TestWithParam<Version> {
protected:
    void TearDown() override {
        if (daemon_.pid() > 0) {
            EXPECT_EQ(daemon_.stop(), 0) << daemon_.log();
        }
    }
    mqtt::Properties persistent() const {
        mqtt::Properties p;
        if (GetParam() == Version::v5) p.session_expiry_interval = 3600;
        return p;
    }
    void restart() {
        ASSERT_EQ(daemon_.stop(), 0) << daemon_.log();
        daemon_.restart();
    }
    Daemon daemon_;
};

TEST_P(Restart, QueuedAndInflightMessagesAreDeliveredAsTheirQosPromises) {
    {
        TestClient c(daemon_.mqtt_port(), GetParam());
        ASSERT_EQ(c.connect("keeper", false, persistent()).reason_code, ReasonCode::success);
        c.subscribe("work/#", QoS::exactly_once);
        c.disconnect();
        ASSERT_TRUE(c.wait_closed());
    }
    {
        TestClient pub(daemon_.mqtt_port(), GetParam());
        pub.connect("pub");
        pub.publish("work/1", "one", QoS::at_least_once, false, 1);
        pub.publish("work/2", "two", QoS::exactly_once, false, 2);
        pub.publish("work/0", "zero", QoS::at_most_once);  // QoS 0 is not queued offline
    }
    {
        // Receive the first message without acknowledging it: it stays in flight.
        TestClient c(daemon_.mqtt_port(), GetParam());
        ASSERT_TRUE(c.connect("keeper", false, persistent()).session_present);
        const auto first = c.expect<mqtt::Publish>();
        EXPECT_EQ(first.payload, "one");
        EXPECT_EQ(first.qos, QoS::at_least_once);
    }  // dropped without PUBACK
    restart();
    TestClient c(daemon_.mqtt_port(), GetParam());
    ASSERT_TRUE(c.connect("keeper", false, persistent()).session_present);
    const auto again = c.expect<mqtt::Publish>();
    EXPECT_EQ(again.payload, "one");
    EXPECT_TRUE(again.dup);  // redelivery [MQTT-4.4.0-1]
    c.send(mqtt::Puback{again.packet_id, ReasonCode::success, {}});
    const auto second = c.receive_publish();
    EXPECT_EQ(second.payload, "two");
    EXPECT_EQ(second.qos, QoS::exactly_once);
    c.send(mqtt::Pingreq{});
    auto next = c.receive();
    ASSERT_TRUE(next.has_value());
    EXPECT_TRUE(std::holds_alternative<mqtt::Pingresp>(*next));  // nothing else, exactly once
}

TEST_P(Restart, SubscriptionsSurvive) {
    {
        TestClient c(daemon_.mqtt_port(), GetParam());
        c.connect("sub", false, persistent());
        c.subscribe("live/x", QoS::at_least_once);
        c.disconnect();
        ASSERT_TRUE(c.wait_closed());
    }
    restart();
    TestClient pub(daemon_.mqtt_port(), GetParam());
    pub.connect("pub");
    pub.publish("live/x", "after restart", QoS::at_least_once);
    TestClient c(daemon_.mqtt_port(), GetParam());
    EXPECT_TRUE(c.connect("sub", false, persistent()).session_present);
    EXPECT_EQ(c.receive_publish().payload, "after restart");
}

TEST_P(Restart, InboundQos2StateSurvives) {
    {
        TestClient c(daemon_.mqtt_port(), GetParam());
        c.connect("q2", false, persistent());
        c.send(mqtt::Publish{"q2/t", "once", QoS::exactly_once, false, false, 7, {}});
        EXPECT_EQ(c.expect<mqtt::Pubrec>().packet_id, 7);
    }  // PUBREL never sent
    TestClient watcher(daemon_.mqtt_port(), GetParam());
    restart();
    TestClient w(daemon_.mqtt_port(), GetParam());
    w.connect("watcher");
    w.subscribe("q2/#", QoS::exactly_once);
    TestClient c(daemon_.mqtt_port(), GetParam());
    ASSERT_TRUE(c.connect("q2", false, persistent()).session_present);
    // The client resends the PUBLISH with DUP: the server must not deliver it again.
    c.send(mqtt::Publish{"q2/t", "once", QoS::exactly_once, false, true, 7, {}});
    EXPECT_EQ(c.expect<mqtt::Pubrec>().packet_id, 7);
    c.send(mqtt::Pubrel{7, ReasonCode::success, {}});
    EXPECT_EQ(c.expect<mqtt::Pubcomp>().reason_code, ReasonCode::success);
    w.send(mqtt::Pingreq{});
    auto next = w.receive();
    ASSERT_TRUE(next.has_value());
    EXPECT_TRUE(std::holds_alternative<mqtt::Pingresp>(*next));
}

TEST_P(Restart, PlainRetainedMessagesSurvive) {
    {
        TestClient c(daemon_.mqtt_port(), GetParam());
        c.connect("pub");
        c.publish("plain/kept", "value", QoS::at_least_once, true);
        c.publish("plain/cleared", "gone", QoS::at_least_once, true, 2);
        c.publish("plain/cleared", "", QoS::at_least_once, true, 3);
    }
    restart();
    TestClient c(daemon_.mqtt_port(), GetParam());
    c.connect("reader");
    c.subscribe("plain/#", QoS::at_least_once);
    const auto p = c.receive_publish();
    EXPECT_EQ(p.topic, "plain/kept");
    EXPECT_EQ(p.payload, "value");
    EXPECT_TRUE(p.retain);
    c.send(mqtt::Pingreq{});
    auto next = c.receive();
    ASSERT_TRUE(next.has_value());
    EXPECT_TRUE(std::holds_alternative<mqtt::Pingresp>(*next));
}

TEST_P(Restart, CleanSessionsAreNotKept) {
    {
        TestClient c(daemon_.mqtt_port(), GetParam());
        c.connect("clean", true);
        c.subscribe("c/#", QoS::at_least_once);
    }
    restart();
    TestClient c(daemon_.mqtt_port(), GetParam());
    EXPECT_FALSE(c.connect("clean", false, persistent()).session_present);
}

INSTANTIATE_TEST_SUITE_P(Versions, Restart, ::testing::Values(Version::v311, Version::v5),
                         [](const ::testing::TestParamInfo<Version>& p) { return p.param == Version::v5 ? "v5" : "v311"; });

}  // namespace
}  // namespace harperrt::test
