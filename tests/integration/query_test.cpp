// Query subscriptions (DESIGN.md §5), black-box against the real daemon in MQTT 3.1.1 and
// 5.0: `Table/?query` delivers the matching records first (RETAIN=1, limit honoured), then
// every change that touches the result: entering or changing inside it delivers the record,
// leaving it (updated out of the condition, or deleted) delivers `null`. select() trims
// every delivery; malformed queries are refused in the SUBACK; QoS is limited to 1; a
// persistent session gets a fresh snapshot on reconnect, not the changes it missed.
#include "tests/support/daemon.hpp"
#include "tests/support/test_client.hpp"

#include "common/encoding/codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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

std::string id_of(const mqtt::Publish& p) { return p.topic.substr(p.topic.find('/') + 1); }

class Queries : public ::testing::TestWithParam<Version> {
protected:
    void SetUp() override {
        writer_ = client("writer");
        // Six sensors for the operator tests.
        put("1", R"({"status":"active","temp":31,"name":"alpha"})");
        put("2", R"({"status":"active","temp":25,"name":"beta"})");
        put("3", R"({"status":"off","temp":40,"name":"gamma"})");
        put("4", R"({"status":"active","temp":30.5,"name":"alphabet"})");
        put("5", R"({"status":"broken","name":"delta","tags":["red","blue"]})");
        put("6", R"({"status":"active","temp":"hot","name":"Alpha"})");
    }
    void TearDown() override {
        writer_.reset();
        if (daemon_.pid() > 0) {
            EXPECT_EQ(daemon_.stop(), 0) << daemon_.log();
        }
    }
    bool v5() const { return GetParam() == Version::v5; }
    std::unique_ptr<TestClient> client(const std::string& id, bool clean = true, mqtt::Properties props = {}) {
        auto c = std::make_unique<TestClient>(daemon_.mqtt_port(), GetParam());
        EXPECT_EQ(c->connect(id, clean, std::move(props)).reason_code, ReasonCode::success);
        return c;
    }
    mqtt::Properties persistent() const {
        mqtt::Properties p;
        if (v5()) p.session_expiry_interval = 3600;
        return p;
    }
    // A retained QoS 1 put (empty payload: delete) from the writer, acknowledged. The
    // routing to subscribers happens before the PUBACK (commit order), so a subscriber's
    // PINGREQ sent afterwards is answered after that delivery.
    void put(const std::string& id, const std::string& payload) {
        writer_->send(mqtt::Publish{"Sensor/" + id, payload, QoS::at_least_once, true, false, next_id_, {}});
        const auto ack = writer_->expect<mqtt::Puback>();
        EXPECT_EQ(ack.packet_id, next_id_);
        EXPECT_EQ(ack.reason_code, ReasonCode::success);
        next_id_ = static_cast<std::uint16_t>(next_id_ % 60000 + 1);
    }
    // Every PUBLISH that arrives before the answer to a PINGREQ sent now.
    std::vector<mqtt::Publish> drain(TestClient& c) {
        c.send(mqtt::Pingreq{});
        std::vector<mqtt::Publish> out;
        for (;;) {
            auto p = c.receive();
            if (!p) {
                ADD_FAILURE() << "no PINGRESP";
                return out;
            }
            if (std::holds_alternative<mqtt::Pingresp>(*p)) return out;
            if (!std::holds_alternative<mqtt::Publish>(*p)) {
                ADD_FAILURE() << "unexpected " << mqtt::name(mqtt::type_of(*p));
                continue;
            }
            auto& pub = std::get<mqtt::Publish>(*p);
            if (pub.qos == QoS::at_least_once) c.send(mqtt::Puback{pub.packet_id, ReasonCode::success, {}});
            out.push_back(std::move(pub));
        }
    }
    // Subscribes a fresh client to `filter` and returns the IDs of its snapshot, sorted.
    std::vector<std::string> snapshot_ids(const std::string& filter) {
        auto ids = snapshot_in_order(filter);
        std::sort(ids.begin(), ids.end());
        return ids;
    }
    // The same, in the order they arrived.
    std::vector<std::string> snapshot_in_order(const std::string& filter) {
        auto c = client("q" + std::to_string(++clients_));
        const auto ack = c->subscribe(filter, QoS::at_least_once);
        EXPECT_EQ(ack.reason_codes, std::vector<ReasonCode>{ReasonCode::granted_qos_1}) << filter;
        std::vector<std::string> ids;
        for (const auto& p : drain(*c)) {
            EXPECT_TRUE(p.retain) << filter;
            ids.push_back(id_of(p));
        }
        return ids;
    }

    Daemon daemon_{tables_yaml};
    std::unique_ptr<TestClient> writer_;
    std::uint16_t next_id_ = 1;
    int clients_ = 0;
};

using Ids = std::vector<std::string>;

TEST_P(Queries, EachOperatorSelectsTheRightRecords) {
    EXPECT_EQ(snapshot_ids("Sensor/?status=active"), (Ids{"1", "2", "4", "6"}));
    EXPECT_EQ(snapshot_ids("Sensor/?status==active"), (Ids{"1", "2", "4", "6"}));
    EXPECT_EQ(snapshot_ids("Sensor/?status=ne=active"), (Ids{"3", "5"}));
    EXPECT_EQ(snapshot_ids("Sensor/?status!=active"), (Ids{"3", "5"}));
    EXPECT_EQ(snapshot_ids("Sensor/?temp=gt=30"), (Ids{"1", "3", "4"}));  // "hot" is no number
    EXPECT_EQ(snapshot_ids("Sensor/?temp=ge=31"), (Ids{"1", "3"}));
    EXPECT_EQ(snapshot_ids("Sensor/?temp=lt=30.5"), (Ids{"2"}));
    EXPECT_EQ(snapshot_ids("Sensor/?temp=le=30.5"), (Ids{"2", "4"}));
    EXPECT_EQ(snapshot_ids("Sensor/?name=sw=alpha"), (Ids{"1", "4"}));  // case-sensitive: not "Alpha"
    EXPECT_EQ(snapshot_ids("Sensor/?name==alpha*"), (Ids{"1", "4"}));
    EXPECT_EQ(snapshot_ids("Sensor/?name=ct=ph"), (Ids{"1", "4", "6"}));
    EXPECT_EQ(snapshot_ids("Sensor/?name=ew=ta"), (Ids{"2", "5"}));
    EXPECT_EQ(snapshot_ids("Sensor/?tags=ct=red"), (Ids{"5"}));
    EXPECT_EQ(snapshot_ids("Sensor/?temp=hot"), (Ids{"6"}));
    EXPECT_EQ(snapshot_ids("Sensor/?id=3"), (Ids{"3"}));  // the primary key
    EXPECT_EQ(snapshot_ids("Sensor/?missing=null"), (Ids{"1", "2", "3", "4", "5", "6"}));
    EXPECT_EQ(snapshot_ids("Sensor/?temp=null"), (Ids{"5"}));
}

TEST_P(Queries, CombinationsAndGrouping) {
    EXPECT_EQ(snapshot_ids("Sensor/?status=active&temp=gt=30"), (Ids{"1", "4"}));
    EXPECT_EQ(snapshot_ids("Sensor/?status=off|status=broken"), (Ids{"3", "5"}));
    EXPECT_EQ(snapshot_ids("Sensor/?status=broken|status=active&temp=lt=30"), (Ids{"2", "5"}));
    EXPECT_EQ(snapshot_ids("Sensor/?(status=broken|status=active)&name=sw=a"), (Ids{"1", "4"}));
    EXPECT_EQ(snapshot_ids("Sensor/?(temp=gt=35|temp=lt=26)&(status=off|name=beta)"), (Ids{"2", "3"}));
    EXPECT_EQ(snapshot_ids("Sensor/?"), (Ids{"1", "2", "3", "4", "5", "6"}));  // no condition: all
    // Percent-decoding applies to names and values, after splitting on & and |.
    put("7", R"({"status":"a&b|c","temp":1})");
    EXPECT_EQ(snapshot_ids("Sensor/?status=a%26b%7Cc"), (Ids{"7"}));
    // '+' and '#' are plain characters inside a query.
    put("8", R"({"status":"x+y#","temp":1})");
    EXPECT_EQ(snapshot_ids("Sensor/?status=x+y%23"), (Ids{"8"}));
}

TEST_P(Queries, TypeEdgeCases) {
    put("z1", R"({"code":"007","n":7,"flag":true,"big":9007199254740993})");
    put("z2", R"({"code":7,"n":"7","flag":"true","big":9007199254740992})");
    EXPECT_EQ(snapshot_ids("Sensor/?code=007"), (Ids{"z1"}));  // not a JSON number: text only
    EXPECT_EQ(snapshot_ids("Sensor/?code=7"), (Ids{"z2"}));    // number 7, and never the text "007"
    EXPECT_EQ(snapshot_ids("Sensor/?n=7"), (Ids{"z1", "z2"}));  // number 7 and text "7"
    EXPECT_EQ(snapshot_ids("Sensor/?n=number:7"), (Ids{"z1"}));
    EXPECT_EQ(snapshot_ids("Sensor/?n=string:7"), (Ids{"z2"}));
    EXPECT_EQ(snapshot_ids("Sensor/?flag=true"), (Ids{"z1", "z2"}));
    EXPECT_EQ(snapshot_ids("Sensor/?flag=boolean:true"), (Ids{"z1"}));
    EXPECT_EQ(snapshot_ids("Sensor/?big=gt=9007199254740992"), (Ids{"z1"}));  // exact integers
    EXPECT_EQ(snapshot_ids("Sensor/?temp=gt=9"), (Ids{"1", "2", "3", "4"}));  // 25 > 9 as numbers
}

TEST_P(Queries, SnapshotOrderAndLimit) {
    // Primary-key order, unless a range on an indexed attribute orders it by that index.
    EXPECT_EQ(snapshot_in_order("Sensor/?status=active&limit(2)"), (Ids{"1", "2"}));
    EXPECT_EQ(snapshot_in_order("Sensor/?status=active&limit(1,2)"), (Ids{"2", "4"}));
    EXPECT_EQ(snapshot_in_order("Sensor/?limit(0)"), Ids{});
    EXPECT_EQ(snapshot_in_order("Sensor/?name=ct=a&limit(3)"), (Ids{"1", "2", "3"}));  // no index: key order
    EXPECT_EQ(snapshot_in_order("Sensor/?temp=gt=0"), (Ids{"2", "4", "1", "3"}));     // by temp: 25, 30.5, 31, 40
    EXPECT_EQ(snapshot_in_order("Sensor/?limit(3)&temp=gt=0"), (Ids{"2", "4", "1"}));  // the 3 lowest
    EXPECT_EQ(snapshot_in_order("Sensor/?temp=gt=0&limit(1,2)"), (Ids{"4", "1"}));
}

TEST_P(Queries, EnterChangeAndLeaveAreDeliveredLive) {
    auto s = client("watcher");
    s->subscribe("Sensor/?temp=gt=30&status=active", QoS::at_least_once);
    ASSERT_EQ(drain(*s).size(), 2u);  // the snapshot: 1 and 4

    put("a", R"({"status":"active","temp":10})");  // outside: nothing
    EXPECT_TRUE(drain(*s).empty());
    put("a", R"({"status":"active","temp":35})");  // enters
    auto got = drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].topic, "Sensor/a");
    EXPECT_FALSE(got[0].retain);
    EXPECT_EQ(json(got[0].payload), json(R"({"status":"active","temp":35,"id":"a"})"));
    put("a", R"({"status":"active","temp":36})");  // changes inside
    got = drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(json(got[0].payload), json(R"({"status":"active","temp":36,"id":"a"})"));
    put("a", R"({"status":"off","temp":36})");  // updated out of the condition: null
    got = drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].topic, "Sensor/a");
    EXPECT_EQ(got[0].payload, "null");
    if (v5()) {
        const auto& up = got[0].properties.user_properties;
        EXPECT_NE(std::find(up.begin(), up.end(), std::pair<std::string, std::string>{"event", "delete"}), up.end());
    }
    put("a", R"({"status":"off","temp":99})");  // still outside: nothing
    EXPECT_TRUE(drain(*s).empty());
    put("a", R"({"status":"active","temp":99})");  // enters again
    ASSERT_EQ(drain(*s).size(), 1u);
    put("a", "");  // deleted while inside: null
    got = drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].payload, "null");
    put("b", R"({"status":"off"})");
    put("b", "");  // deleted while outside: nothing
    EXPECT_TRUE(drain(*s).empty());
    // A plain (not retained) publish is a message, not a record change: no query sees it.
    writer_->publish("Sensor/1", R"({"status":"active","temp":50})", QoS::at_least_once, false, 1);
    EXPECT_TRUE(drain(*s).empty());
}

TEST_P(Queries, SelectTrimsSnapshotAndLiveDeliveries) {
    auto s = client("trim");
    s->subscribe("Sensor/?status=active&temp=gt=30&select(name,temp)", QoS::at_least_once);
    auto got = drain(*s);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(json(got[0].payload), json(R"({"id":"1","name":"alpha","temp":31})"));
    put("c", R"({"status":"active","temp":44,"name":"cee","secret":"x"})");
    got = drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(json(got[0].payload), json(R"({"id":"c","name":"cee","temp":44})"));
    // Two queries with different selections on one connection each get their own copy.
    s->subscribe("Sensor/?name=cee&select(secret)", QoS::at_least_once, 2);
    got = drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(json(got[0].payload), json(R"({"id":"c","secret":"x"})"));
    put("c", R"({"status":"active","temp":45,"name":"cee","secret":"y"})");
    got = drain(*s);
    ASSERT_EQ(got.size(), 2u);
    std::set<std::string> payloads;
    for (const auto& p : got) payloads.insert(encoding::encode(json(p.payload), Format::json));
    EXPECT_EQ(payloads, (std::set<std::string>{R"({"id":"c","name":"cee","temp":45})", R"({"id":"c","secret":"y"})"}));
}

TEST_P(Queries, MalformedQueriesAreRefusedWithTheirPosition) {
    auto s = client("bad");
    mqtt::Subscribe sub;
    sub.packet_id = 7;
    sub.subscriptions.push_back({"Sensor/?status=active", {}});
    sub.subscriptions.push_back({"Sensor/?temp=xx=3", {}});
    sub.subscriptions.push_back({"Sensor/?(status=on", {}});
    sub.subscriptions.push_back({"Sensor/?limit(a)", {}});
    s->send(sub);
    const auto ack = s->expect<mqtt::Suback>();
    ASSERT_EQ(ack.reason_codes.size(), 4u);
    EXPECT_EQ(ack.reason_codes[0], ReasonCode::success);
    // 3.1.1 has only Failure (0x80); the codec writes every v5 failure code as 0x80 there.
    const auto invalid = v5() ? ReasonCode::topic_filter_invalid : ReasonCode::unspecified_error;
    EXPECT_EQ(ack.reason_codes[1], invalid);
    EXPECT_EQ(ack.reason_codes[2], invalid);
    EXPECT_EQ(ack.reason_codes[3], invalid);
    if (v5()) {
        ASSERT_TRUE(ack.properties.reason_string);
        const auto& why = *ack.properties.reason_string;
        EXPECT_NE(why.find("Sensor/?temp=xx=3: query error at position 13: unknown operator '=xx='"), std::string::npos) << why;
        EXPECT_NE(why.find("Sensor/?(status=on: query error at position 9: '(' without a matching ')'"), std::string::npos) << why;
        EXPECT_NE(why.find("position 15"), std::string::npos) << why;
    }
    // The connection stays usable, and the good subscription works.
    EXPECT_EQ(drain(*s).size(), 4u);
}

TEST_P(Queries, QueryQosIsLimitedToOne) {
    auto s = client("qos");
    const auto ack = s->subscribe("Sensor/?status=off", QoS::exactly_once);
    EXPECT_EQ(ack.reason_codes, std::vector<ReasonCode>{ReasonCode::granted_qos_1});
    auto got = drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].qos, QoS::at_least_once);
    writer_->send(mqtt::Publish{"Sensor/3", R"({"status":"off","temp":1})", QoS::exactly_once, true, false, 900, {}});
    const auto rec = writer_->expect<mqtt::Pubrec>();
    writer_->send(mqtt::Pubrel{rec.packet_id, ReasonCode::success, {}});
    writer_->expect<mqtt::Pubcomp>();
    got = drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].qos, QoS::at_least_once);  // min(2, granted 1)
    const auto zero = s->subscribe("Sensor/?status=broken", QoS::at_most_once, 2);
    EXPECT_EQ(zero.reason_codes, std::vector<ReasonCode>{ReasonCode::success});
}

TEST_P(Queries, UnsubscribeStopsTheQuery) {
    auto s = client("unsub");
    s->subscribe("Sensor/?temp=gt=0", QoS::at_least_once);
    EXPECT_EQ(drain(*s).size(), 4u);
    s->send(mqtt::Unsubscribe{2, {"Sensor/?temp=gt=0"}, {}});
    const auto ack = s->expect<mqtt::Unsuback>();
    if (v5()) {
        EXPECT_EQ(ack.reason_codes, std::vector<ReasonCode>{ReasonCode::success});
    }
    put("1", R"({"temp":1000})");
    EXPECT_TRUE(drain(*s).empty());
}

TEST_P(Queries, PersistentSessionGetsAFreshSnapshotNotMissedChanges) {
    {
        auto s = client("keeper", false, persistent());
        s->subscribe("Sensor/?status=active&temp=gt=30", QoS::at_least_once);
        EXPECT_EQ(drain(*s).size(), 2u);
        s->disconnect();
        ASSERT_TRUE(s->wait_closed());
    }
    put("1", R"({"status":"off","temp":31})");     // left while away
    put("9", R"({"status":"active","temp":50})");  // entered while away
    put("9", R"({"status":"active","temp":51})");  // and changed
    put("2", R"({"status":"active","temp":26})");  // never inside
    auto s = std::make_unique<TestClient>(daemon_.mqtt_port(), GetParam());
    ASSERT_TRUE(s->connect("keeper", false, persistent()).session_present);
    auto got = drain(*s);
    Ids ids;
    for (const auto& p : got) {
        EXPECT_TRUE(p.retain);  // a snapshot, not replayed live changes
        ids.push_back(id_of(p));
    }
    EXPECT_EQ(ids, (Ids{"4", "9"}));
    EXPECT_EQ(json(got.back().payload), json(R"({"status":"active","temp":51,"id":"9"})"));
    // Live again afterwards.
    put("9", "");
    got = drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].payload, "null");
}

TEST_P(Queries, QueriesSurviveARestart) {
    {
        auto s = client("durable", false, persistent());
        s->subscribe("Sensor/?status=off&select(status)", QoS::at_least_once);
        EXPECT_EQ(drain(*s).size(), 1u);
        s->disconnect();
        ASSERT_TRUE(s->wait_closed());
    }
    writer_.reset();
    ASSERT_EQ(daemon_.stop(), 0) << daemon_.log();
    daemon_.restart();
    writer_ = client("writer");
    put("2", R"({"status":"off","temp":1})");
    auto s = std::make_unique<TestClient>(daemon_.mqtt_port(), GetParam());
    ASSERT_TRUE(s->connect("durable", false, persistent()).session_present);
    auto got = drain(*s);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(id_of(got[0]), "2");
    EXPECT_EQ(json(got[0].payload), json(R"({"id":"2","status":"off"})"));
    EXPECT_EQ(id_of(got[1]), "3");
    put("3", R"({"status":"on"})");
    got = drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].payload, "null");
}

TEST_P(Queries, QueryOnIntegerKeysAndFormats) {
    writer_->send(mqtt::Publish{"Dog/10", R"({"name":"Rex","age":3})", QoS::at_least_once, true, false, 500, {}});
    writer_->expect<mqtt::Puback>();
    writer_->send(mqtt::Publish{"Dog/9", R"({"name":"Fido","age":12})", QoS::at_least_once, true, false, 501, {}});
    writer_->expect<mqtt::Puback>();
    auto s = client("dogs");
    s->subscribe("Dog/?dogId=ge=9&age=lt=10", QoS::at_least_once);
    auto got = drain(*s);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].topic, "Dog/10");
    EXPECT_EQ(json(got[0].payload), json(R"({"name":"Rex","age":3,"dogId":10})"));
    if (v5()) {
        // The subscription's `accept` applies to query deliveries too.
        mqtt::Properties props;
        props.user_properties.emplace_back("accept", "application/cbor");
        s->subscribe("Dog/?name=Fido", QoS::at_least_once, 3, {}, props);
        got = drain(*s);
        ASSERT_EQ(got.size(), 1u);
        EXPECT_EQ(got[0].properties.content_type, "application/cbor");
        auto v = encoding::decode(got[0].payload, Format::cbor);
        ASSERT_TRUE(v);
        EXPECT_EQ(*v, json(R"({"name":"Fido","age":12,"dogId":9})"));
    }
}

TEST_P(Queries, SharedQuerySubscriptionsAreRefused) {
    auto s = client("share");
    const auto ack = s->subscribe("$share/g/Sensor/?status=active", QoS::at_least_once);
    EXPECT_EQ(ack.reason_codes,
              std::vector<ReasonCode>{v5() ? ReasonCode::shared_subscriptions_not_supported : ReasonCode::unspecified_error});
}

// Third-party clients: a query filter is an ordinary MQTT filter string to them.
class QueriesThirdParty : public ::testing::Test {
protected:
    void TearDown() override { EXPECT_EQ(daemon_.stop(), 0) << daemon_.log(); }
    std::string port() const { return std::to_string(daemon_.mqtt_port()); }
    int put(const std::string& topic, const std::string& payload) {
        std::string err;
        const int rc = run_command("mosquitto_pub -h 127.0.0.1 -p " + port() + " -V mqttv5 -q 1 -r -t '" + topic +
                                       "' -m '" + payload + "'",
                                   nullptr, &err);
        EXPECT_EQ(rc, 0) << err;
        return rc;
    }
    Daemon daemon_{tables_yaml};
};

TEST_F(QueriesThirdParty, MosquittoSubFollowsAQuery) {
    put("Sensor/1", R"({"status":"active","temp":31})");
    put("Sensor/2", R"({"status":"off","temp":20})");
    ChildProcess sub("mosquitto_sub -h 127.0.0.1 -p " + port() +
                     " -V mqttv5 -q 2 -t 'Sensor/?status=active' -C 3 -W 20 -F '%t %r %q %p'");
    EXPECT_EQ(sub.read_line(), R"(Sensor/1 1 1 {"status":"active","temp":31,"id":"1"})");  // granted QoS 1
    put("Sensor/2", R"({"status":"active","temp":21})");  // enters
    EXPECT_EQ(sub.read_line(), R"(Sensor/2 0 1 {"status":"active","temp":21,"id":"2"})");
    put("Sensor/1", R"({"status":"off","temp":31})");  // leaves
    EXPECT_EQ(sub.read_line(), "Sensor/1 0 1 null");
    EXPECT_EQ(sub.wait(), 0);
}

TEST_F(QueriesThirdParty, PahoSeesLimitedQosAndTheRefusalOfABadQuery) {
    put("Sensor/1", R"({"status":"active","temp":31,"name":"a"})");
    const auto script = daemon_.dir() / "paho_query.py";
    std::ofstream(script) << R"PY(
import sys, threading, json
import paho.mqtt.client as mqtt

port = int(sys.argv[1])
acks = {}
messages = []
done = threading.Event()

def on_subscribe(client, userdata, mid, rcs, props=None):
    acks[mid] = ([rc.value for rc in rcs], getattr(props, 'ReasonString', None))
    if len(acks) == 2: done.set()

def on_message(client, userdata, msg):
    messages.append((msg.topic, json.loads(msg.payload), msg.qos, msg.retain))

c = mqtt.Client(client_id="paho-query", protocol=mqtt.MQTTv5)
c.on_subscribe = on_subscribe
c.on_message = on_message
c.connect("127.0.0.1", port)
c.loop_start()
good = c.subscribe("Sensor/?temp=gt=30&select(temp)", qos=2)[1]
bad = c.subscribe("Sensor/?temp=zz=30", qos=1)[1]
assert done.wait(10), "no SUBACK"
print(acks[good][0], acks[bad][0], acks[bad][1])
c.disconnect(); c.loop_stop()
print(messages)
)PY";
    std::string out, err;
    ASSERT_EQ(run_command("/usr/bin/python3 " + script.string() + " " + port(), &out, &err), 0) << err;
    EXPECT_EQ(out,
              "[1] [143] Sensor/?temp=zz=30: query error at position 13: unknown operator '=zz='\n"
              "[('Sensor/1', {'id': '1', 'temp': 31}, 1, 1)]\n");
}

INSTANTIATE_TEST_SUITE_P(Versions, Queries, ::testing::Values(Version::v311, Version::v5),
                         [](const ::testing::TestParamInfo<Version>& p) { return p.param == Version::v5 ? "v5" : "v311"; });

}  // namespace
}  // namespace harperrt::test
