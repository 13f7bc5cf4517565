// The CLI (DESIGN.md §8) against the real daemon: `harperrt put/get/pub/sub/config` run as
// child processes, their stdout and exit codes compared. No sleeps: a subscriber is known to
// be subscribed once it printed a retained marker, and `get` ends on its PINGREQ barrier.
#include "tests/support/daemon.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace harperrt::test {
namespace {

using mqtt::QoS;
using mqtt::ReasonCode;
using nlohmann::json;

constexpr const char* tables_yaml =
    "tables:\n"
    "  Sensor: { primaryKey: id, indexes: [status, temp] }\n"
    "  Dog: { primaryKey: dogId, keyType: int }\n";
// Anonymous clients may do everything (as the daemon's tests run without users).
constexpr const char* anonymous_yaml =
    "roles:\n"
    "  all: { tables: { Sensor: [read, insert, update, delete], Dog: [read, insert, update, delete] } }\n"
    "anonymousRoles: [all]\n";

// A socket listening on 127.0.0.1 at a free port (fd -1 on failure), for fake servers.
std::pair<int, std::uint16_t> listen_loopback() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        if (fd >= 0) ::close(fd);
        return {-1, 0};
    }
    return {fd, ntohs(addr.sin_port)};
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

class Cli : public ::testing::Test {
protected:
    void TearDown() override {
        if (daemon_ && daemon_->pid() > 0) {
            EXPECT_EQ(daemon_->stop(), 0) << daemon_->log();
        }
    }
    void start(const std::string& yaml = std::string(tables_yaml) + anonymous_yaml) { daemon_ = std::make_unique<Daemon>(yaml); }

    // "harperrt <cmd> -p PORT <args>" as a shell command line.
    std::string cli(const std::string& cmd, const std::string& args) const {
        std::string line = shell_quote(harperrt_binary().string()) + " " + cmd;
        if (daemon_) line += " -p " + std::to_string(daemon_->mqtt_port());
        return line + " " + args;
    }
    int run(const std::string& cmd, const std::string& args, std::string* out = nullptr, std::string* err = nullptr) {
        std::string ignored_err;
        const int rc = run_command(cli(cmd, args), out, err != nullptr ? err : &ignored_err);
        return rc;
    }

    std::unique_ptr<Daemon> daemon_;
};

TEST_F(Cli, PutThenGetRoundTrips) {
    start();
    std::string out, err;
    ASSERT_EQ(run("put", "Sensor/1 '{\"temp\":21,\"status\":\"ok\"}'", &out, &err), 0) << err;
    EXPECT_EQ(out, "");
    ASSERT_EQ(run("get", "Sensor/1", &out, &err), 0) << err;
    const auto lines = lines_of(out);
    ASSERT_EQ(lines.size(), 1u) << out;
    const auto record = json::parse(lines[0]);
    EXPECT_EQ(record["temp"], 21);
    EXPECT_EQ(record["status"], "ok");
    EXPECT_EQ(record["id"], "1");

    // The value from stdin, then --delete.
    ASSERT_EQ(run_command("echo '{\"temp\":22}' | " + cli("put", "Sensor/1"), &out), 0);
    ASSERT_EQ(run("get", "Sensor/1", &out), 0);
    EXPECT_EQ(json::parse(out)["temp"], 22);
    ASSERT_EQ(run("put", "-n Sensor/1", &out, &err), 0) << err;
    EXPECT_EQ(run("get", "Sensor/1", &out, &err), 3) << err;
}

TEST_F(Cli, WebSocketUrlRoundTrips) {
    start();
    if (!daemon_->ports().http) GTEST_SKIP() << "no HTTP listener";
    const std::string url = "ws://127.0.0.1:" + std::to_string(*daemon_->ports().http);
    std::string out, err;
    ASSERT_EQ(run_command(shell_quote(harperrt_binary().string()) + " put -L " + url + "/mqtt Sensor/ws '{\"w\":1}'", &out, &err), 0)
        << err;
    ASSERT_EQ(run_command("HARPERRT_URL=" + url + " " + shell_quote(harperrt_binary().string()) + " get Sensor/ws", &out, &err), 0)
        << err;
    EXPECT_EQ(json::parse(out)["w"], 1);
}

TEST_F(Cli, TlsUrlVerifiesTheServer) {
    if (run_command("command -v openssl >/dev/null") != 0) GTEST_SKIP() << "no openssl";
    const auto dir = std::filesystem::temp_directory_path() / ("harperrt-cli-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
    ASSERT_EQ(run_command("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + shell_quote(key) + " -out " + shell_quote(cert) +
                          " -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null"),
              0);
    daemon_ = std::make_unique<Daemon>(std::string(tables_yaml) + anonymous_yaml,
                                       std::vector<std::string>{"--set", "mqtt.network.securePort=0", "--set",
                                                                "tls.certificate=" + cert, "--set", "tls.privateKey=" + key});
    ASSERT_TRUE(daemon_->ports().mqtts);
    const std::string url = "mqtts://127.0.0.1:" + std::to_string(*daemon_->ports().mqtts);
    const auto bin = shell_quote(harperrt_binary().string());
    std::string out, err;
    ASSERT_EQ(run_command(bin + " put -L " + url + " --cafile " + shell_quote(cert) + " Sensor/tls '{\"s\":1}'", &out, &err), 0) << err;
    EXPECT_EQ(run_command(bin + " get -L " + url + " Sensor/tls", &out, &err), 5);  // not a trusted certificate
    EXPECT_NE(err.find("TLS"), std::string::npos) << err;
    ASSERT_EQ(run_command(bin + " get -L " + url + " --insecure Sensor/tls", &out, &err), 0) << err;
    EXPECT_EQ(json::parse(out)["s"], 1);
    std::filesystem::remove_all(dir);
}

TEST_F(Cli, GetOfAMissingRecordExits3) {
    start();
    std::string out, err;
    EXPECT_EQ(run("get", "Sensor/nope", &out, &err), 3);
    EXPECT_EQ(out, "");
    EXPECT_NE(err.find("nothing"), std::string::npos) << err;
    EXPECT_EQ(run("get", "--array 'Sensor/#'", &out, &err), 3);
    EXPECT_EQ(out, "[]\n");
}

TEST_F(Cli, GetAndSubFollowQueries) {
    start();
    ASSERT_EQ(run("put", "Sensor/1 '{\"status\":\"active\",\"temp\":31}'"), 0);
    ASSERT_EQ(run("put", "Sensor/2 '{\"status\":\"off\",\"temp\":3}'"), 0);
    ASSERT_EQ(run("put", "Sensor/3 '{\"status\":\"active\",\"temp\":12}'"), 0);
    std::string out, err;
    ASSERT_EQ(run("get", "--array 'Sensor/?status=active&select(temp)'", &out, &err), 0) << err;
    EXPECT_EQ(json::parse(out), json::parse(R"([{"id":"1","temp":31},{"id":"3","temp":12}])"));
    ASSERT_EQ(run("get", "'Sensor/?temp=gt=10&limit(1)'", &out, &err), 0) << err;  // the lowest temp in range
    EXPECT_EQ(json::parse(out), json::parse(R"({"status":"active","temp":12,"id":"3"})"));
    EXPECT_EQ(run("get", "'Sensor/?status=broken'", &out, &err), 3);  // nothing matches
    // A malformed query: failure (1) with the SUBACK's reason on stderr.
    EXPECT_EQ(run("get", "'Sensor/?temp=xx=1'", &out, &err), 1);
    EXPECT_NE(err.find("0x8f"), std::string::npos) << err;
    EXPECT_NE(err.find("query error at position 13: unknown operator '=xx='"), std::string::npos) << err;
    ASSERT_EQ(run("sub", "-t 'Sensor/?status=off' --retained-only -v", &out, &err), 0) << err;
    EXPECT_EQ(out, "Sensor/2 {\"status\":\"off\",\"temp\":3,\"id\":\"2\"}\n");
}

TEST_F(Cli, GetOfAFilterPrintsEveryRecordAndExits) {
    start();
    constexpr int count = 10000;  // issue 6: `get` on 10k records ends exactly after the last one
    {
        TestClient c(daemon_->mqtt_port(), mqtt::Version::v5);
        ASSERT_EQ(c.connect("loader").reason_code, ReasonCode::success);
        for (int i = 1; i <= count; ++i)
            c.send(mqtt::Publish{"Sensor/" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}", QoS::at_least_once,
                                 true, false, static_cast<std::uint16_t>(i), {}});
        for (int i = 1; i <= count; ++i) ASSERT_EQ(c.expect<mqtt::Puback>(std::chrono::seconds(30)).reason_code, ReasonCode::success);
        c.disconnect();
    }
    std::string out, err;
    ASSERT_EQ(run("get", "'Sensor/#'", &out, &err), 0) << err;
    const auto lines = lines_of(out);
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(count));
    std::set<int> seen;
    for (const auto& line : lines) seen.insert(json::parse(line)["n"].get<int>());
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(count));

    ASSERT_EQ(run("get", "--array 'Sensor/+'", &out, &err), 0) << err;
    EXPECT_EQ(json::parse(out).size(), static_cast<std::size_t>(count));
    // sub --retained-only ends after the same snapshot.
    ASSERT_EQ(run("sub", "-t 'Sensor/#' --retained-only", &out, &err), 0) << err;
    EXPECT_EQ(lines_of(out).size(), static_cast<std::size_t>(count));
}

TEST_F(Cli, SubOutputJsonIsValidForJsonCborAndOpaquePayloads) {
    start();
    std::string err;
    ASSERT_EQ(run("pub", "-t plain/0 -r -q 1 -m ready", nullptr, &err), 0) << err;
    ChildProcess sub(cli("sub", "-t 'plain/#' -o json -C 5 -W 20"));
    auto first = sub.read_line();
    ASSERT_TRUE(first) << "subscriber printed nothing";
    auto marker = json::parse(*first);
    EXPECT_EQ(marker["topic"], "plain/0");
    EXPECT_EQ(marker["retain"], true);
    EXPECT_EQ(marker["payload"], "ready");

    const auto bin = daemon_->dir() / "bytes.bin";
    {
        std::ofstream f(bin, std::ios::binary);
        f << std::string("\x00\xff\x01", 3);
    }
    ASSERT_EQ(run("pub", "-t plain/json -q 1 -m '{\"a\":[1,2]}'", nullptr, &err), 0) << err;
    ASSERT_EQ(run("pub", "-t plain/cbor -q 2 --format cbor -m '{\"a\":[1,2]}'", nullptr, &err), 0) << err;
    ASSERT_EQ(run("pub", "-t plain/bin -f " + shell_quote(bin.string()), nullptr, &err), 0) << err;
    ASSERT_EQ(run("pub", "-t plain/msgpack -q 1 --format msgpack -m '{\"m\":{\"x\":true}}'", nullptr, &err), 0) << err;

    std::map<std::string, json> payloads;
    for (int i = 0; i < 4; ++i) {
        auto line = sub.read_line();
        ASSERT_TRUE(line);
        const auto msg = json::parse(*line);
        EXPECT_EQ(msg["retain"], false);
        payloads[msg["topic"]] = msg["payload"];
    }
    EXPECT_EQ(payloads["plain/json"], json::parse("{\"a\":[1,2]}"));
    EXPECT_EQ(payloads["plain/cbor"], json::parse("{\"a\":[1,2]}"));
    EXPECT_EQ(payloads["plain/bin"], json::parse("{\"$base64\":\"AP8B\"}"));
    EXPECT_EQ(payloads["plain/msgpack"], json::parse("{\"m\":{\"x\":true}}"));
    EXPECT_EQ(sub.wait(), 0);  // -C 5 reached
}

TEST_F(Cli, Mqtt311SubscriberGetsOneMessagePerPubLine) {
    start();
    std::string err;
    ASSERT_EQ(run("put", "-V 311 Sensor/m '{\"v\":1}'", nullptr, &err), 0) << err;
    ChildProcess sub(cli("sub", "-V 311 -t Sensor/m -t 'lines/#' -q 2 -v -C 3 -W 20"));
    auto first = sub.read_line();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->rfind("Sensor/m {", 0), 0u) << *first;
    ASSERT_EQ(run_command("printf 'one\\ntwo\\n' | " + cli("pub", "-t lines/x -q 2 -l"), nullptr, &err), 0) << err;
    EXPECT_EQ(sub.read_line(), std::optional<std::string>("lines/x one"));
    EXPECT_EQ(sub.read_line(), std::optional<std::string>("lines/x two"));
    EXPECT_EQ(sub.wait(), 0);
}

// pub -l reads stdin off the event loop: while stdin stays quiet for longer than the
// daemon's keep-alive limit (1.5 x -k 2 = 3 s), PINGREQs keep the connection, and the next
// line still goes out on it (QoS 1: the PUBACK proves the connection survived).
TEST_F(Cli, PubLinesKeepsTheConnectionAliveWhileStdinIsQuiet) {
    start();
    std::string err;
    ASSERT_EQ(run("pub", "-t ka/0 -r -q 1 -m ready", nullptr, &err), 0) << err;
    ChildProcess sub(cli("sub", "-t 'ka/#' -q 1 -v -C 4 -W 30"));
    ASSERT_EQ(sub.read_line(), std::optional<std::string>("ka/0 ready"));
    // The sleep is the protocol timing under test: 5 s of silence > the 3 s limit.
    ASSERT_EQ(run_command("{ echo one; sleep 5; printf 'two\\r\\n\\nthree'; } | " + cli("pub", "-t ka/x -q 1 -k 2 -l"), nullptr, &err), 0)
        << err << daemon_->log();
    EXPECT_EQ(sub.read_line(), std::optional<std::string>("ka/x one"));
    EXPECT_EQ(sub.read_line(), std::optional<std::string>("ka/x two"));    // \r\n is a line end
    EXPECT_EQ(sub.read_line(), std::optional<std::string>("ka/x three"));  // blank line skipped; last line unterminated
    EXPECT_EQ(sub.wait(), 0);
}

TEST_F(Cli, PubRepeatPublishesTheMessageNTimes) {
    start();
    std::string out, err;
    ASSERT_EQ(run("pub", "-t rep/0 -r -q 1 -m ready", nullptr, &err), 0) << err;
    ChildProcess sub(cli("sub", "-t 'rep/#' -q 1 -C 5 -W 30 -F '%t %p %q'"));
    ASSERT_EQ(sub.read_line(), std::optional<std::string>("rep/0 ready 1"));
    const auto start_time = std::chrono::steady_clock::now();
    ASSERT_EQ(run("pub", "-t rep/x -q 1 -m hi --repeat 4 --repeat-delay 0.2", &out, &err), 0) << err;
    EXPECT_GE(std::chrono::steady_clock::now() - start_time, std::chrono::milliseconds(600));  // 3 delays
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(sub.read_line(), std::optional<std::string>("rep/x hi 1")) << i;
    }
    EXPECT_EQ(sub.wait(), 0);
    const auto bin = shell_quote(harperrt_binary().string());
    EXPECT_EQ(run_command(bin + " pub -t a -m b --repeat 0", &out, &err), 2);
    EXPECT_EQ(run_command(bin + " pub -t a -m b --repeat-delay -1", &out, &err), 2);
    EXPECT_EQ(run_command("echo x | " + bin + " pub -t a -l --repeat 2", &out, &err), 2);
    EXPECT_NE(err.find("-l"), std::string::npos) << err;
}

TEST_F(Cli, SubFormatStringPrintsEveryField) {
    start();
    std::string out, err;
    ASSERT_EQ(run("pub", "-t fmt/0 -r -q 1 -m ready", nullptr, &err), 0) << err;
    ChildProcess sub(cli("sub", "-t 'fmt/#' -q 1 -C 2 -W 30 -F '%t|%p|%q|%r|%l|%C|%R|%D|%F|%P|%x|%%|%U|%I|%J'"));
    const auto marker = sub.read_line();
    ASSERT_TRUE(marker);
    EXPECT_EQ(marker->rfind("fmt/0|ready|1|1|5|", 0), 0u) << *marker;
    const auto before = std::chrono::system_clock::now();
    ASSERT_EQ(run("pub", "-t fmt/x -q 1 -m 'hello %' -D content-type text/plain -D response-topic re/to "
                         "-D correlation-data c1 -D payload-format-indicator 1 -D k v",
                  nullptr, &err),
              0)
        << err;
    const auto line = sub.read_line();
    const auto after = std::chrono::system_clock::now();
    ASSERT_TRUE(line);
    EXPECT_EQ(sub.wait(), 0);
    std::vector<std::string> f;
    std::stringstream fields(*line);
    for (std::string part; std::getline(fields, part, '|');) f.push_back(part);
    ASSERT_EQ(f.size(), 15u) << *line;
    EXPECT_EQ(f[0], "fmt/x");
    EXPECT_EQ(f[1], "hello %");
    EXPECT_EQ(f[2], "1");
    EXPECT_EQ(f[3], "0");
    EXPECT_EQ(f[4], "7");
    EXPECT_EQ(f[5], "text/plain");
    EXPECT_EQ(f[6], "re/to");
    EXPECT_EQ(f[7], "c1");
    EXPECT_EQ(f[8], "1");
    EXPECT_EQ(f[9], "k:v");
    EXPECT_EQ(f[10], "68656c6c6f2025");
    EXPECT_EQ(f[11], "%");
    const double unix_time = std::stod(f[12]);
    const auto secs = [](std::chrono::system_clock::time_point t) {
        return std::chrono::duration<double>(t.time_since_epoch()).count();
    };
    EXPECT_GE(unix_time, secs(before) - 1);
    EXPECT_LE(unix_time, secs(after) + 1);
    EXPECT_EQ(f[12].size() - f[12].find('.'), 10u) << f[12];  // nanoseconds
    EXPECT_EQ(f[13].size(), std::string("2026-11-25T14:38:39+0000").size()) << f[13];
    EXPECT_EQ(f[13][10], 'T') << f[13];
    const auto j = json::parse(f[14]);
    EXPECT_EQ(j["time"], f[13]);
    EXPECT_EQ(j["topic"], "fmt/x");
    EXPECT_EQ(j["retain"], false);
    EXPECT_EQ(j["qos"], 1);
    EXPECT_EQ(j["length"], 7);
    EXPECT_EQ(j["content_type"], "text/plain");
    EXPECT_EQ(j["payload"], "hello %");

    // -N: no newline after each message.
    ASSERT_EQ(run("sub", "-t fmt/0 -C 1 -W 20 -N -F '[%p]'", &out, &err), 0) << err;
    EXPECT_EQ(out, "[ready]");
    ASSERT_EQ(run("sub", "-t fmt/0 -C 1 -W 20 -N -v", &out, &err), 0) << err;
    EXPECT_EQ(out, "fmt/0 ready");
    // A directive that does not exist is a usage error that names it.
    EXPECT_EQ(run("sub", "-t fmt/x -C 1 -F '%t %Z'", &out, &err), 2);
    EXPECT_NE(err.find("%Z"), std::string::npos) << err;
    EXPECT_EQ(out, "");
}

TEST_F(Cli, BadUrlsAreUsageErrorsThatSayWhy) {
    std::string out, err;
    const auto bin = shell_quote(harperrt_binary().string());
    EXPECT_EQ(run_command(bin + " get -L http://127.0.0.1:9926 Sensor/1", &out, &err), 2);
    EXPECT_NE(err.find("unknown scheme 'http'"), std::string::npos) << err;
    EXPECT_EQ(run_command(bin + " get -L mqtt://::1:1883 Sensor/1", &out, &err), 2);
    EXPECT_NE(err.find("brackets"), std::string::npos) << err;
    EXPECT_EQ(run_command(bin + " pub -L mqtt://h:70000 -t a -m b", &out, &err), 2);
    EXPECT_NE(err.find("bad port '70000'"), std::string::npos) << err;
    EXPECT_EQ(run_command("HARPERRT_URL=localhost:1883 " + bin + " get Sensor/1", &out, &err), 2);
    EXPECT_NE(err.find("HARPERRT_URL"), std::string::npos) << err;
    // -L wins over a bad HARPERRT_URL: nothing listens on port 1, so "cannot connect".
    EXPECT_EQ(run_command("HARPERRT_URL=bogus " + bin + " get -L mqtt://127.0.0.1:1 Sensor/1", &out, &err), 5) << err;
}

TEST_F(Cli, UrlWithPercentEncodedCredentialsAndIpv6Literal) {
    std::string hash, err, out;
    ASSERT_EQ(run_command("printf 'p@ss:w/rd\\n' | " + shell_quote(harperrt_binary().string()) + " config passwd alice", &hash, &err), 0)
        << err;
    ASSERT_FALSE(hash.empty());
    hash.pop_back();
    start(std::string(tables_yaml) +
          "mqtt: { requireAuthentication: true }\n"
          "roles:\n"
          "  writer: { tables: { Sensor: [read, insert, update, delete] } }\n"
          "users:\n"
          "  - { name: alice, password: \"" + hash + "\", roles: [writer] }\n");
    const auto bin = shell_quote(harperrt_binary().string());
    const std::string port = std::to_string(daemon_->mqtt_port());
    ASSERT_EQ(run_command(bin + " put -L 'mqtt://alice:p%40ss%3Aw%2Frd@127.0.0.1:" + port + "' Sensor/u '{\"u\":1}'", &out, &err), 0)
        << err;
    EXPECT_EQ(run_command(bin + " get -L 'mqtt://alice:wrong@127.0.0.1:" + port + "' Sensor/u", &out, &err), 6) << err;
    // An IPv6 literal: the daemon listens on 127.0.0.1 only, so [::1] is refused (not a
    // usage error: the URL parsed).
    EXPECT_EQ(run_command(bin + " get -L 'mqtt://alice:x@[::1]:" + port + "' Sensor/u", &out, &err), 5) << err;
    EXPECT_NE(err.find("[::1]:" + port), std::string::npos) << err;
}

// pub -s and -n, sub -o raw, get -v and --accept, sub --accept.
TEST_F(Cli, PayloadSourcesAndOutputFormats) {
    start();
    std::string out, err;
    // -s: all of stdin, newlines included, as one message; -o raw prints the bytes as they are.
    ASSERT_EQ(run_command("printf 'line1\\nline2' | " + cli("pub", "-t opt/s -r -q 1 -s"), &out, &err), 0) << err;
    ASSERT_EQ(run("sub", "-t opt/s -C 1 -W 20 -o raw", &out, &err), 0) << err;
    EXPECT_EQ(out, "line1\nline2");
    ASSERT_EQ(run("get", "-v opt/s", &out, &err), 0) << err;
    const auto msg = json::parse(out);
    EXPECT_EQ(msg["topic"], "opt/s");
    EXPECT_EQ(msg["retain"], true);
    EXPECT_EQ(msg["payload"], "line1\nline2");
    // -n -r: an empty retained message deletes it.
    ASSERT_EQ(run("pub", "-t opt/s -r -q 1 -n", &out, &err), 0) << err;
    EXPECT_EQ(run("get", "opt/s", &out, &err), 3) << err;

    // --accept: the server sends the record as CBOR (content type set), and the CLI decodes it.
    ASSERT_EQ(run("put", "Sensor/a '{\"temp\":5}'", &out, &err), 0) << err;
    ASSERT_EQ(run("sub", "-t Sensor/a -C 1 -W 20 --accept cbor -F '%C %x'", &out, &err), 0) << err;
    EXPECT_EQ(out.rfind("application/cbor a", 0), 0u) << out;  // a CBOR map
    for (const char* format : {"json", "cbor", "msgpack"}) {
        ASSERT_EQ(run("get", std::string("--accept ") + format + " Sensor/a", &out, &err), 0) << err;
        EXPECT_EQ(json::parse(out)["temp"], 5) << format;
    }
    EXPECT_EQ(run("get", "--accept nonsense Sensor/a", &out, &err), 2);
}

// sub -c -i: the session outlives the connection, so a QoS 1 message published while the
// subscriber is away is delivered when it comes back.
TEST_F(Cli, PersistentSubscriberGetsWhatItMissed) {
    start();
    std::string out, err;
    ASSERT_EQ(run("pub", "-t away/0 -r -q 1 -m marker", nullptr, &err), 0) << err;
    ASSERT_EQ(run("sub", "-c -i cli-keeper -q 1 -t 'away/#' -C 1 -W 20 -v", &out, &err), 0) << err;
    EXPECT_EQ(out, "away/0 marker\n");
    ASSERT_EQ(run("pub", "-t away/x -q 1 -m missed", nullptr, &err), 0) << err;
    ASSERT_EQ(run("sub", "-c -i cli-keeper -q 1 -t 'away/#' -R -C 1 -W 20 -v", &out, &err), 0) << err;
    EXPECT_EQ(out, "away/x missed\n");
    EXPECT_EQ(run("sub", "-c -t 'away/#'", &out, &err), 2);  // -c needs -i
    EXPECT_NE(err.find("-i"), std::string::npos) << err;
}

// --timeout: a server that accepts the TCP connection but never answers CONNECT.
TEST_F(Cli, TimeoutWithoutConnackExits4) {
    const auto [fd, listening_port] = listen_loopback();  // the kernel completes handshakes; nobody reads
    ASSERT_GE(fd, 0);
    const std::string port = std::to_string(listening_port);
    const auto bin = shell_quote(harperrt_binary().string());
    std::string out, err;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(run_command(bin + " get -p " + port + " --timeout 0.5 Sensor/1", &out, &err), 4) << err;
    EXPECT_NE(err.find("timed out"), std::string::npos) << err;
    EXPECT_EQ(run_command(bin + " pub -p " + port + " --timeout 0.5 -t a -m b", &out, &err), 4) << err;
    EXPECT_EQ(run_command(bin + " sub -p " + port + " --timeout 0.5 -t a", &out, &err), 4) << err;
    EXPECT_EQ(run_command(bin + " put -p " + port + " --timeout 0.5 a/b c", &out, &err), 4) << err;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
    ::close(fd);
}

// Keep alive works both ways: a server that accepted the connection (CONNACK) and then
// answers nothing, not even PINGREQ, is detected after a keep alive period without a
// byte, and `sub` fails (exit 1) instead of waiting forever.
TEST_F(Cli, SubNoticesAServerThatStoppedAnswering) {
    const auto [fd, port] = listen_loopback();
    ASSERT_GE(fd, 0);
    std::thread server([fd = fd] {
        const int c = ::accept(fd, nullptr, nullptr);
        if (c < 0) return;
        char buf[512];
        if (::read(c, buf, sizeof buf) > 0) {
            const unsigned char connack[] = {0x20, 0x02, 0x00, 0x00};  // 3.1.1 CONNACK, accepted
            (void)!::write(c, connack, sizeof connack);
        }
        while (::read(c, buf, sizeof buf) > 0) {}  // swallow everything, answer nothing
        ::close(c);
    });
    const auto bin = shell_quote(harperrt_binary().string());
    std::string out, err;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(run_command(bin + " sub -V 311 -k 1 -p " + std::to_string(port) + " -t a", &out, &err), 1)
        << err;
    EXPECT_NE(err.find("no answer from the server"), std::string::npos) << err;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    server.join();
}

TEST_F(Cli, CountAndWaitBoundTheRun) {
    start();
    std::string out, err;
    // -W with nothing received: exit 4.
    EXPECT_EQ(run("sub", "-t nothing/here -W 0.3", &out, &err), 4);
    EXPECT_EQ(out, "");
    // -C 1 with a retained message: exits after it.
    ASSERT_EQ(run("put", "Sensor/7 '{\"temp\":1}'"), 0);
    ASSERT_EQ(run("sub", "-t Sensor/7 -C 1 -W 20 -v", &out, &err), 0) << err;
    EXPECT_EQ(out.rfind("Sensor/7 {", 0), 0u) << out;
    // -R skips it, so -W ends with a timeout.
    EXPECT_EQ(run("sub", "-t Sensor/7 -R -C 1 -W 0.3", &out, &err), 4);
    EXPECT_EQ(out, "");
}

TEST_F(Cli, CannotConnectExits5) {
    // Nothing listens on port 1 of loopback.
    std::string out, err;
    EXPECT_EQ(run_command(shell_quote(harperrt_binary().string()) + " get -p 1 Sensor/1", &out, &err), 5);
    EXPECT_NE(err.find("cannot connect"), std::string::npos) << err;
    EXPECT_EQ(run_command(shell_quote(harperrt_binary().string()) + " pub -L mqtt://no-such-host.invalid:1883 -t a -m b", &out, &err), 5);
    EXPECT_EQ(run_command(shell_quote(harperrt_binary().string()) + " put -L ws://127.0.0.1:1/mqtt a/b c", &out, &err), 5);
}

TEST_F(Cli, UsageErrorsExit2) {
    std::string out, err;
    const auto bin = shell_quote(harperrt_binary().string());
    EXPECT_EQ(run_command(bin + " pub -t a", &out, &err), 2);  // no message source
    EXPECT_EQ(run_command(bin + " sub", &out, &err), 2);       // no -t
    EXPECT_EQ(run_command(bin + " get -L bogus://x Sensor/1", &out, &err), 2);
    EXPECT_EQ(run_command(bin + " sub -t a -q 3", &out, &err), 2);
}

TEST_F(Cli, RefusedPutExits1WithTheReasonCode) {
    start();
    std::string out, err;
    // Dog's key type is int: "abc" is not a record id.
    EXPECT_EQ(run("put", "Dog/abc '{\"name\":\"rex\"}'", &out, &err), 1);
    EXPECT_NE(err.find("0x"), std::string::npos) << err;
}

TEST_F(Cli, NotAuthorizedExits6) {
    std::string hash, err;
    ASSERT_EQ(run_command("printf 'secret\\n' | " + shell_quote(harperrt_binary().string()) + " config passwd alice", &hash, &err), 0)
        << err;
    ASSERT_FALSE(hash.empty());
    hash.pop_back();  // newline
    start(std::string(tables_yaml) +
          "mqtt: { requireAuthentication: true }\n"
          "roles:\n"
          "  writer:\n"
          "    tables: { Sensor: [read, insert, update, delete] }\n"
          "    topics: [ { filter: \"secret/#\", subscribe: false } ]\n"
          "users:\n"
          "  - { name: alice, password: \"" + hash + "\", roles: [writer] }\n");
    std::string out;
    EXPECT_EQ(run("get", "-u alice -P wrong Sensor/1", &out, &err), 6) << err;
    EXPECT_EQ(run("get", "Sensor/1", &out, &err), 6) << err;  // anonymous
    EXPECT_EQ(run("put", "-u alice -P secret Sensor/1 '{\"temp\":3}'", &out, &err), 0) << err;
    EXPECT_EQ(run("get", "-u alice -P secret Sensor/1", &out, &err), 0) << err;
    EXPECT_EQ(run("sub", "-u alice -P secret -t secret/x -W 5", &out, &err), 6) << err;
    // Credentials from the environment and a password file.
    const auto pw = daemon_->dir() / "pw";
    {
        std::ofstream f(pw);
        f << "secret\n";
    }
    EXPECT_EQ(run_command("HARPERRT_USERNAME=alice " + cli("get", "--password-file " + shell_quote(pw.string()) + " Sensor/1"), &out,
                          &err),
              0)
        << err;
}

TEST_F(Cli, ConfigValidateReportsFileAndLine) {
    const auto dir = std::filesystem::temp_directory_path() / ("harperrt-cli-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto bad = dir / "bad.yaml";
    {
        std::ofstream f(bad);
        f << "rootPath: ./data\nmqtt:\n  netwrk: { port: 1 }\n";
    }
    std::string out, err;
    const auto bin = shell_quote(harperrt_binary().string());
    EXPECT_EQ(run_command(bin + " config validate " + shell_quote(bad.string()), &out, &err), 1);
    EXPECT_NE(err.find(bad.string() + ":3:"), std::string::npos) << err;

    // init writes a template that validates, and refuses to overwrite it.
    const auto good = dir / "harperrt.yaml";
    std::filesystem::remove(good);
    ASSERT_EQ(run_command(bin + " config init " + shell_quote(good.string()), &out, &err), 0) << err;
    EXPECT_EQ(run_command(bin + " config validate " + shell_quote(good.string()), &out, &err), 0) << err;
    EXPECT_EQ(run_command(bin + " config init " + shell_quote(good.string()), &out, &err), 1);

    // set edits in place (keeping comments), get reads it back, path names the file.
    const std::string with = bin + " config -c " + shell_quote(good.string());
    ASSERT_EQ(run_command(with + " set mqtt.network.port 1884", &out, &err), 0) << err;
    ASSERT_EQ(run_command(with + " get mqtt.network.port", &out, &err), 0) << err;
    EXPECT_EQ(out, "1884\n");
    ASSERT_EQ(run_command(with + " set mqtt.limits.maxInflight 7", &out, &err), 0) << err;
    ASSERT_EQ(run_command(with + " get mqtt.limits.maxInflight", &out, &err), 0) << err;
    EXPECT_EQ(out, "7\n");
    EXPECT_EQ(run_command(with + " set mqtt.network.port notanumber", &out, &err), 1);
    std::ifstream in(good);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("port: 1884"), std::string::npos);
    EXPECT_NE(text.find("# harperrt.yaml"), std::string::npos);  // comments kept
    ASSERT_EQ(run_command(with + " show", &out, &err), 0) << err;
    EXPECT_NE(out.find("1884"), std::string::npos);
    ASSERT_EQ(run_command(with + " path", &out, &err), 0) << err;
    EXPECT_NE(out.find("harperrt.yaml"), std::string::npos);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace harperrt::test

namespace harperrt::test {
namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// True when `word` occurs in `text` as a whole word (not inside --foo-bar or -tx).
bool has_word(const std::string& text, const std::string& word) {
    const auto part = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_'; };
    for (std::size_t i = 0; (i = text.find(word, i)) != std::string::npos; ++i) {
        const bool start = i == 0 || !part(text[i - 1]);
        const bool end = i + word.size() == text.size() || !part(text[i + word.size()]);
        if (start && end) return true;
    }
    return false;
}

// Every option of `harperrt __complete` is in each completion script and in its man page;
// the man pages pass `groff -man -ww -z`. Regenerate with completions/generate.py.
TEST(CliDocs, CompletionsAndManPagesListEveryOption) {
    // Not __FILE__: ccache's base_dir makes it relative to the build directory.
    const std::filesystem::path source = HARPERRT_SOURCE_DIR;
    std::string out, err;
    ASSERT_EQ(run_command(shell_quote(harperrt_binary().string()) + " __complete", &out, &err), 0) << err;
    const std::string bash = slurp(source / "completions/harperrt.bash");
    const std::string zsh = slurp(source / "completions/_harperrt");
    const std::string fish = slurp(source / "completions/harperrt.fish");
    ASSERT_FALSE(bash.empty());
    ASSERT_FALSE(zsh.empty());
    ASSERT_FALSE(fish.empty());
    int options = 0;
    for (const auto& line : lines_of(out)) {
        const auto t1 = line.find('\t'), t2 = line.find('\t', t1 + 1);
        ASSERT_NE(t2, std::string::npos) << line;
        const std::string path = line.substr(0, t1);
        std::string word = line.substr(t1 + 1, t2 - t1 - 1);
        if (word.empty() || word.front() != '-') continue;
        if (word.back() == '=') word.pop_back();
        ++options;
        EXPECT_TRUE(has_word(bash, word)) << "bash completion lacks " << path << " " << word;
        EXPECT_TRUE(has_word(zsh, word)) << "zsh completion lacks " << path << " " << word;
        const std::string fish_flag = word.rfind("--", 0) == 0 ? "-l " + word.substr(2) : "-s " + word.substr(1);
        EXPECT_NE(fish.find(fish_flag), std::string::npos) << "fish completion lacks " << path << " " << word;
        const std::string top = path.substr(0, path.find(' '));
        const auto page = source / "man" / (top == "harperrt" ? std::string("harperrt.1") : "harperrt-" + top + ".1");
        std::string man = slurp(page);
        for (std::size_t i = 0; (i = man.find("\\-", i)) != std::string::npos;) man.erase(i, 1);
        EXPECT_NE(man.find("\\fB" + word + "\\fR"), std::string::npos) << page << " lacks " << path << " " << word;
    }
    EXPECT_GT(options, 100);
    if (run_command("command -v groff >/dev/null") == 0) {
        for (const auto& entry : std::filesystem::directory_iterator(source / "man")) {
            std::string lint;
            EXPECT_EQ(run_command("groff -man -ww -z " + shell_quote(entry.path().string()) + " 2>&1", &lint), 0) << lint;
            EXPECT_EQ(lint, "") << entry.path();
        }
    }
}

}  // namespace
}  // namespace harperrt::test
