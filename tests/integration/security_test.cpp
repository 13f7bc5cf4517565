// Authentication, authorization and TLS against the real daemon (DESIGN.md §7): users with
// password hashes, roles with table permissions and topic rules, v5 reason codes and 3.1.1
// behaviour, MQTT over TLS and mutual TLS with mosquitto_pub/sub, and SIGHUP reloads.
#include "tests/support/daemon.hpp"
#include "tests/support/pki.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>
#include <unistd.h>

namespace harperrt::test {
namespace {

using mqtt::QoS;
using mqtt::ReasonCode;
using mqtt::Version;
namespace fs = std::filesystem;

// Hashes of "alicepw" and "bobpw" as `harperrt config passwd` writes them, with a low
// iteration count so that tests stay fast (verify accepts any count).
constexpr const char* alice_hash = "$pbkdf2-sha256$i=1000$efO1TonTOWFM31YreAnfEQ$IeD8VIcienrUnuHUOyzVkhLMzWBYuKxViY2ajPu3SNc";
constexpr const char* bob_hash = "$pbkdf2-sha256$i=1000$0Bsz+Zduz6opL2+1YVE8KA$8AqB23dCeK0zchtZyhmzTPZIJuYHHsYDFL+YIzeuyxk";

std::string auth_yaml(const std::string& extra = {}) {
    return std::string(R"(
mqtt:
  requireAuthentication: true
tables:
  Sensor: { primaryKey: id }
roles:
  writer:
    tables: { Sensor: [read, insert, update, delete] }
    topics: [ { filter: "plant/%u/#", publish: true, subscribe: true }, { filter: "secret/#", publish: false, subscribe: false } ]
  reader:
    tables: { Sensor: [read] }
    topics: [ { filter: "secret/#", publish: false, subscribe: false } ]
users:
  - { name: alice, password: ")") + alice_hash + R"(", roles: [writer] }
  - { name: bob, password: ")" + bob_hash + R"(", roles: [reader] }
)" + extra;
}

mqtt::Connect login(Version v, const std::string& id, std::optional<std::string> user, std::optional<std::string> pw) {
    mqtt::Connect c;
    c.version = v;
    c.client_id = id;
    c.keep_alive = 60;
    c.username = std::move(user);
    c.password = std::move(pw);
    return c;
}

// The value of the Prometheus sample `name` (labels included) from GET /metrics; -1 when absent.
double metric(const Daemon& d, const std::string& name) {
    std::string out, err;
    if (run_command("curl -s http://127.0.0.1:" + std::to_string(d.ports().http.value_or(0)) + "/metrics", &out, &err) != 0)
        return -1;
    const auto pos = out.find("\n" + name + " ");
    if (pos == std::string::npos) return -1;
    return std::stod(out.substr(pos + name.size() + 2));
}

mqtt::Publish qos1(const std::string& topic, const std::string& payload, bool retain, std::uint16_t id = 1) {
    return mqtt::Publish{topic, payload, QoS::at_least_once, retain, false, id, {}};
}

TEST(Security, BadPasswordAndAnonymousAreRefused) {
    Daemon d(auth_yaml());
    {
        TestClient c(d.mqtt_port(), Version::v5);
        EXPECT_EQ(c.connect(login(Version::v5, "a", "alice", "wrong")).reason_code, ReasonCode::bad_user_name_or_password);
        EXPECT_TRUE(c.wait_closed());
    }
    {
        TestClient c(d.mqtt_port(), Version::v5);
        EXPECT_EQ(c.connect(login(Version::v5, "a", "nobody", "x")).reason_code, ReasonCode::bad_user_name_or_password);
    }
    {
        TestClient c(d.mqtt_port(), Version::v5);
        EXPECT_EQ(c.connect(login(Version::v5, "a", std::nullopt, std::nullopt)).reason_code, ReasonCode::not_authorized);
    }
    {
        // 3.1.1 return codes 4 and 5 (decoded into the v5 reason codes).
        TestClient c(d.mqtt_port(), Version::v311);
        EXPECT_EQ(c.connect(login(Version::v311, "a", "alice", "wrong")).reason_code, ReasonCode::bad_user_name_or_password);
    }
    {
        TestClient c(d.mqtt_port(), Version::v311);
        EXPECT_EQ(c.connect(login(Version::v311, "a", std::nullopt, std::nullopt)).reason_code, ReasonCode::not_authorized);
    }
    {
        TestClient c(d.mqtt_port(), Version::v5);
        EXPECT_EQ(c.connect(login(Version::v5, "a", "alice", "alicepw")).reason_code, ReasonCode::success);
    }
    std::string err;
    EXPECT_NE(run_command("mosquitto_pub -h 127.0.0.1 -p " + std::to_string(d.mqtt_port()) +
                              " -V mqttv5 -u alice -P nope -t plant/alice/x -m 1", nullptr, &err), 0);
    EXPECT_EQ(run_command("mosquitto_pub -h 127.0.0.1 -p " + std::to_string(d.mqtt_port()) +
                              " -V mqttv5 -q 1 -u alice -P alicepw -t plant/alice/x -m 1", nullptr, &err), 0) << err;
    // Every refused login above is counted, the successful ones are not.
    EXPECT_EQ(metric(d, R"(harperrt_auth_failures_total{protocol="mqtt"})"), 6);
    EXPECT_EQ(metric(d, R"(harperrt_auth_failures_total{protocol="http"})"), 0);
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(Security, TopicRulesAndTablePermissionsV5) {
    Daemon d(auth_yaml());
    TestClient alice(d.mqtt_port(), Version::v5);
    ASSERT_EQ(alice.connect(login(Version::v5, "alice-1", "alice", "alicepw")).reason_code, ReasonCode::success);
    TestClient bob(d.mqtt_port(), Version::v5);
    ASSERT_EQ(bob.connect(login(Version::v5, "bob-1", "bob", "bobpw")).reason_code, ReasonCode::success);

    // Topic rules: the first matching rule decides, %u is the user name.
    alice.send(qos1("secret/x", "1", false));
    EXPECT_EQ(alice.expect<mqtt::Puback>().reason_code, ReasonCode::not_authorized);
    auto ack = alice.subscribe("secret/#", QoS::at_least_once);
    ASSERT_EQ(ack.reason_codes.size(), 1u);
    EXPECT_EQ(ack.reason_codes[0], ReasonCode::not_authorized);
    ack = alice.subscribe("plant/alice/#", QoS::at_least_once, 2);
    EXPECT_EQ(ack.reason_codes.at(0), ReasonCode::granted_qos_1);
    // No rule matches: mqtt.defaultTopicAccess (allow).
    bob.send(qos1("plant/alice/temp", "21", false));
    EXPECT_EQ(bob.expect<mqtt::Puback>().reason_code, ReasonCode::success);
    EXPECT_EQ(alice.receive_publish().payload, "21");

    // Tables: bob may read Sensor but not write or delete it; a plain message needs update.
    bob.send(qos1("Sensor/1", R"({"t":1})", true));
    EXPECT_EQ(bob.expect<mqtt::Puback>().reason_code, ReasonCode::not_authorized);
    bob.send(qos1("Sensor/1", "", true));
    EXPECT_EQ(bob.expect<mqtt::Puback>().reason_code, ReasonCode::not_authorized);
    bob.send(qos1("Sensor/1", R"({"t":1})", false));
    EXPECT_EQ(bob.expect<mqtt::Puback>().reason_code, ReasonCode::not_authorized);
    EXPECT_EQ(bob.subscribe("Sensor/#", QoS::at_least_once, 3).reason_codes.at(0), ReasonCode::granted_qos_1);
    alice.send(qos1("Sensor/1", R"({"t":2})", true, 5));
    EXPECT_EQ(alice.expect<mqtt::Puback>().reason_code, ReasonCode::success);
    EXPECT_EQ(bob.receive_publish().topic, "Sensor/1");
    // Denials are counted by action: four publishes, one subscription.
    EXPECT_EQ(metric(d, R"(harperrt_acl_denied_total{action="publish"})"), 4);
    EXPECT_EQ(metric(d, R"(harperrt_acl_denied_total{action="subscribe"})"), 1);
    EXPECT_EQ(metric(d, R"(harperrt_acl_denied_total{action="rest_read"})"), 0);
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(Security, V311DeniedSubscribeIsFailureAndDeniedPublishFollowsV3RejectAction) {
    Daemon d(auth_yaml(), {"--set", "mqtt.v3RejectAction=disconnect"});
    TestClient bob(d.mqtt_port(), Version::v311);
    ASSERT_EQ(bob.connect(login(Version::v311, "bob-3", "bob", "bobpw")).reason_code, ReasonCode::success);
    const auto ack = bob.subscribe("secret/#", QoS::at_least_once);
    ASSERT_EQ(ack.reason_codes.size(), 1u);
    EXPECT_EQ(static_cast<int>(ack.reason_codes[0]), 0x80);
    bob.send(qos1("Sensor/9", R"({"t":1})", true));
    EXPECT_TRUE(bob.wait_closed()) << "v3RejectAction: disconnect closes a 3.1.1 client";
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(Security, V311DeniedPublishIsAcknowledgedWithAckAction) {
    Daemon d(auth_yaml());
    TestClient bob(d.mqtt_port(), Version::v311);
    ASSERT_EQ(bob.connect(login(Version::v311, "bob-4", "bob", "bobpw")).reason_code, ReasonCode::success);
    bob.send(qos1("Sensor/9", R"({"t":1})", true));
    bob.expect<mqtt::Puback>();
    EXPECT_FALSE(bob.wait_closed(std::chrono::milliseconds(200)));
    TestClient check(d.mqtt_port(), Version::v5);
    ASSERT_EQ(check.connect(login(Version::v5, "alice-4", "alice", "alicepw")).reason_code, ReasonCode::success);
    check.subscribe("Sensor/9", QoS::at_least_once);
    EXPECT_FALSE(check.receive(std::chrono::milliseconds(300)).has_value()) << "the refused record was not written";
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(Security, PublicListenerRequiresAuthenticationUnlessTheConfigAllowsAnonymous) {
    {
        Daemon d("", {"--set", "mqtt.network.host=0.0.0.0"});
        TestClient c(d.mqtt_port(), Version::v5);
        EXPECT_EQ(c.connect(login(Version::v5, "anon", std::nullopt, std::nullopt)).reason_code, ReasonCode::not_authorized);
        EXPECT_EQ(d.stop(), 0) << d.log();
    }
    {
        Daemon d("mqtt: { requireAuthentication: false }\n", {"--set", "mqtt.network.host=0.0.0.0"});
        TestClient c(d.mqtt_port(), Version::v5);
        EXPECT_EQ(c.connect(login(Version::v5, "anon", std::nullopt, std::nullopt)).reason_code, ReasonCode::success);
        EXPECT_EQ(d.stop(), 0) << d.log();
    }
}

TEST(Security, AnonymousRolesApplyWhereAnonymousIsAllowed) {
    Daemon d(R"(
roles:
  nobody:
    topics: [ { filter: "test/nosubscribe", subscribe: false } ]
anonymousRoles: [nobody]
)");
    TestClient c(d.mqtt_port(), Version::v5);
    ASSERT_EQ(c.connect("anon").reason_code, ReasonCode::success);
    EXPECT_EQ(c.subscribe("test/nosubscribe", QoS::at_most_once).reason_codes.at(0), ReasonCode::not_authorized);
    EXPECT_EQ(c.subscribe("test/other", QoS::at_most_once, 2).reason_codes.at(0), ReasonCode::success);
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(SecurityTls, MosquittoOverTlsRoundTrip) {
    Pki pki;
    Daemon d(pki.tls_yaml(), {"--set", "mqtt.network.securePort=0"});
    ASSERT_TRUE(d.ports().mqtts.has_value());
    const auto port = std::to_string(*d.ports().mqtts);
    const std::string tls = " -h 127.0.0.1 -p " + port + " --cafile " + pki.path("ca.pem");
    std::string out, err;
    ASSERT_EQ(run_command("mosquitto_pub" + tls + " -V mqttv311 -q 1 -r -t tls/x -m secure", &out, &err), 0) << err;
    ASSERT_EQ(run_command("mosquitto_sub" + tls + " -V mqttv5 -q 1 -t 'tls/#' -C 1 -W 10 -v", &out, &err), 0) << err;
    EXPECT_EQ(out, "tls/x secure\n");
    // TLS 1.2 and 1.3, nothing older (the client is told to allow TLS 1.1, the server refuses).
    const std::string s_client = "openssl s_client -connect 127.0.0.1:" + port + " -CAfile " + pki.path("ca.pem") +
                                 " -verify_return_error ";
    EXPECT_EQ(run_command(s_client + "-tls1_3", &out, &err), 0) << err;
    EXPECT_NE(out.find("TLSv1.3"), std::string::npos) << out;
    EXPECT_EQ(run_command(s_client + "-tls1_2", &out, &err), 0) << err;
    EXPECT_NE(out.find("TLSv1.2"), std::string::npos) << out;
    EXPECT_NE(run_command(s_client + "-tls1_1 -cipher DEFAULT@SECLEVEL=0", &out, &err), 0) << out;
    // The plain port still works, and a client that does not trust the CA is refused.
    EXPECT_NE(run_command("mosquitto_pub -h 127.0.0.1 -p " + port + " --cafile " + pki.path("client.pem") + " -t tls/y -m x",
                          nullptr, &err), 0);
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(SecurityTls, MutualTlsNeedsAClientCertificateWhoseCnIsTheUser) {
    Pki pki;
    Daemon d(auth_yaml(pki.tls_yaml()), {"--set", "mqtt.network.securePort=0", "--set", "mqtt.network.mtls=true"});
    ASSERT_TRUE(d.ports().mqtts.has_value());
    const std::string tls = " -h 127.0.0.1 -p " + std::to_string(*d.ports().mqtts) + " --cafile " + pki.path("ca.pem");
    const std::string cert = " --cert " + pki.path("client.pem") + " --key " + pki.path("client.key");
    std::string out, err;
    // Without a client certificate the handshake fails.
    EXPECT_NE(run_command("mosquitto_pub" + tls + " -V mqttv5 -q 1 -t plant/alice/x -m 1", &out, &err, std::chrono::seconds(15)), 0);
    // With one, the CN (alice) is the user: her topic rule lets her into plant/alice/#,
    // and secret/# is denied.
    ASSERT_EQ(run_command("mosquitto_pub" + tls + cert + " -V mqttv5 -q 1 -r -t plant/alice/x -m mtls", &out, &err), 0) << err;
    ASSERT_EQ(run_command("mosquitto_sub" + tls + cert + " -V mqttv5 -q 1 -t 'plant/alice/#' -C 1 -W 10 -v", &out, &err), 0)
        << err;
    EXPECT_EQ(out, "plant/alice/x mtls\n");
    run_command("mosquitto_pub" + tls + cert + " -V mqttv5 -q 1 -t secret/x -m 1 -d", &out, &err);
    EXPECT_NE((out + err).find("Not authorized"), std::string::npos) << out << err;
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(SecurityTls, SighupSwapsTheCertificateAndKeepsClients) {
    Pki pki;
    Daemon d(pki.tls_yaml(), {"--set", "mqtt.network.securePort=0"});
    const std::string tls = " -h 127.0.0.1 -p " + std::to_string(*d.ports().mqtts) + " --cafile " + pki.path("ca.pem");
    ChildProcess sub("mosquitto_sub" + tls + " -V mqttv5 -q 1 -t 'hup/#' -W 60 -v");
    std::string out, err;
    ASSERT_EQ(run_command("mosquitto_pub" + tls + " -q 1 -r -t hup/ready -m 1", &out, &err), 0) << err;
    ASSERT_EQ(sub.read_line(), "hup/ready 1");
    // A new server certificate from another CA: new connections need the new CA.
    Pki other;
    fs::copy_file(other.path("server.pem"), pki.path("server.pem"), fs::copy_options::overwrite_existing);
    fs::copy_file(other.path("server.key"), pki.path("server.key"), fs::copy_options::overwrite_existing);
    ASSERT_EQ(::kill(d.pid(), SIGHUP), 0);
    const std::string new_tls = " -h 127.0.0.1 -p " + std::to_string(*d.ports().mqtts) + " --cafile " + other.path("ca.pem");
    bool swapped = false;
    for (int i = 0; i < 150 && !swapped; ++i) {  // the reload is asynchronous
        swapped = run_command("mosquitto_pub" + new_tls + " -q 1 -t probe/none -m 0", nullptr, &err) == 0;
        if (!swapped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(swapped) << d.log();
    EXPECT_NE(run_command("mosquitto_pub" + tls + " -q 1 -t probe/old -m 0", nullptr, &err), 0) << "old CA no longer works";
    // The subscriber connected before the reload still gets messages.
    ASSERT_EQ(run_command("mosquitto_pub" + new_tls + " -q 1 -t hup/after -m 2", &out, &err), 0) << err;
    auto line = sub.read_line();
    while (line == "hup/ready 1") line = sub.read_line();  // may come twice: live and retained
    EXPECT_EQ(line, "hup/after 2");
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(SecurityTls, SighupSwapsTheClientCaOfMutualTls) {
    Pki pki;    // CA A: the server certificate and alice's first client certificate
    Pki other;  // CA B: alice's second client certificate
    // Clients keep verifying the server against CA A, whatever tls.certificateAuthority
    // (the CA for client certificates) becomes.
    fs::copy_file(pki.path("ca.pem"), pki.path("server-ca.pem"));
    Daemon d(auth_yaml(pki.tls_yaml()), {"--set", "mqtt.network.securePort=0", "--set", "mqtt.network.mtls=true"});
    const std::string tls = " -h 127.0.0.1 -p " + std::to_string(*d.ports().mqtts) + " --cafile " + pki.path("server-ca.pem");
    const std::string cert_a = " --cert " + pki.path("client.pem") + " --key " + pki.path("client.key");
    const std::string cert_b = " --cert " + other.path("client.pem") + " --key " + other.path("client.key");
    std::string out, err;
    ChildProcess sub("mosquitto_sub" + tls + cert_a + " -V mqttv5 -q 1 -t 'plant/alice/#' -W 60 -v");
    ASSERT_EQ(run_command("mosquitto_pub" + tls + cert_a + " -V mqttv5 -q 1 -r -t plant/alice/ready -m 1", &out, &err), 0)
        << err;
    ASSERT_EQ(sub.read_line(), "plant/alice/ready 1");
    EXPECT_NE(run_command("mosquitto_pub" + tls + cert_b + " -V mqttv5 -q 1 -t plant/alice/b -m 0", &out, &err,
                          std::chrono::seconds(15)), 0)
        << "CA B is not trusted yet";

    fs::copy_file(other.path("ca.pem"), pki.path("ca.pem"), fs::copy_options::overwrite_existing);
    ASSERT_EQ(::kill(d.pid(), SIGHUP), 0);
    bool swapped = false;
    for (int i = 0; i < 150 && !swapped; ++i) {  // the reload is asynchronous
        swapped = run_command("mosquitto_pub" + tls + cert_b + " -V mqttv5 -q 1 -t probe/none -m 0", nullptr, &err,
                              std::chrono::seconds(15)) == 0;
        if (!swapped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(swapped) << d.log();
    EXPECT_NE(run_command("mosquitto_pub" + tls + cert_a + " -V mqttv5 -q 1 -t plant/alice/a -m 0", &out, &err,
                          std::chrono::seconds(15)), 0)
        << "CA A no longer vouches for client certificates";
    // The subscriber that came in with a CA A certificate stays connected.
    ASSERT_EQ(run_command("mosquitto_pub" + tls + cert_b + " -V mqttv5 -q 1 -t plant/alice/after -m 2", &out, &err), 0)
        << err;
    // (A retained message published while the subscription is made may come twice: live
    // and from the store, DESIGN.md §2.)
    auto line = sub.read_line();
    while (line == "plant/alice/ready 1") line = sub.read_line();
    EXPECT_EQ(line, "plant/alice/after 2");
    EXPECT_GT(metric(d, "harperrt_tls_handshake_failures_total"), 0);
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(SecurityTls, HttpsServesHealthAndRest) {
    Pki pki;
    Daemon d(pki.tls_yaml() + "tables:\n  Sensor: { primaryKey: id }\n", {"--set", "http.securePort=0"});
    ASSERT_TRUE(d.ports().https.has_value());
    const std::string base = "https://127.0.0.1:" + std::to_string(*d.ports().https);
    const std::string curl = "curl -s --cacert " + pki.path("ca.pem") + " -w '\\n%{http_code}' ";
    std::string out, err;
    ASSERT_EQ(run_command(curl + base + "/health", &out, &err), 0) << err;
    EXPECT_TRUE(out.ends_with("\n200")) << out;
    ASSERT_EQ(run_command(curl + "-X PUT -H 'Content-Type: application/json' --data '{\"t\":1}' " + base + "/Sensor/1", &out, &err), 0) << err;
    EXPECT_EQ(out, "\n204");
    ASSERT_EQ(run_command(curl + base + "/Sensor/1", &out, &err), 0) << err;
    EXPECT_NE(out.find("\"t\":1"), std::string::npos) << out;
    // Not trusted without the CA.
    EXPECT_NE(run_command("curl -s " + base + "/health", &out, &err), 0);
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(Security, SighupReloadsUsers) {
    Daemon d(auth_yaml());
    TestClient c(d.mqtt_port(), Version::v5);
    EXPECT_EQ(c.connect(login(Version::v5, "a", "carol", "bobpw")).reason_code, ReasonCode::bad_user_name_or_password);
    std::ofstream(d.dir() / "harperrt.yaml", std::ios::trunc)
        << "rootPath: " << (d.dir() / "data").string() << "\n"
        << auth_yaml() << "  - { name: carol, password: \"" << bob_hash << "\", roles: [reader] }\n";
    ASSERT_EQ(::kill(d.pid(), SIGHUP), 0);
    bool ok = false;
    for (int i = 0; i < 50 && !ok; ++i) {
        TestClient again(d.mqtt_port(), Version::v5);
        ok = again.connect(login(Version::v5, "a", "carol", "bobpw")).reason_code == ReasonCode::success;
        if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(ok) << d.log();
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST(Security, SighupSaysWhichChangesNeedARestart) {
    Daemon d(auth_yaml());
    std::ofstream(d.dir() / "harperrt.yaml", std::ios::trunc)
        << "rootPath: " << (d.dir() / "data").string() << "\n"
        << auth_yaml() << "  - { name: carol, password: \"" << bob_hash << "\", roles: [reader] }\n"
        << "logging: { format: json }\nstorage: { sync: normal }\n";
    ASSERT_TRUE(d.reload()) << d.log();
    const auto log = d.log();
    // (Not `threads`: the tests may run every daemon with --set threads=N, which wins over the file.)
    EXPECT_NE(log.find("SIGHUP: logging.format changed; it takes effect only after a restart"), std::string::npos) << log;
    EXPECT_NE(log.find("SIGHUP: storage changed; it takes effect only after a restart"), std::string::npos) << log;
    EXPECT_EQ(log.find("SIGHUP: mqtt.network changed"), std::string::npos) << log;
    // The users changed in the same file are applied.
    TestClient c(d.mqtt_port(), Version::v5);
    EXPECT_EQ(c.connect(login(Version::v5, "a", "carol", "bobpw")).reason_code, ReasonCode::success);
    EXPECT_EQ(d.stop(), 0) << d.log();
}

}  // namespace
}  // namespace harperrt::test
