// MQTT 5 features of the broker, black-box against the real daemon: subscription options,
// subscription identifiers, shared subscriptions, topic aliases, message expiry, maximum
// packet size, receive maximum, will delay, user properties and request/response fields.
#include "tests/support/daemon.hpp"
#include "tests/support/test_client.hpp"
#include "tests/support/v5_fixture.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace harperrt::test {
namespace {

using mqtt::QoS;
using mqtt::ReasonCode;
using mqtt::Version;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

class BrokerV5 : public DaemonV5Test {};

TEST_F(BrokerV5, NoLocalSuppressesOwnMessages) {
    auto c = client("self");
    mqtt::SubscribeOptions o;
    o.no_local = true;
    c->subscribe("nl", QoS::at_most_once, 1, o);
    c->publish("nl", "mine");
    EXPECT_TRUE(c->nothing_pending());
}

TEST_F(BrokerV5, RetainAsPublishedKeepsTheFlag) {
    auto keep = client("keep");
    mqtt::SubscribeOptions rap;
    rap.retain_as_published = true;
    keep->subscribe("rap", QoS::at_most_once, 1, rap);
    auto plain = client("plain");
    plain->subscribe("rap", QoS::at_most_once);
    auto pub = client("pub");
    pub->publish("rap", "x", QoS::at_least_once, true);
    EXPECT_TRUE(keep->receive_publish().retain);
    EXPECT_FALSE(plain->receive_publish().retain);  // live delivery: RETAIN 0 [MQTT-3.3.1-12]
}

TEST_F(BrokerV5, RetainHandlingOptions) {
    auto pub = client("pub");
    pub->publish("rh", "kept", QoS::at_least_once, true);
    auto c = client("c");
    mqtt::SubscribeOptions o;
    o.retain_handling = mqtt::RetainHandling::do_not_send;
    c->subscribe("rh", QoS::at_most_once, 1, o);
    EXPECT_TRUE(c->nothing_pending());
    o.retain_handling = mqtt::RetainHandling::send_if_new_subscription;
    c->subscribe("rh", QoS::at_most_once, 2, o);  // exists already: nothing
    EXPECT_TRUE(c->nothing_pending());
    c->subscribe("rh/#", QoS::at_most_once, 3, o);  // new: sent
    EXPECT_EQ(c->receive_publish().payload, "kept");
}

TEST_F(BrokerV5, OverlappingSubscriptionsGiveOneCopyWithEveryIdentifier) {
    auto c = client("c");
    mqtt::Properties id1, id2;
    id1.subscription_identifiers = {11};
    id2.subscription_identifiers = {22};
    c->subscribe("ov/+", QoS::at_most_once, 1, {}, id1);
    c->subscribe("ov/#", QoS::at_least_once, 2, {}, id2);
    auto pub = client("pub");
    pub->publish("ov/x", "one", QoS::exactly_once);
    const auto p = c->receive_publish();
    EXPECT_EQ(p.qos, QoS::at_least_once);  // the highest granted
    EXPECT_EQ(std::set<std::uint32_t>(p.properties.subscription_identifiers.begin(),
                                      p.properties.subscription_identifiers.end()),
              (std::set<std::uint32_t>{11, 22}));
    EXPECT_TRUE(c->nothing_pending());
}

TEST_F(BrokerV5, SharedSubscriptionDeliversEachMessageToOneMember) {
    auto a = client("a");
    auto b = client("b");
    a->subscribe("$share/g/work/#", QoS::at_least_once);
    b->subscribe("$share/g/work/#", QoS::at_least_once);
    auto pub = client("pub");
    for (int i = 0; i < 10; ++i) pub->publish("work/" + std::to_string(i), std::to_string(i), QoS::at_least_once);
    int got_a = 0, got_b = 0;
    std::set<std::string> payloads;
    while (got_a + got_b < 10) {
        auto pa = a->receive(std::chrono::milliseconds(200));
        if (pa && std::holds_alternative<mqtt::Publish>(*pa)) {
            auto& p = std::get<mqtt::Publish>(*pa);
            a->send(mqtt::Puback{p.packet_id, ReasonCode::success, {}});
            payloads.insert(p.payload);
            ++got_a;
        }
        auto pb = b->receive(std::chrono::milliseconds(200));
        if (pb && std::holds_alternative<mqtt::Publish>(*pb)) {
            auto& p = std::get<mqtt::Publish>(*pb);
            b->send(mqtt::Puback{p.packet_id, ReasonCode::success, {}});
            payloads.insert(p.payload);
            ++got_b;
        }
        if (!pa && !pb) break;
    }
    EXPECT_EQ(payloads.size(), 10u);  // each message once
    EXPECT_GT(got_a, 0);
    EXPECT_GT(got_b, 0);             // spread over both members
    EXPECT_TRUE(a->nothing_pending());
    EXPECT_TRUE(b->nothing_pending());
}

TEST_F(BrokerV5, NoLocalOnSharedSubscriptionIsAProtocolError) {
    auto c = client("c");
    mqtt::SubscribeOptions o;
    o.no_local = true;
    o.qos = QoS::at_most_once;
    c->send(mqtt::Subscribe{1, {{"$share/g/x", o}}, {}});
    const auto d = c->expect<mqtt::Disconnect>();
    EXPECT_EQ(d.reason_code, ReasonCode::protocol_error);  // [MQTT-3.8.3-4]
    EXPECT_TRUE(c->wait_closed());
}

TEST_F(BrokerV5, InboundTopicAlias) {
    auto sub = client("sub");
    sub->subscribe("alias/topic", QoS::at_most_once);
    auto pub = client("pub");
    mqtt::Properties set;
    set.topic_alias = 3;
    pub->publish("alias/topic", "first", QoS::at_most_once, false, 0, set);
    pub->publish("", "second", QoS::at_most_once, false, 0, set);  // alias only
    EXPECT_EQ(sub->receive_publish().payload, "first");
    const auto second = sub->receive_publish();
    EXPECT_EQ(second.topic, "alias/topic");
    EXPECT_EQ(second.payload, "second");
}

TEST_F(BrokerV5, UnknownTopicAliasIsAProtocolError) {
    auto pub = client("pub");
    mqtt::Properties alias;
    alias.topic_alias = 5;
    pub->send(mqtt::Publish{"", "x", QoS::at_most_once, false, false, 0, alias});
    EXPECT_EQ(pub->expect<mqtt::Disconnect>().reason_code, ReasonCode::protocol_error);
}

TEST_F(BrokerV5, TopicAliasAboveMaximumIsInvalid) {
    auto pub = client("pub");
    mqtt::Properties alias;
    alias.topic_alias = 65535;  // above mqtt.limits.maxTopicAlias (1024)
    pub->send(mqtt::Publish{"t", "x", QoS::at_most_once, false, false, 0, alias});
    EXPECT_EQ(pub->expect<mqtt::Disconnect>().reason_code, ReasonCode::topic_alias_invalid);
}

TEST_F(BrokerV5, ServerAssignsOutboundTopicAliases) {
    mqtt::Properties allow;
    allow.topic_alias_maximum = 4;
    auto sub = client("sub", allow);
    sub->subscribe("oa", QoS::at_most_once);
    auto pub = client("pub");
    pub->publish("oa", "1");
    pub->publish("oa", "2");
    const auto first = sub->receive_publish();
    EXPECT_EQ(first.topic, "oa");
    ASSERT_TRUE(first.properties.topic_alias.has_value());
    const auto second = sub->receive_publish();
    EXPECT_EQ(second.topic, "");
    EXPECT_EQ(second.properties.topic_alias, first.properties.topic_alias);
}

TEST_F(BrokerV5, UserPropertiesAndRequestResponseFieldsPassThroughInOrder) {
    auto sub = client("sub");
    sub->subscribe("props", QoS::at_most_once);
    auto pub = client("pub");
    mqtt::Properties props;
    props.user_properties = {{"b", "2"}, {"a", "1"}, {"b", "3"}};
    props.response_topic = "reply/here";
    props.correlation_data = std::string("\x00\x01", 2);
    props.content_type = "text/plain";
    props.payload_format_indicator = 1;
    pub->publish("props", "x", QoS::at_most_once, false, 0, props);
    const auto p = sub->receive_publish();
    EXPECT_EQ(p.properties.user_properties, props.user_properties);
    EXPECT_EQ(p.properties.response_topic, props.response_topic);
    EXPECT_EQ(p.properties.correlation_data, props.correlation_data);
    EXPECT_EQ(p.properties.content_type, props.content_type);
    EXPECT_EQ(p.properties.payload_format_indicator, props.payload_format_indicator);
}

TEST_F(BrokerV5, InvalidUtf8WithPayloadFormatIndicatorIsRefused) {
    auto pub = client("pub");
    mqtt::Properties props;
    props.payload_format_indicator = 1;
    pub->send(mqtt::Publish{"pfi", "\xff\xfe", QoS::at_least_once, false, false, 4, props});
    const auto ack = pub->expect<mqtt::Puback>();
    EXPECT_EQ(ack.reason_code, ReasonCode::payload_format_invalid);
}

TEST_F(BrokerV5, QueuedMessageExpiresAndRemainingIntervalIsForwarded) {
    mqtt::Properties session;
    session.session_expiry_interval = 600;
    {
        auto c = client("away", session, false);
        c->subscribe("exp/#", QoS::at_least_once);
        c->disconnect();
        EXPECT_TRUE(c->wait_closed());
    }
    auto pub = client("pub");
    mqtt::Properties lasting;
    lasting.message_expiry_interval = 100;
    pub->publish("exp/long", "long", QoS::at_least_once, false, 1, lasting);
    auto c = client("away", session, false);
    const auto p = c->receive_publish();
    EXPECT_EQ(p.payload, "long");
    ASSERT_TRUE(p.properties.message_expiry_interval.has_value());
    EXPECT_LE(*p.properties.message_expiry_interval, 100u);
    EXPECT_GE(*p.properties.message_expiry_interval, 98u);
}

TEST_F(BrokerV5, MessageLargerThanClientMaximumPacketSizeIsNotSent) {
    mqtt::Properties small;
    small.maximum_packet_size = 64;
    auto sub = client("small", small);
    sub->subscribe("big", QoS::at_least_once);
    auto pub = client("pub");
    pub->publish("big", std::string(200, 'x'), QoS::at_least_once);
    pub->publish("big", "fits", QoS::at_least_once, false, 2);
    EXPECT_EQ(sub->receive_publish().payload, "fits");  // [MQTT-3.1.2-25]
}

TEST_F(BrokerV5, PacketAboveServerMaximumIsRefused) {
    Daemon small("mqtt:\n  limits: { maxPacketSize: 1024 }\n");
    TestClient c(small.mqtt_port(), Version::v5);
    const auto ack = c.connect("c");
    EXPECT_EQ(ack.properties.maximum_packet_size, 1024u);
    c.send(mqtt::Publish{"t", std::string(2000, 'x'), QoS::at_most_once, false, false, 0, {}});
    EXPECT_EQ(c.expect<mqtt::Disconnect>().reason_code, ReasonCode::packet_too_large);
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(small.stop(), 0);
}

TEST_F(BrokerV5, ReceiveMaximumExceededDisconnects) {
    Daemon small("mqtt:\n  limits: { serverReceiveMaximum: 2 }\n");
    TestClient c(small.mqtt_port(), Version::v5);
    EXPECT_EQ(c.connect("c").properties.receive_maximum, 2);
    for (std::uint16_t id = 1; id <= 3; ++id)
        c.send(mqtt::Publish{"t", "x", QoS::exactly_once, false, false, id, {}});  // no PUBREL
    c.expect<mqtt::Pubrec>();
    c.expect<mqtt::Pubrec>();
    EXPECT_EQ(c.expect<mqtt::Disconnect>().reason_code, ReasonCode::receive_maximum_exceeded);
    EXPECT_EQ(small.stop(), 0);
}

TEST_F(BrokerV5, InflightWindowFollowsClientReceiveMaximum) {
    mqtt::Properties one;
    one.receive_maximum = 1;
    auto sub = client("sub", one);
    sub->subscribe("win", QoS::at_least_once);
    auto pub = client("pub");
    pub->publish("win", "1", QoS::at_least_once, false, 1);
    pub->publish("win", "2", QoS::at_least_once, false, 2);
    const auto first = sub->expect<mqtt::Publish>();
    EXPECT_EQ(first.payload, "1");
    EXPECT_FALSE(sub->receive(std::chrono::milliseconds(300)).has_value());  // window full
    sub->send(mqtt::Puback{first.packet_id, ReasonCode::success, {}});
    EXPECT_EQ(sub->receive_publish().payload, "2");
}

TEST_F(BrokerV5, Qos1PublisherIsBackPressuredInsteadOfDropping) {
    Daemon d("mqtt:\n  limits: { maxQueuedMessages: 5, maxInflight: 1 }\n");
    TestClient sub(d.mqtt_port(), Version::v5);
    mqtt::Properties one;
    one.receive_maximum = 1;
    sub.connect("slow", true, one);
    sub.subscribe("bp", QoS::at_least_once);
    TestClient pub(d.mqtt_port(), Version::v5);
    pub.connect("fast");
    constexpr int n = 20;
    for (std::uint16_t i = 1; i <= n; ++i) pub.send(mqtt::Publish{"bp", std::to_string(i), QoS::at_least_once, false, false, i, {}});
    // The subscriber has not acknowledged anything: 1 in flight + 5 queued fit, the
    // publisher's later messages wait (their PUBACKs with them) instead of being dropped.
    int acked = 0;
    while (pub.receive(std::chrono::milliseconds(300))) ++acked;
    EXPECT_LE(acked, 7);
    // Now the subscriber reads everything, in order, none dropped.
    for (int i = 1; i <= n; ++i) EXPECT_EQ(sub.receive_publish().payload, std::to_string(i));
    while (acked < n && pub.receive()) ++acked;
    EXPECT_EQ(acked, n);
    EXPECT_EQ(d.stop(), 0);
}

TEST_F(BrokerV5, WillDelayIsCancelledByReconnect) {
    auto watcher = client("watcher");
    watcher->subscribe("wd/#", QoS::at_most_once);
    mqtt::Properties session;
    session.session_expiry_interval = 60;
    mqtt::Connect con;
    con.client_id = "delayed";
    con.clean_start = false;
    con.properties = session;
    con.will = mqtt::Will{"wd/delayed", "gone", QoS::at_most_once, false, {}};
    con.will->properties.will_delay_interval = 1;
    {
        TestClient c(daemon_.mqtt_port(), Version::v5);
        c.connect(con);
    }  // dropped: the will waits 1 s
    TestClient again(daemon_.mqtt_port(), Version::v5);
    con.will.reset();
    again.connect(con);
    EXPECT_FALSE(watcher->receive(std::chrono::milliseconds(1500)).has_value());
}

TEST_F(BrokerV5, WillDelayPublishesAfterTheDelay) {
    auto watcher = client("watcher");
    watcher->subscribe("wd/#", QoS::at_most_once);
    mqtt::Connect con;
    con.client_id = "delayed";
    con.properties.session_expiry_interval = 60;
    con.will = mqtt::Will{"wd/delayed", "gone", QoS::at_most_once, false, {}};
    con.will->properties.will_delay_interval = 1;
    {
        TestClient c(daemon_.mqtt_port(), Version::v5);
        c.connect(con);
    }
    EXPECT_EQ(watcher->receive_publish(std::chrono::seconds(3)).payload, "gone");
}

TEST_F(BrokerV5, SessionExpiresAfterItsInterval) {
    mqtt::Properties short_session;
    short_session.session_expiry_interval = 1;
    {
        auto c = client("brief", short_session, false);
        c->subscribe("se", QoS::at_least_once);
        c->disconnect();
        EXPECT_TRUE(c->wait_closed());
    }
    // Still there right away.
    {
        auto c = std::make_unique<TestClient>(daemon_.mqtt_port(), Version::v5);
        EXPECT_TRUE(c->connect("brief", false, short_session).session_present);
        c->disconnect();
        EXPECT_TRUE(c->wait_closed());
    }
    // Gone once the interval has passed: wait for it by watching a will set to the session end.
    auto watcher = client("watcher");
    watcher->subscribe("end/brief", QoS::at_most_once);
    mqtt::Connect con;
    con.client_id = "brief";
    con.clean_start = false;
    con.properties = short_session;
    con.will = mqtt::Will{"end/brief", "ended", QoS::at_most_once, false, {}};
    con.will->properties.will_delay_interval = 3600;  // sent at session end instead (v5 §3.1.3.2.2)
    {
        TestClient c(daemon_.mqtt_port(), Version::v5);
        c.connect(con);
    }
    EXPECT_EQ(watcher->receive_publish(std::chrono::seconds(4)).payload, "ended");
    TestClient c(daemon_.mqtt_port(), Version::v5);
    EXPECT_FALSE(c.connect("brief", false, short_session).session_present);
}

TEST_F(BrokerV5, SysTopicsUseMosquittoNames) {
    Daemon sys("mqtt:\n  sysInterval: 1\n");
    TestClient c(sys.mqtt_port(), Version::v5);
    c.connect("sys");
    c.subscribe("$SYS/broker/clients/connected", QoS::at_most_once);
    const auto p = c.receive_publish(std::chrono::seconds(3));
    EXPECT_EQ(p.topic, "$SYS/broker/clients/connected");
    EXPECT_FALSE(p.payload.empty());
    // A client may not publish into $SYS.
    c.send(mqtt::Publish{"$SYS/broker/x", "y", QoS::at_least_once, false, false, 3, {}});
    EXPECT_EQ(c.expect<mqtt::Puback>().reason_code, ReasonCode::not_authorized);
    EXPECT_EQ(sys.stop(), 0);
}

TEST_F(BrokerV5, SlowConsumerIsDisconnectedAndMemoryStaysBounded) {
    Daemon d("mqtt:\n  limits: { maxOutputBuffer: 65536 }\n");
    TestClient slow(d.mqtt_port(), Version::v5);
    slow.connect("slow");
    slow.subscribe("flood", QoS::at_most_once);
    // The slow client never reads; a publisher floods 64 MB.
    TestClient pub(d.mqtt_port(), Version::v5);
    pub.connect("pub");
    const std::string payload(64 * 1024, 'x');
    for (int i = 0; i < 1024; ++i) pub.send(mqtt::Publish{"flood", payload, QoS::at_most_once, false, false, 0, {}});
    pub.send(mqtt::Pingreq{});
    pub.expect<mqtt::Pingresp>(std::chrono::seconds(30));
    // The daemon's resident memory stayed far below what it was sent.
    std::ifstream status("/proc/" + std::to_string(d.pid()) + "/status");
    std::string line;
    long rss_kib = 0;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0) rss_kib = std::stol(line.substr(6));
    // ASan keeps freed memory in quarantine, so the bound is only meaningful without it.
    if (!sanitized) {
        EXPECT_LT(rss_kib, 48 * 1024) << "peak RSS " << rss_kib << " KiB";
    }
    EXPECT_TRUE(slow.wait_closed(std::chrono::seconds(10)));
    EXPECT_EQ(d.stop(), 0);
}

}  // namespace
}  // namespace harperrt::test
