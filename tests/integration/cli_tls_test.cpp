// The CLI over TLS against the real daemon (DESIGN.md §7, §8): `put`, `get`, `sub` and `pub`
// over wss:// (the HTTPS port) and mqtts:// with a throwaway CA, server certificate
// verification including the host name, mutual TLS with --cert/--key, and exit 5 for every
// kind of failed handshake.
#include "tests/support/daemon.hpp"
#include "tests/support/pki.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

namespace harperrt::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* open_yaml =
    "tables:\n"
    "  Sensor: { primaryKey: id }\n"
    "roles:\n"
    "  all: { tables: { Sensor: [read, insert, update, delete] } }\n"
    "anonymousRoles: [all]\n";

class CliTls : public ::testing::Test {
protected:
    void SetUp() override {
        if (run_command("command -v openssl >/dev/null") != 0) GTEST_SKIP() << "no openssl";
        pki_ = std::make_unique<Pki>();
    }
    // "harperrt <cmd> -L <url> --cafile ca.pem <args>".
    std::string cli(const std::string& cmd, const std::string& url, const std::string& args) const {
        return shell_quote(harperrt_binary().string()) + " " + cmd + " -L " + shell_quote(url) + " --cafile " + shell_quote(pki_->path("ca.pem")) +
               " " + args;
    }
    std::string bin() const { return shell_quote(harperrt_binary().string()); }

    std::unique_ptr<Pki> pki_;
};

TEST_F(CliTls, PutGetSubPubOverSecureWebSocket) {
    Daemon d(std::string(open_yaml) + pki_->tls_yaml(), {"--set", "http.securePort=0"});
    ASSERT_TRUE(d.ports().https.has_value()) << d.log();
    const std::string port = std::to_string(*d.ports().https);
    const std::string url = "wss://127.0.0.1:" + port + "/mqtt";
    std::string out, err;

    ASSERT_EQ(run_command(cli("put", url, "Sensor/w '{\"v\":1}'"), &out, &err), 0) << err;
    EXPECT_EQ(out, "");
    ASSERT_EQ(run_command(cli("get", url, "Sensor/w"), &out, &err), 0) << err;
    EXPECT_EQ(json::parse(out)["v"], 1);
    // The certificate names localhost too (and the default path is /mqtt).
    ASSERT_EQ(run_command(cli("get", "wss://localhost:" + port, "-V 311 Sensor/w"), &out, &err), 0) << err;
    EXPECT_EQ(json::parse(out)["v"], 1);

    // A subscriber over wss sees the record, then messages published over wss at QoS 0, 1, 2.
    ChildProcess sub(cli("sub", url, "-t Sensor/w -t 'wss/#' -q 2 -C 4 -W 30 -o json"));
    auto first = sub.read_line();
    ASSERT_TRUE(first) << "subscriber printed nothing";
    EXPECT_EQ(json::parse(*first)["topic"], "Sensor/w");
    EXPECT_EQ(json::parse(*first)["retain"], true);
    for (int qos = 0; qos <= 2; ++qos) {
        ASSERT_EQ(run_command(cli("pub", url, "-t wss/" + std::to_string(qos) + " -q " + std::to_string(qos) + " -m hello"),
                              &out, &err),
                  0)
            << err;
    }
    std::map<std::string, json> got;
    for (int i = 0; i < 3; ++i) {
        auto line = sub.read_line();
        ASSERT_TRUE(line);
        const auto m = json::parse(*line);
        got[m["topic"]] = m;
    }
    for (int qos = 0; qos <= 2; ++qos) {
        const auto& m = got["wss/" + std::to_string(qos)];
        EXPECT_EQ(m["payload"], "hello");
        EXPECT_EQ(m["qos"], qos);
    }
    EXPECT_EQ(sub.wait(), 0);

    // Failures are "cannot connect" (5), with what failed on stderr.
    EXPECT_EQ(run_command(bin() + " get -L " + url + " Sensor/w", &out, &err), 5);  // the CA is not trusted
    EXPECT_NE(err.find("TLS handshake"), std::string::npos) << err;
    ASSERT_EQ(run_command(bin() + " get -L " + url + " --insecure Sensor/w", &out, &err), 0) << err;
    EXPECT_EQ(json::parse(out)["v"], 1);
    ASSERT_TRUE(d.ports().http.has_value());
    EXPECT_EQ(run_command(cli("get", "wss://127.0.0.1:" + std::to_string(*d.ports().http) + "/mqtt", "Sensor/w"), &out, &err), 5)
        << "TLS to the plain HTTP port";
    EXPECT_EQ(run_command(cli("get", "ws://127.0.0.1:" + port + "/mqtt", "Sensor/w"), &out, &err), 5)
        << "plain WebSocket to the HTTPS port";
    EXPECT_NE(err.find("WebSocket upgrade"), std::string::npos) << err;
    EXPECT_EQ(d.stop(), 0) << d.log();
}

TEST_F(CliTls, MqttsVerifiesTheHostName) {
    Daemon d(std::string(open_yaml) + pki_->tls_yaml(), {"--set", "mqtt.network.securePort=0"});
    ASSERT_TRUE(d.ports().mqtts.has_value()) << d.log();
    const std::string port = std::to_string(*d.ports().mqtts);
    std::string out, err;
    ASSERT_EQ(run_command(cli("put", "mqtts://127.0.0.1:" + port, "Sensor/t '{\"t\":1}'"), &out, &err), 0) << err;
    ASSERT_EQ(run_command(cli("get", "mqtts://localhost:" + port, "Sensor/t"), &out, &err), 0) << err;
    EXPECT_EQ(json::parse(out)["t"], 1);
    ASSERT_EQ(run_command(cli("pub", "mqtts://127.0.0.1:" + port, "-t tls/x -q 2 -m y"), &out, &err), 0) << err;
    ASSERT_EQ(run_command(cli("sub", "mqtts://127.0.0.1:" + port, "-t Sensor/t -C 1 -W 20 -F '%t %r'"), &out, &err), 0) << err;
    EXPECT_EQ(out, "Sensor/t 1\n");
    EXPECT_EQ(d.stop(), 0) << d.log();

    // A certificate from the trusted CA, but for another host: refused unless --insecure.
    Daemon other(std::string(open_yaml) + pki_->tls_yaml("elsewhere"), {"--set", "mqtt.network.securePort=0"});
    ASSERT_TRUE(other.ports().mqtts.has_value()) << other.log();
    const std::string url = "mqtts://127.0.0.1:" + std::to_string(*other.ports().mqtts);
    EXPECT_EQ(run_command(cli("put", url, "Sensor/t '{\"t\":2}'"), &out, &err), 5);
    EXPECT_NE(err.find("TLS handshake"), std::string::npos) << err;
    EXPECT_EQ(run_command(cli("put", url, "--insecure Sensor/t '{\"t\":2}'"), &out, &err), 0) << err;
    EXPECT_EQ(other.stop(), 0) << other.log();
}

TEST_F(CliTls, MutualTlsClientCertificateNamesTheUser) {
    std::string hash, err, out;
    ASSERT_EQ(run_command("printf 'pw\\n' | " + bin() + " config passwd alice", &hash, &err), 0) << err;
    ASSERT_FALSE(hash.empty());
    hash.pop_back();
    Daemon d("mqtt: { requireAuthentication: true }\n"
             "tables:\n"
             "  Sensor: { primaryKey: id }\n"
             "roles:\n"
             "  writer: { tables: { Sensor: [read, insert, update, delete] } }\n"
             "users:\n"
             "  - { name: alice, password: \"" + hash + "\", roles: [writer] }\n" + pki_->tls_yaml(),
             {"--set", "mqtt.network.securePort=0", "--set", "mqtt.network.mtls=true"});
    ASSERT_TRUE(d.ports().mqtts.has_value()) << d.log();
    const std::string url = "mqtts://127.0.0.1:" + std::to_string(*d.ports().mqtts);
    const std::string cert = " --cert " + shell_quote(pki_->path("client.pem")) + " --key " + shell_quote(pki_->path("client.key"));
    // The certificate's CN (alice) is the user: no user name or password needed.
    ASSERT_EQ(run_command(cli("put", url, cert + " Sensor/m '{\"m\":1}'"), &out, &err), 0) << err;
    ASSERT_EQ(run_command(cli("get", url, cert + " Sensor/m"), &out, &err), 0) << err;
    EXPECT_EQ(json::parse(out)["m"], 1);
    // Without a certificate the server refuses the handshake (with TLS 1.3 the client learns
    // it only from an alert after sending CONNECT): cannot connect.
    EXPECT_EQ(run_command(cli("get", url, "Sensor/m"), &out, &err), 5) << err;
    EXPECT_NE(err.find("certificate"), std::string::npos) << err;
    // A client key file that does not exist: cannot connect, and says which file.
    EXPECT_EQ(run_command(cli("get", url, "--cert " + shell_quote(pki_->path("client.pem")) + " --key /nonexistent/key.pem Sensor/m"),
                          &out, &err),
              5);
    EXPECT_NE(err.find("/nonexistent/key.pem"), std::string::npos) << err;
    EXPECT_EQ(d.stop(), 0) << d.log();
}

}  // namespace
}  // namespace harperrt::test
