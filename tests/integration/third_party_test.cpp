// Real third-party clients against the daemon: Debian's mosquitto_pub / mosquitto_sub
// (MQTT 3.1.1 and 5) and python3-paho-mqtt (MQTT 5).
#include "tests/support/daemon.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace harperrt::test {
namespace {

class ThirdParty : public ::testing::Test {
protected:
    void TearDown() override { EXPECT_EQ(daemon_.stop(), 0) << daemon_.log(); }
    std::string port() const { return std::to_string(daemon_.mqtt_port()); }
    Daemon daemon_;
};

TEST_F(ThirdParty, MosquittoPubRetainedThenMosquittoSubV311) {
    std::string out, err;
    ASSERT_EQ(run_command("mosquitto_pub -h 127.0.0.1 -p " + port() + " -V mqttv311 -q 1 -r -t dog/41 -m '{\"name\":\"Rex\"}'",
                          &out, &err), 0) << err;
    ASSERT_EQ(run_command("mosquitto_sub -h 127.0.0.1 -p " + port() + " -V mqttv311 -q 1 -t 'dog/#' -C 1 -W 10 -v",
                          &out, &err), 0) << err;
    EXPECT_EQ(out, "dog/41 {\"name\":\"Rex\"}\n");
}

TEST_F(ThirdParty, Mqtt31ClientsConnectPublishAndSubscribe) {
    std::string out, err;
    ASSERT_EQ(run_command("mosquitto_pub -h 127.0.0.1 -p " + port() + " -V mqttv31 -i old31 -q 2 -r -t legacy/x -m v31",
                          &out, &err), 0) << err;
    ASSERT_EQ(run_command("mosquitto_sub -h 127.0.0.1 -p " + port() + " -V mqttv31 -i old31sub -q 1 -t 'legacy/#' -C 1 -W 10 -v",
                          &out, &err), 0) << err;
    EXPECT_EQ(out, "legacy/x v31\n");
}

TEST_F(ThirdParty, MosquittoV5SubscriberGetsLiveMessagesAtEachQos) {
    const std::string pub = "mosquitto_pub -h 127.0.0.1 -p " + port() + " -V mqttv5";
    std::string err;
    ASSERT_EQ(run_command(pub + " -q 1 -r -t live/ready -m ready", nullptr, &err), 0) << err;
    ChildProcess sub("mosquitto_sub -h 127.0.0.1 -p " + port() +
                     " -V mqttv5 -q 2 -t 'live/+' -C 4 -W 10 -F '%t %q %r %p'");
    // The retained marker arrives once the subscription is live.
    EXPECT_EQ(sub.read_line(), "live/ready 1 1 ready");
    ASSERT_EQ(run_command(pub + " -q 2 -t live/a -m two", nullptr, &err), 0) << err;
    ASSERT_EQ(run_command(pub + " -q 1 -t live/b -m one", nullptr, &err), 0) << err;
    ASSERT_EQ(run_command(pub + " -q 0 -t live/c -m zero", nullptr, &err), 0) << err;
    EXPECT_EQ(sub.read_line(), "live/a 2 0 two");
    EXPECT_EQ(sub.read_line(), "live/b 1 0 one");
    EXPECT_EQ(sub.read_line(), "live/c 0 0 zero");
    EXPECT_EQ(sub.wait(), 0);
}

TEST_F(ThirdParty, PahoMqtt5RoundTripWithUserPropertiesAndQos2) {
    const auto script = daemon_.dir() / "paho_test.py";
    std::ofstream(script) << R"PY(
import sys, threading
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

port = int(sys.argv[1])
got = threading.Event()
result = {}

def on_message(client, userdata, msg):
    result['topic'] = msg.topic
    result['payload'] = msg.payload.decode()
    result['qos'] = msg.qos
    result['props'] = getattr(msg.properties, 'UserProperty', None)
    result['ct'] = getattr(msg.properties, 'ContentType', None)
    got.set()

subscribed = threading.Event()
sub = mqtt.Client(client_id="paho-sub", protocol=mqtt.MQTTv5)
sub.on_message = on_message
sub.on_subscribe = lambda c, u, mid, rc, props=None: subscribed.set()
sub.connect("127.0.0.1", port)
sub.loop_start()
sub.subscribe("paho/#", qos=2)
assert subscribed.wait(10), "no SUBACK"

pub = mqtt.Client(client_id="paho-pub", protocol=mqtt.MQTTv5)
pub.connect("127.0.0.1", port)
pub.loop_start()
props = Properties(PacketTypes.PUBLISH)
props.UserProperty = [("k1", "v1"), ("k2", "v2")]
props.ContentType = "text/plain"
info = pub.publish("paho/x", "hi", qos=2, properties=props)
info.wait_for_publish(10)
assert got.wait(10), "no message"
print(result['topic'], result['payload'], result['qos'], result['props'], result['ct'])
pub.disconnect(); sub.disconnect()
pub.loop_stop(); sub.loop_stop()
)PY";
    std::string out, err;
    ASSERT_EQ(run_command("/usr/bin/python3 " + script.string() + " " + port(), &out, &err), 0) << err;
    EXPECT_EQ(out, "paho/x hi 2 [('k1', 'v1'), ('k2', 'v2')] text/plain\n");
}

// Records with third-party clients (DESIGN.md §1–§4). Anonymous clients get a role with
// every table permission, as a deployment that allows them would configure.
class ThirdPartyRecords : public ::testing::Test {
protected:
    void TearDown() override { EXPECT_EQ(daemon_.stop(), 0) << daemon_.log(); }
    std::string port() const { return std::to_string(daemon_.mqtt_port()); }
    Daemon daemon_{"tables:\n  Sensor: { primaryKey: id }\n"
                   "roles:\n  any: { tables: { Sensor: [read, insert, update, delete] } }\n"
                   "anonymousRoles: [any]\n"};
};

TEST_F(ThirdPartyRecords, MosquittoSubReceivesJsonRecordsThenChanges) {
    std::string out, err;
    const std::string pub = "mosquitto_pub -h 127.0.0.1 -p " + port() + " -V mqttv311 -q 1 -r";
    ASSERT_EQ(run_command(pub + " -t Sensor/1 -m '{\"temp\":21}'", nullptr, &err), 0) << err;
    ChildProcess sub("mosquitto_sub -h 127.0.0.1 -p " + port() + " -V mqttv311 -q 1 -t 'Sensor/#' -C 3 -W 10 -F '%t %r %p'");
    EXPECT_EQ(sub.read_line(), "Sensor/1 1 {\"temp\":21,\"id\":\"1\"}");  // the record, RETAIN=1
    ASSERT_EQ(run_command(pub + " -t Sensor/1 -m '{\"temp\":22}'", nullptr, &err), 0) << err;
    EXPECT_EQ(sub.read_line(), "Sensor/1 0 {\"temp\":22,\"id\":\"1\"}");  // a live change
    ASSERT_EQ(run_command(pub + " -t Sensor/1 -n", nullptr, &err), 0) << err;
    EXPECT_EQ(sub.read_line(), "Sensor/1 0 null");                        // the delete
    EXPECT_EQ(sub.wait(), 0);
}

TEST_F(ThirdPartyRecords, PahoPublishesCborAndReceivesMessagePack) {
    const auto script = daemon_.dir() / "paho_records.py";
    std::ofstream(script) << R"PY(
import sys, threading
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

port = int(sys.argv[1])
# {"temp": -3, "ok": true} in CBOR, written by hand so the test needs no CBOR library.
cbor = bytes([0xa2, 0x64]) + b"temp" + bytes([0x22, 0x62]) + b"ok" + bytes([0xf5])
got = threading.Event()
result = {}

def on_message(client, userdata, msg):
    result['payload'] = msg.payload.hex()
    result['ct'] = getattr(msg.properties, 'ContentType', None)
    result['retain'] = msg.retain
    got.set()

pub = mqtt.Client(client_id="paho-cbor", protocol=mqtt.MQTTv5)
pub.connect("127.0.0.1", port)
pub.loop_start()
props = Properties(PacketTypes.PUBLISH)
props.ContentType = "application/cbor"
pub.publish("Sensor/p", cbor, qos=1, retain=True, properties=props).wait_for_publish(10)

subscribed = threading.Event()
sub = mqtt.Client(client_id="paho-msgpack", protocol=mqtt.MQTTv5)
sub.on_message = on_message
sub.connect("127.0.0.1", port)
sub.loop_start()
sp = Properties(PacketTypes.SUBSCRIBE)
sp.UserProperty = [("accept", "application/x-msgpack")]
sub.subscribe("Sensor/p", qos=1, properties=sp)
assert got.wait(10), "no record"
print(result['payload'], result['ct'], result['retain'])
pub.disconnect(); sub.disconnect(); pub.loop_stop(); sub.loop_stop()
)PY";
    std::string out, err;
    ASSERT_EQ(run_command("/usr/bin/python3 " + script.string() + " " + port(), &out, &err), 0) << err;
    // MessagePack {"temp": -3, "ok": true, "id": "p"}: fixmap(3), fixstr "temp", -3, fixstr
    // "ok", true, fixstr "id", fixstr "p".
    EXPECT_EQ(out, "83a474656d70fda26f6bc3a26964a170 application/x-msgpack 1\n");
}

}  // namespace
}  // namespace harperrt::test
