// REST with HTTP Basic against the real daemon: the credential cache (daemon/auth/
// credential_cache.hpp) lets a client send the same user name and password with every
// request without a PBKDF2 run each time, while a wrong password is still refused and
// counted, and a SIGHUP that changes or removes a password makes it stop working at once.
// (No timing assertions: the speed-up is measured by hand, see the change's report.)
#include "tests/support/daemon.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace harperrt::test {
namespace {

// "alicepw" with the default iteration count of `harperrt config passwd` (210000), so that
// every request would cost a real KDF run without the cache; "bobpw" with 1000.
constexpr const char* alice_hash = "$pbkdf2-sha256$i=210000$qG7rxvHkwMCsVSbYqBzsgA$NKEy9KrfXiPf8Lx/wFRZtAuoYtVlkVYERIKRYTxVltg";
constexpr const char* bob_hash = "$pbkdf2-sha256$i=1000$0Bsz+Zduz6opL2+1YVE8KA$8AqB23dCeK0zchtZyhmzTPZIJuYHHsYDFL+YIzeuyxk";

std::string users_yaml(const std::string& users) {
    return R"(
mqtt: { requireAuthentication: true }
tables:
  Sensor: { primaryKey: id }
roles:
  rw: { tables: { Sensor: [read, insert, update, delete] } }
users:
)" + users;
}

std::string user_line(const std::string& name, const std::string& hash) {
    return "  - { name: " + name + ", password: \"" + hash + "\", roles: [rw] }\n";
}

class RestAuthCache : public ::testing::Test {
protected:
    RestAuthCache() : d_(users_yaml(user_line("alice", alice_hash) + user_line("bob", bob_hash))) {}
    void TearDown() override { EXPECT_EQ(d_.stop(), 0) << d_.log(); }

    std::string url(const std::string& path) const {
        return "'http://127.0.0.1:" + std::to_string(d_.ports().http.value_or(0)) + path + "'";
    }
    // The HTTP status of each response of one curl run (one keep-alive connection; `path`
    // may be a curl glob such as /Sensor/[1-200]), one per line.
    std::string statuses(const std::string& args, const std::string& path) {
        std::string out, err;
        // A generous limit: without the cache 200 requests take a KDF run each (~0.1 s).
        EXPECT_EQ(run_command("curl -s -o /dev/null -w '%{http_code}\\n' " + args + " " + url(path), &out, &err,
                              std::chrono::seconds(100)), 0) << err;
        return out;
    }
    // The Prometheus sample `name` from GET /metrics; -1 when absent.
    double metric(const std::string& name) {
        std::string out, err;
        if (run_command("curl -s " + url("/metrics"), &out, &err) != 0) return -1;
        const auto pos = out.find("\n" + name + " ");
        if (pos == std::string::npos) return -1;
        return std::stod(out.substr(pos + name.size() + 2));
    }
    double http_auth_failures() { return metric(R"(harperrt_auth_failures_total{protocol="http"})"); }

    Daemon d_;
};

std::string repeated(const std::string& line, int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += line + "\n";
    return s;
}

TEST_F(RestAuthCache, TwoHundredWritesAndReadsWithTheSameCredentialsAllSucceed) {
    const std::string json = "-H 'Content-Type: application/json' ";
    EXPECT_EQ(statuses("-u alice:alicepw -X PUT " + json + "--data '{\"n\":1}'", "/Sensor/[1-200]"), repeated("204", 200));
    EXPECT_EQ(statuses("-u alice:alicepw", "/Sensor/[1-200]"), repeated("200", 200));
    std::string out, err;
    ASSERT_EQ(run_command("curl -s -u alice:alicepw " + url("/Sensor/"), &out, &err), 0) << err;
    std::size_t records = 0;
    for (std::size_t i = 0; (i = out.find("\"n\":1", i)) != std::string::npos; ++i) ++records;
    EXPECT_EQ(records, 200u) << out;
    EXPECT_EQ(http_auth_failures(), 0);
}

TEST_F(RestAuthCache, AWrongPasswordIsRefusedAndCountedAfterTheRightOneWasCached) {
    EXPECT_EQ(statuses("-u alice:alicepw", "/Sensor/[1-3]"), repeated("404", 3)) << "authenticated: no such record";
    // The right password is cached now; these differ from it and are each verified.
    EXPECT_EQ(statuses("-u alice:wrong", "/Sensor/1"), "401\n");
    EXPECT_EQ(statuses("-u alice:alicepwx", "/Sensor/1"), "401\n");
    EXPECT_EQ(statuses("-u alice:", "/Sensor/1"), "401\n");
    EXPECT_EQ(statuses("-u bob:alicepw", "/Sensor/1"), "401\n") << "another user's cached password";
    EXPECT_EQ(statuses("-u nobody:alicepw", "/Sensor/1"), "401\n");
    EXPECT_EQ(http_auth_failures(), 5);
    // ...and the right one still works, in between wrong ones on the same connection.
    const std::string each = "-s -o /dev/null -w '%{http_code}\\n' " + url("/Sensor/1");
    std::string out, err;
    ASSERT_EQ(run_command("curl -u alice:alicepw " + each + " --next -u alice:wrong " + each +
                              " --next -u alice:alicepw " + each, &out, &err), 0) << err;
    EXPECT_EQ(out, "404\n401\n404\n");
    EXPECT_EQ(http_auth_failures(), 6);
}

TEST_F(RestAuthCache, SighupMakesAChangedOrRemovedPasswordStopWorkingAtOnce) {
    EXPECT_EQ(statuses("-u alice:alicepw", "/Sensor/[1-2]"), repeated("404", 2));
    EXPECT_EQ(statuses("-u bob:bobpw", "/Sensor/[1-2]"), repeated("404", 2));
    // alice's password becomes "bobpw"; bob is removed.
    std::ofstream(d_.dir() / "harperrt.yaml", std::ios::trunc)
        << "rootPath: " << (d_.dir() / "data").string() << "\n"
        << users_yaml(user_line("alice", bob_hash));
    ASSERT_TRUE(d_.reload()) << d_.log();
    // The first request after the reload already goes by the new users (within the 60 s
    // for which the old passwords were cached).
    EXPECT_EQ(statuses("-u alice:alicepw", "/Sensor/1"), "401\n");
    EXPECT_EQ(statuses("-u bob:bobpw", "/Sensor/1"), "401\n");
    EXPECT_EQ(http_auth_failures(), 2);
    EXPECT_EQ(statuses("-u alice:bobpw", "/Sensor/[1-2]"), repeated("404", 2));
}

// MQTT CONNECT goes through the same cache (CLI calls and devices sharing a login connect
// again and again): the right password keeps working, a wrong one is refused, and after a
// SIGHUP that changes the password the old one is refused at once.
TEST_F(RestAuthCache, MqttConnectsUseTheCacheAndForgetItOnSighup) {
    auto pub = [this](const std::string& user, const std::string& password) {
        std::string out, err;
        return run_command("mosquitto_pub -h 127.0.0.1 -p " + std::to_string(d_.mqtt_port()) + " -u " + user +
                               " -P " + password + " -q 1 -t Sensor/1 -m '{\"v\":1}'",
                           &out, &err, std::chrono::seconds(30));
    };
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(pub("alice", "alicepw"), 0) << i;
    }
    EXPECT_NE(pub("alice", "wrong"), 0);
    std::ofstream(d_.dir() / "harperrt.yaml", std::ios::trunc)
        << "rootPath: " << (d_.dir() / "data").string() << "\n"
        << users_yaml(user_line("alice", bob_hash));
    ASSERT_TRUE(d_.reload()) << d_.log();
    EXPECT_NE(pub("alice", "alicepw"), 0) << "the cached old password must not survive the reload";
    EXPECT_EQ(pub("alice", "bobpw"), 0);
}

}  // namespace
}  // namespace harperrt::test
