// Session without a connection: subscriptions (kept only once there is one), offline QoS 1/2
// queueing bounded by maxQueuedMessages, inbound QoS 2 identifiers, clear(), and the state
// save() keeps and restore() rebuilds. No sockets: a detached session never sends.
#include "daemon/session/session.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace harperrt::daemon::session {
namespace {

using mqtt::QoS;

broker::MessagePtr message(const std::string& topic) {
    auto m = std::make_shared<broker::Message>();
    m->topic = topic;
    m->payload = "x";
    return m;
}

SubscriptionInfo info(QoS qos, std::uint32_t id = 0) {
    SubscriptionInfo i;
    i.options.qos = qos;
    i.subscription_id = id;
    return i;
}

TEST(Session, SubscriptionsAreAddedReplacedAndRemoved) {
    Session s(util::SharedString("client"), 10);
    EXPECT_TRUE(s.subscriptions().empty());
    EXPECT_FALSE(s.remove_subscription("a/#"));  // none yet
    EXPECT_TRUE(s.add_subscription("a/#", info(QoS::at_most_once)));
    EXPECT_TRUE(s.add_subscription("b", info(QoS::at_least_once, 7)));
    EXPECT_FALSE(s.add_subscription("a/#", info(QoS::exactly_once)));  // replaced, not new
    auto subs = s.subscriptions();
    ASSERT_EQ(subs.size(), 2u);
    EXPECT_EQ(subs.at("a/#").options.qos, QoS::exactly_once);
    EXPECT_EQ(subs.at("b").subscription_id, 7u);

    EXPECT_TRUE(s.remove_subscription("a/#"));
    EXPECT_FALSE(s.remove_subscription("a/#"));
    EXPECT_TRUE(s.remove_subscription("b"));
    EXPECT_TRUE(s.subscriptions().empty());
    // The last one gone, a new one starts afresh.
    EXPECT_FALSE(s.remove_subscription("b"));
    EXPECT_TRUE(s.add_subscription("c", info(QoS::at_most_once)));
    EXPECT_EQ(s.subscriptions().size(), 1u);
}

TEST(Session, OfflineQos1And2AreQueuedUpToTheLimitAndQos0IsDiscarded) {
    Session s(util::SharedString("client"), 2);
    EXPECT_FALSE(s.attached());
    s.deliver(message("t/0"), QoS::at_most_once, {}, false);  // offline QoS 0: discarded (v5 §4.1)
    EXPECT_EQ(s.queued(), 0u);
    s.deliver(message("t/1"), QoS::at_least_once, {}, false);
    s.deliver(message("t/2"), QoS::exactly_once, {}, false);
    s.deliver(message("t/3"), QoS::at_least_once, {}, false);  // queue full: dropped
    EXPECT_EQ(s.queued(), 2u);
    EXPECT_EQ(s.inflight(), 0u);
    EXPECT_FALSE(s.congested());  // only a connected client's queue holds publishers back
    EXPECT_FALSE(s.wait_for_room(nullptr));  // not congested: nothing to wait for
}

TEST(Session, InboundQos2IdentifiersAreRememberedUntilPubrel) {
    Session s(util::SharedString("client"), 10);
    EXPECT_EQ(s.inbound_qos2_count(), 0u);
    EXPECT_FALSE(s.inbound_qos2_release(5));
    EXPECT_TRUE(s.inbound_qos2_begin(5));
    EXPECT_FALSE(s.inbound_qos2_begin(5));  // a resend before PUBREL
    EXPECT_TRUE(s.inbound_qos2_begin(6));
    EXPECT_EQ(s.inbound_qos2_count(), 2u);
    EXPECT_TRUE(s.inbound_qos2_release(5));
    EXPECT_FALSE(s.inbound_qos2_release(5));
    EXPECT_EQ(s.inbound_qos2_count(), 1u);
}

TEST(Session, ClearDropsEverything) {
    Session s(util::SharedString("client"), 10);
    s.add_subscription("a", info(QoS::at_least_once));
    s.deliver(message("a"), QoS::at_least_once, {}, false);
    s.inbound_qos2_begin(1);
    s.clear();
    EXPECT_TRUE(s.subscriptions().empty());
    EXPECT_EQ(s.queued(), 0u);
    EXPECT_EQ(s.inbound_qos2_count(), 0u);
    // Usable again afterwards.
    EXPECT_TRUE(s.add_subscription("a", info(QoS::at_least_once)));
    EXPECT_TRUE(s.inbound_qos2_begin(1));
}

TEST(Session, SaveAndRestoreKeepTheState) {
    Session s(util::SharedString("keeper"), 10);
    s.expiry_interval.store(600);
    s.disconnected_at.store(1234);
    s.add_subscription("a/+", info(QoS::at_least_once, 3));
    s.add_subscription("b", info(QoS::exactly_once));
    s.deliver(message("a/1"), QoS::at_least_once, {3}, true);
    s.deliver(message("b"), QoS::exactly_once, {}, false);
    s.inbound_qos2_begin(9);

    auto saved = s.save();
    EXPECT_EQ(saved.client_id, "keeper");
    EXPECT_EQ(saved.expiry_interval, 600u);
    EXPECT_EQ(saved.disconnected_at, 1234);
    EXPECT_EQ(saved.subscriptions.size(), 2u);
    ASSERT_EQ(saved.queue.size(), 2u);
    EXPECT_EQ(saved.queue[0].msg->topic, "a/1");
    EXPECT_TRUE(saved.queue[0].retain);
    EXPECT_EQ(saved.queue[0].subscription_ids, std::vector<std::uint32_t>{3});
    EXPECT_TRUE(saved.inflight.empty());
    EXPECT_EQ(saved.inbound_qos2, std::vector<std::uint16_t>{9});

    auto r = Session::restore(std::move(saved), 10);
    EXPECT_EQ(r->client_id(), "keeper");
    EXPECT_EQ(r->expiry_interval.load(), 600u);
    EXPECT_EQ(r->disconnected_at.load(), 1234);
    const auto subs = r->subscriptions();
    ASSERT_EQ(subs.size(), 2u);
    EXPECT_EQ(subs.at("a/+").subscription_id, 3u);
    EXPECT_EQ(subs.at("b").options.qos, QoS::exactly_once);
    EXPECT_EQ(r->queued(), 2u);
    EXPECT_FALSE(r->inbound_qos2_begin(9));  // still awaiting PUBREL

    // A session without subscriptions or anything queued saves and restores as empty.
    Session empty(util::SharedString("empty"), 10);
    auto none = empty.save();
    EXPECT_TRUE(none.subscriptions.empty());
    EXPECT_TRUE(none.queue.empty());
    EXPECT_TRUE(none.inbound_qos2.empty());
    auto e = Session::restore(std::move(none), 10);
    EXPECT_TRUE(e->subscriptions().empty());
    EXPECT_EQ(e->queued(), 0u);
    EXPECT_EQ(e->inbound_qos2_count(), 0u);
}

}  // namespace
}  // namespace harperrt::daemon::session
