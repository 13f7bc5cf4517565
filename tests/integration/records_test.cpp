// Records (DESIGN.md §1–§4), black-box against the real daemon in MQTT 3.1.1 and 5.0:
// topics name records, subscribing delivers the current record with RETAIN=1 then every
// change, retained publishes replace or delete, plain publishes leave the record alone,
// formats are negotiated independently in and out, and acknowledged puts are durable.
#include "tests/support/daemon.hpp"
#include "tests/support/test_client.hpp"

#include "common/encoding/codec.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

#include <fstream>
#include <set>

namespace harperrt::test {
namespace {

using encoding::Format;
using encoding::Value;
using mqtt::QoS;
using mqtt::ReasonCode;
using mqtt::Version;

constexpr const char* tables_yaml =
    "tables:\n"
    "  Sensor: { primaryKey: id, indexes: [status, temp] }\n"
    "  Dog: { primaryKey: dogId, keyType: int }\n";

Value json(std::string_view text) {
    auto v = encoding::decode(text, Format::json);
    if (!v) ADD_FAILURE() << "not JSON: " << text;
    return v ? std::move(*v) : Value{};
}

class Records : public ::testing::TestWithParam<Version> {
protected:
    void TearDown() override {
        if (daemon_.pid() > 0) {
            EXPECT_EQ(daemon_.stop(), 0) << daemon_.log();
        }
    }
    std::unique_ptr<TestClient> client(const std::string& id, mqtt::Properties props = {}) {
        auto c = std::make_unique<TestClient>(daemon_.mqtt_port(), GetParam());
        EXPECT_EQ(c->connect(id, true, std::move(props)).reason_code, ReasonCode::success);
        return c;
    }
    bool v5() const { return GetParam() == Version::v5; }
    // Publishes with QoS 1 and returns the PUBACK.
    mqtt::Puback put(TestClient& c, const std::string& topic, const std::string& payload, mqtt::Properties props = {}) {
        c.send(mqtt::Publish{topic, payload, QoS::at_least_once, true, false, next_id_, props});
        auto ack = c.expect<mqtt::Puback>();
        EXPECT_EQ(ack.packet_id, next_id_);
        ++next_id_;
        return ack;
    }
    // The publishes a fresh subscription to `filter` gets before PINGRESP (its snapshot).
    std::vector<mqtt::Publish> snapshot(TestClient& c, const std::string& filter, QoS qos = QoS::at_least_once,
                                        mqtt::Properties props = {}) {
        c.subscribe(filter, qos, 1, {}, std::move(props));
        c.send(mqtt::Pingreq{});
        std::vector<mqtt::Publish> out;
        for (;;) {
            auto p = c.receive();
            if (!p) {
                ADD_FAILURE() << "no PINGRESP after the snapshot";
                return out;
            }
            if (std::holds_alternative<mqtt::Pingresp>(*p)) return out;
            auto& pub = std::get<mqtt::Publish>(*p);
            if (pub.qos == QoS::at_least_once) c.send(mqtt::Puback{pub.packet_id, ReasonCode::success, {}});
            out.push_back(std::move(pub));
        }
    }

    Daemon daemon_{tables_yaml};
    std::uint16_t next_id_ = 1;
};

TEST_P(Records, RetainedPublishReplacesAndSubscribeDeliversWithRetain) {
    auto c = client("writer");
    EXPECT_EQ(put(*c, "Sensor/1", R"({"temp":21,"status":"active","id":"wrong"})").reason_code, ReasonCode::success);
    EXPECT_EQ(put(*c, "Sensor/1", R"({"temp":22})").reason_code, ReasonCode::success);  // full replace
    auto r = client("reader");
    const auto got = snapshot(*r, "Sensor/1");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(got[0].retain);  // MQTT §3.3.1.3
    EXPECT_EQ(got[0].topic, "Sensor/1");
    EXPECT_EQ(json(got[0].payload), json(R"({"temp":22,"id":"1"})"));  // primary key forced
    if (v5()) {
        EXPECT_EQ(got[0].properties.content_type, "application/json");
    }
}

TEST_P(Records, IntegerKeysAreTypedAndCanonical) {
    auto c = client("writer");
    put(*c, "Dog/007", R"({"name":"Rex"})");
    auto r = client("reader");
    const auto got = snapshot(*r, "Dog/7");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(json(got[0].payload), json(R"({"name":"Rex","dogId":7})"));
    if (v5()) {
        const auto ack = put(*c, "Dog/seven", R"({"name":"Rex"})");
        EXPECT_EQ(ack.reason_code, ReasonCode::topic_name_invalid);  // an int key that does not parse
    }
}

TEST_P(Records, SubscribeToMissingRecordThenFirstPutArrivesLive) {
    auto r = client("reader");
    EXPECT_TRUE(snapshot(*r, "Sensor/new").empty());
    auto c = client("writer");
    put(*c, "Sensor/new", R"({"temp":1})");
    const auto p = r->receive_publish();
    EXPECT_EQ(p.topic, "Sensor/new");
    EXPECT_FALSE(p.retain);  // a live change
    EXPECT_EQ(json(p.payload), json(R"({"temp":1,"id":"new"})"));
}

TEST_P(Records, EmptyRetainedPublishDeletesAndSubscribersGetNull) {
    auto c = client("writer");
    put(*c, "Sensor/gone", R"({"temp":5})");
    auto r = client("reader");
    ASSERT_EQ(snapshot(*r, "Sensor/gone").size(), 1u);
    put(*c, "Sensor/gone", "");
    const auto p = r->receive_publish();
    EXPECT_EQ(p.payload, "null");
    if (v5()) {
        EXPECT_EQ(p.properties.user_properties,
                  (std::vector<std::pair<std::string, std::string>>{{"event", "delete"}}));
    }
    auto again = client("again");
    EXPECT_TRUE(snapshot(*again, "Sensor/gone").empty());
}

TEST_P(Records, PlainPublishIsAMessageAndLeavesTheRecordAlone) {
    auto c = client("writer");
    put(*c, "Sensor/m", R"({"temp":5})");
    auto r = client("reader");
    ASSERT_EQ(snapshot(*r, "Sensor/m").size(), 1u);
    c->publish("Sensor/m", R"({"note":"hello"})", QoS::at_least_once, false, 50);
    EXPECT_EQ(json(r->receive_publish().payload), json(R"({"note":"hello"})"));
    auto later = client("later");
    const auto got = snapshot(*later, "Sensor/m");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(json(got[0].payload), json(R"({"temp":5,"id":"m"})"));
}

TEST_P(Records, RefusedWritesChangeNothing) {
    if (!v5()) GTEST_SKIP() << "3.1.1 has no PUBACK reason; covered by the v5 run";
    auto c = client("writer");
    put(*c, "Sensor/x", R"({"temp":5})");
    // Each refusal says why: JSON that is not a map, no format and not JSON, a content type
    // that is not a record format.
    const auto reason = [](const mqtt::Puback& a) { return a.properties.reason_string.value_or(""); };
    auto bad = put(*c, "Sensor/x", "[1,2,3]");  // not a map
    EXPECT_EQ(bad.reason_code, ReasonCode::payload_format_invalid);
    EXPECT_NE(reason(bad).find("not a record in json"), std::string::npos) << reason(bad);
    bad = put(*c, "Sensor/x", "not json at all");
    EXPECT_EQ(bad.reason_code, ReasonCode::payload_format_invalid);
    EXPECT_NE(reason(bad).find("not JSON"), std::string::npos) << reason(bad);
    mqtt::Properties text;
    text.content_type = "text/plain";
    bad = put(*c, "Sensor/x", R"({"temp":6})", text);
    EXPECT_EQ(bad.reason_code, ReasonCode::payload_format_invalid);
    EXPECT_NE(reason(bad).find("content type text/plain"), std::string::npos) << reason(bad);
    bad = put(*c, "Sensor", R"({"temp":1})");  // no ID
    EXPECT_EQ(bad.reason_code, ReasonCode::topic_name_invalid);
    auto r = client("reader");
    const auto got = snapshot(*r, "Sensor/#");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(json(got[0].payload), json(R"({"temp":5,"id":"x"})"));
}

TEST_P(Records, WildcardSnapshotStreamsEveryRecordBeforePingresp) {
    auto c = client("writer");
    constexpr int n = 3000;
    for (int i = 0; i < n; ++i) {
        c->send(mqtt::Publish{"Sensor/s" + std::to_string(i), R"({"v":)" + std::to_string(i) + "}", QoS::at_least_once,
                              true, false, static_cast<std::uint16_t>(i % 60000 + 1), {}});
        if (i % 100 == 99)  // keep the in-flight count modest
            for (int k = 0; k < 100; ++k) c->expect<mqtt::Puback>();
    }
    mqtt::Properties small_window;
    if (v5()) small_window.receive_maximum = 5;
    auto r = std::make_unique<TestClient>(daemon_.mqtt_port(), GetParam());
    r->connect("reader", true, small_window);
    const auto got = snapshot(*r, "Sensor/#");
    EXPECT_EQ(got.size(), static_cast<std::size_t>(n));
    for (const auto& p : got) EXPECT_TRUE(p.retain);
}

// A client that acks a whole window in one write (as a load generator or a batching
// client does): the server handles those acks in one read and writes part of the refilled
// window before it has handled them all (connection.hpp, design note 6). Every record must
// still arrive exactly once, whole, and before the PINGRESP.
TEST_P(Records, SnapshotAckedAWindowAtATimeArrivesWholeAndOnce) {
    auto c = client("writer");
    constexpr int n = 600;
    for (int i = 0; i < n; ++i) {
        c->send(mqtt::Publish{"Sensor/w" + std::to_string(i), R"({"v":)" + std::to_string(i) + "}",
                              QoS::at_least_once, true, false, static_cast<std::uint16_t>(i + 1), {}});
        if (i % 100 == 99)
            for (int k = 0; k < 100; ++k) c->expect<mqtt::Puback>();
    }
    auto r = client("reader");
    r->subscribe("Sensor/#", QoS::at_least_once);
    std::map<std::string, int> seen;
    std::vector<std::uint16_t> unacked;
    bool pingreq_sent = false;
    for (;;) {
        auto p = r->receive();
        ASSERT_TRUE(p) << "no PINGRESP after " << seen.size() << " records";
        if (std::holds_alternative<mqtt::Pingresp>(*p)) break;
        auto& pub = std::get<mqtt::Publish>(*p);
        const auto v = json(pub.payload);
        const auto* number = v.is_map() ? v.as_map().find("v") : nullptr;
        ASSERT_TRUE(number != nullptr && number->is_int64()) << pub.payload;
        EXPECT_EQ(pub.topic, fmt::format("Sensor/w{}", number->as_int64()));
        ++seen[pub.topic];
        unacked.push_back(pub.packet_id);
        // The default window is 20: ack it all in one write once it is full.
        if (unacked.size() == 20 || static_cast<int>(seen.size()) == n) {
            mqtt::Bytes acks;
            for (auto id : unacked) mqtt::encode_to(mqtt::Puback{id, ReasonCode::success, {}}, GetParam(), acks);
            if (static_cast<int>(seen.size()) == n && !pingreq_sent) {
                mqtt::encode_to(mqtt::Pingreq{}, GetParam(), acks);
                pingreq_sent = true;
            }
            r->send_raw(acks);
            unacked.clear();
        }
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(n));
    for (const auto& [topic, count] : seen) {
        EXPECT_EQ(count, 1) << topic;
    }
}

TEST_P(Records, RecordsSurviveRestart) {
    auto c = client("writer");
    put(*c, "Sensor/kept", R"({"temp":30})");
    c.reset();
    EXPECT_EQ(daemon_.stop(), 0);
    daemon_.restart();
    auto r = client("reader");
    const auto got = snapshot(*r, "Sensor/kept");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(json(got[0].payload), json(R"({"temp":30,"id":"kept"})"));
}

// Pipelined puts (one connection, many retained QoS 1 PUBLISHes before any PUBACK): the
// acks come back in the order the PUBLISHes were sent, a PINGREQ sent after them is
// answered after the last ack, and each acknowledged put is readable at once.
TEST_P(Records, PipelinedPutsAreAcknowledgedInOrderBeforeLaterPackets) {
    auto c = client("pipeliner");
    constexpr int puts = 300;
    for (int i = 1; i <= puts; ++i)
        c->send(mqtt::Publish{"Sensor/p" + std::to_string(i % 50), R"({"n":)" + std::to_string(i) + "}",
                              QoS::at_least_once, true, false, static_cast<std::uint16_t>(i), {}});
    c->send(mqtt::Pingreq{});
    for (int i = 1; i <= puts; ++i) {
        const auto ack = c->expect<mqtt::Puback>();
        ASSERT_EQ(ack.packet_id, i) << "acks out of order";
        EXPECT_EQ(ack.reason_code, ReasonCode::success);
    }
    c->expect<mqtt::Pingresp>();
    // The last put of each key won (writes of one key apply in order).
    auto r = client("reader");
    const auto got = snapshot(*r, "Sensor/p7");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(json(got[0].payload), json(R"({"n":257,"id":"p7"})"));
}

INSTANTIATE_TEST_SUITE_P(Versions, Records, ::testing::Values(Version::v311, Version::v5),
                         [](const ::testing::TestParamInfo<Version>& p) { return p.param == Version::v5 ? "v5" : "v311"; });

// --- content negotiation (MQTT 5 only: content type and user properties) -----------------

class Formats : public ::testing::Test {
protected:
    void TearDown() override { EXPECT_EQ(daemon_.stop(), 0) << daemon_.log(); }
    Daemon daemon_{tables_yaml};
};

TEST_F(Formats, CborInMessagePackOutBySubscriptionAccept) {
    TestClient w(daemon_.mqtt_port(), Version::v5);
    w.connect("w");
    mqtt::Properties cbor;
    cbor.content_type = "application/cbor";
    const auto record = json(R"({"temp":-40,"big":18446744073709551615,"raw":1.5})");
    w.send(mqtt::Publish{"Sensor/c", encoding::encode(record, Format::cbor), QoS::at_least_once, true, false, 1, cbor});
    const auto put_ack = w.expect<mqtt::Puback>();
    EXPECT_EQ(put_ack.reason_code, ReasonCode::success) << put_ack.properties.reason_string.value_or("");

    TestClient r(daemon_.mqtt_port(), Version::v5);
    r.connect("r");
    mqtt::Properties accept;
    accept.user_properties = {{"accept", "application/x-msgpack"}};
    r.subscribe("Sensor/c", QoS::at_least_once, 1, {}, accept);
    const auto p = r.receive_publish();
    EXPECT_EQ(p.properties.content_type, "application/x-msgpack");
    auto decoded = encoding::decode(p.payload, Format::msgpack);
    ASSERT_TRUE(decoded);
    auto expected = record;
    expected.set("id", "c");
    EXPECT_EQ(*decoded, expected);  // lossless: uint64 max and the float survive
}

TEST_F(Formats, ConnectionAcceptAppliesToEveryDelivery) {
    mqtt::Properties accept;
    accept.user_properties = {{"accept", "cbor"}};
    TestClient r(daemon_.mqtt_port(), Version::v5);
    r.connect("r", true, accept);
    r.subscribe("Sensor/#", QoS::at_most_once);
    TestClient w(daemon_.mqtt_port(), Version::v5);
    w.connect("w");
    w.publish("Sensor/a", R"({"temp":1})", QoS::at_least_once, true);   // a record
    w.publish("plain/topic", R"({"n":2})", QoS::at_least_once, false);  // not subscribed
    w.publish("Sensor/a", R"({"note":"msg"})", QoS::at_least_once, false, 3);  // a message, detected JSON
    w.publish("Sensor/a", "\x01\x02 opaque", QoS::at_least_once, false, 4);   // opaque bytes
    auto p = r.receive_publish();
    EXPECT_EQ(p.properties.content_type, "application/cbor");
    EXPECT_EQ(encoding::decode(p.payload, Format::cbor).value(), json(R"({"temp":1,"id":"a"})"));
    p = r.receive_publish();
    EXPECT_EQ(p.properties.content_type, "application/cbor");
    EXPECT_EQ(encoding::decode(p.payload, Format::cbor).value(), json(R"({"note":"msg"})"));
    p = r.receive_publish();
    EXPECT_EQ(p.payload, "\x01\x02 opaque");  // passes through unchanged
    EXPECT_FALSE(p.properties.content_type.has_value());
}

TEST_F(Formats, DeleteIsNullInEachFormat) {
    TestClient w(daemon_.mqtt_port(), Version::v5);
    w.connect("w");
    w.publish("Sensor/d", R"({"temp":1})", QoS::at_least_once, true);
    std::vector<std::unique_ptr<TestClient>> readers;
    const std::vector<std::pair<std::string, std::string>> wants{
        {"json", "null"}, {"cbor", "\xf6"}, {"msgpack", "\xc0"}};
    for (const auto& [fmt, _] : wants) {
        auto r = std::make_unique<TestClient>(daemon_.mqtt_port(), Version::v5);
        mqtt::Properties accept;
        accept.user_properties = {{"accept", fmt}};
        r->connect("r-" + fmt, true, accept);
        r->subscribe("Sensor/d", QoS::at_least_once);
        r->receive_publish();  // the record
        readers.push_back(std::move(r));
    }
    w.publish("Sensor/d", "", QoS::at_least_once, true, 2);
    for (std::size_t i = 0; i < readers.size(); ++i) EXPECT_EQ(readers[i]->receive_publish().payload, wants[i].second);
}

TEST_F(Formats, InvalidCborIsRefusedWithReason) {
    TestClient w(daemon_.mqtt_port(), Version::v5);
    w.connect("w");
    mqtt::Properties cbor;
    cbor.content_type = "application/cbor";
    w.send(mqtt::Publish{"Sensor/bad", "\xbf\x61", QoS::at_least_once, true, false, 1, cbor});  // truncated map
    const auto ack = w.expect<mqtt::Puback>();
    EXPECT_EQ(ack.reason_code, ReasonCode::payload_format_invalid);
    ASSERT_TRUE(ack.properties.reason_string.has_value());
    EXPECT_NE(ack.properties.reason_string->find("cbor"), std::string::npos) << *ack.properties.reason_string;
}

// --- durability -------------------------------------------------------------------------

TEST(RecordsDurability, AcknowledgedPutsSurviveKill9) {
    Daemon d(tables_yaml);
    TestClient c(d.mqtt_port(), Version::v5);
    c.connect("w");
    // Stream QoS 1 puts, counting the PUBACKs; kill the daemon while they flow.
    std::vector<int> acked;
    constexpr int n = 2000;
    int sent = 0;
    for (; sent < n; ++sent) {
        c.send(mqtt::Publish{"Sensor/k" + std::to_string(sent), R"({"n":)" + std::to_string(sent) + "}",
                             QoS::at_least_once, true, false, static_cast<std::uint16_t>(sent + 1), {}});
        while (auto p = c.receive(std::chrono::milliseconds(0)))
            if (auto* a = std::get_if<mqtt::Puback>(&*p)) acked.push_back(a->packet_id - 1);
        if (sent == n / 2) {
            while (acked.size() < 100)
                if (auto p = c.receive()) {
                    if (auto* a = std::get_if<mqtt::Puback>(&*p)) acked.push_back(a->packet_id - 1);
                }
            d.kill();
            break;
        }
    }
    while (auto p = c.receive(std::chrono::milliseconds(200)))
        if (auto* a = std::get_if<mqtt::Puback>(&*p)) acked.push_back(a->packet_id - 1);
    ASSERT_GE(acked.size(), 100u);
    d.restart();
    TestClient r(d.mqtt_port(), Version::v5);
    r.connect("r");
    r.subscribe("Sensor/#", QoS::at_most_once);
    r.send(mqtt::Pingreq{});
    std::set<std::string> present;
    for (;;) {
        auto p = r.receive();
        ASSERT_TRUE(p.has_value());
        if (std::holds_alternative<mqtt::Pingresp>(*p)) break;
        present.insert(std::get<mqtt::Publish>(*p).topic);
    }
    for (int i : acked) EXPECT_TRUE(present.contains("Sensor/k" + std::to_string(i))) << "acked put " << i << " lost";
    EXPECT_EQ(d.stop(), 0);
}

}  // namespace
}  // namespace harperrt::test
