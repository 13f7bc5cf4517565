// The HTTP listener against the real daemon (DESIGN.md §7): /health, /metrics, the REST
// view of records with content negotiation and Basic auth (curl), REST writes reaching
// MQTT subscribers, and MQTT over WebSocket with MQTT.js (npm package `mqtt`, see
// tests/integration/js/package.json).
#include "tests/support/daemon.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace harperrt::test {
namespace {

using mqtt::QoS;
using mqtt::Version;

constexpr const char* tables_yaml = R"(
tables:
  Sensor: { primaryKey: id }
)";

class Http : public ::testing::Test {
protected:
    explicit Http(const std::string& yaml = tables_yaml) : daemon_(yaml) {}
    void TearDown() override { EXPECT_EQ(daemon_.stop(), 0) << daemon_.log(); }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(daemon_.ports().http.value_or(0)) + path;
    }
    // curl -s with `args`; returns "<status>\n<body>".
    std::string curl(const std::string& args) {
        std::string out, err;
        EXPECT_EQ(run_command("curl -s -w '\\n%{http_code}' " + args, &out, &err), 0) << err;
        return out;
    }
    Daemon daemon_;
};

TEST_F(Http, HealthAndMetrics) {
    ASSERT_TRUE(daemon_.ports().http.has_value());
    const auto health = curl(url("/health"));
    EXPECT_NE(health.find(R"("status":"ok")"), std::string::npos) << health;
    EXPECT_TRUE(health.ends_with("\n200")) << health;
    TestClient c(daemon_.mqtt_port(), Version::v5);
    c.connect("metrics-client");
    const auto metrics = curl(url("/metrics"));
    EXPECT_NE(metrics.find("# TYPE harperrt_connections gauge\nharperrt_connections 1\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("harperrt_store_commits_total "), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("harperrt_bytes_received_total "), std::string::npos) << metrics;
}

TEST_F(Http, RestPutGetDeleteWithNegotiationAndMqttNotification) {
    TestClient sub(daemon_.mqtt_port(), Version::v5);
    sub.connect("rest-sub");
    sub.subscribe("Sensor/#", QoS::at_least_once);

    EXPECT_EQ(curl("-X PUT -H 'Content-Type: application/json' --data '{\"temp\":21}' " + url("/Sensor/7")), "\n204");
    const auto live = sub.receive_publish();
    EXPECT_EQ(live.topic, "Sensor/7");
    EXPECT_NE(live.payload.find("\"temp\":21"), std::string::npos) << live.payload;

    const auto json = curl(url("/Sensor/7"));
    EXPECT_NE(json.find("\"temp\":21"), std::string::npos) << json;
    EXPECT_NE(json.find("\"id\":\"7\""), std::string::npos) << json;
    // CBOR on request: a map of two entries (0xa2).
    std::string out, err;
    ASSERT_EQ(run_command("curl -s -H 'Accept: application/cbor' " + url("/Sensor/7") + " | od -An -tx1 | head -c 3",
                          &out, &err), 0);
    EXPECT_EQ(out, " a2");
    ASSERT_EQ(run_command("curl -s -o /dev/null -w '%{content_type}' -H 'Accept: application/msgpack' " + url("/Sensor/7"),
                          &out, &err), 0);
    EXPECT_EQ(out, "application/x-msgpack");

    EXPECT_EQ(curl("-X PUT -H 'Content-Type: application/json' --data '{\"temp\":5}' " + url("/Sensor/8")), "\n204");
    sub.receive_publish();
    const auto all = curl(url("/Sensor/"));
    EXPECT_TRUE(all.starts_with("[")) << all;
    EXPECT_NE(all.find("\"temp\":5"), std::string::npos) << all;
    EXPECT_NE(all.find("\"temp\":21"), std::string::npos) << all;

    EXPECT_EQ(curl("-X DELETE " + url("/Sensor/7")), "\n204");
    EXPECT_EQ(sub.receive_publish().topic, "Sensor/7");
    EXPECT_TRUE(curl(url("/Sensor/7")).ends_with("\n404"));
    EXPECT_TRUE(curl(url("/Nope/1")).ends_with("\n404"));
    EXPECT_TRUE(curl("-X PUT -H 'Content-Type: text/plain' --data x " + url("/Sensor/9")).ends_with("\n415"));
}

class HttpAuth : public Http {
protected:
    HttpAuth()
        : Http(std::string(tables_yaml) + R"(
mqtt: { requireAuthentication: true }
roles:
  reader: { tables: { Sensor: [read] } }
users:
  - { name: bob, password: "$pbkdf2-sha256$i=1000$0Bsz+Zduz6opL2+1YVE8KA$8AqB23dCeK0zchtZyhmzTPZIJuYHHsYDFL+YIzeuyxk", roles: [reader] }
)") {}
};

TEST_F(HttpAuth, BasicAuthIsRequiredAndRolesApply) {
    EXPECT_TRUE(curl(url("/Sensor/1")).ends_with("\n401"));
    EXPECT_TRUE(curl("-u bob:wrong " + url("/Sensor/1")).ends_with("\n401"));
    EXPECT_TRUE(curl("-u bob:bobpw " + url("/Sensor/1")).ends_with("\n404"));
    EXPECT_TRUE(curl("-u bob:bobpw -X PUT --data '{}' " + url("/Sensor/1")).ends_with("\n403"));
    EXPECT_TRUE(curl(url("/health")).ends_with("\n200"));
}

TEST_F(Http, MqttJsOverWebSocketGetsCborFromTheUpgradeAcceptHeader) {
    const std::filesystem::path js = HARPERRT_JS_DIR;
    std::string out, err;
    if (run_command("command -v node", &out, &err) != 0) GTEST_SKIP() << "node is not installed";
    if (!std::filesystem::exists(js / "node_modules" / "mqtt"))
        GTEST_SKIP() << "MQTT.js missing: run `npm install --prefix tests/integration/js`";
    ASSERT_EQ(run_command("node " + (js / "ws_cbor.js").string() + " " + std::to_string(daemon_.ports().http.value_or(0)),
                          &out, &err), 0)
        << out << err << daemon_.log();
    EXPECT_TRUE(out.starts_with("Sensor/7 a")) << "a CBOR map, not JSON (7b): " << out;
}

}  // namespace
}  // namespace harperrt::test
