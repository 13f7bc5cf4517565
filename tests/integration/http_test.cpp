// The HTTP listener against the real daemon (DESIGN.md §7): /health, /metrics (with the
// refusal counters), the REST view of records with content negotiation and Basic auth
// (curl), GET /Table/ streamed in chunks in every format, REST writes reaching MQTT
// subscribers, request and WebSocket message size limits (raw sockets), and MQTT over
// WebSocket with MQTT.js (npm package `mqtt`, see tests/integration/js/package.json).
#include "tests/support/daemon.hpp"
#include "tests/support/test_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace harperrt::test {
namespace {

using mqtt::QoS;
using mqtt::ReasonCode;
using mqtt::Version;
using Json = nlohmann::json;
using namespace std::chrono_literals;

// A blocking TCP connection to 127.0.0.1 for byte-exact HTTP and WebSocket tests.
class RawSocket {
public:
    explicit RawSocket(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("cannot connect to port " + std::to_string(port));
    }
    ~RawSocket() { ::close(fd_); }
    RawSocket(const RawSocket&) = delete;
    RawSocket& operator=(const RawSocket&) = delete;

    // False once the peer stops taking bytes (closed or reset).
    bool send(std::string_view data) {
        while (!data.empty()) {
            const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }
    // Reads until `done(buffer)` holds, the peer closes, or `timeout`; returns what came.
    template <class Done>
    std::string read_until(Done done, std::chrono::milliseconds timeout = 10s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done(buffer_)) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) != 1) break;
            char buf[16384];
            const auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                closed_ = true;
                break;
            }
            buffer_.append(buf, static_cast<std::size_t>(n));
        }
        return buffer_;
    }
    std::string read_head(std::chrono::milliseconds timeout = 10s) {
        auto all = read_until([](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; }, timeout);
        const auto end = all.find("\r\n\r\n");
        if (end == std::string::npos) return all;
        buffer_.erase(0, end + 4);
        return all.substr(0, end + 4);
    }
    bool wait_closed(std::chrono::milliseconds timeout = 10s) {
        read_until([this](const std::string&) { return closed_; }, timeout);
        return closed_;
    }
    std::string& buffer() { return buffer_; }

private:
    int fd_ = -1;
    std::string buffer_;
    bool closed_ = false;
};

// A WebSocket client over RawSocket (RFC 6455), subprotocol mqtt: frames are written by
// hand so that a test can send what no library would (oversized, unfinished).
class RawWebSocket {
public:
    struct Frame {
        int opcode = 0;
        std::string payload;
    };

    // `headers`: more request header lines, each ending in CRLF.
    explicit RawWebSocket(std::uint16_t port, const std::string& headers = {}) : s_(port) {
        s_.send("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Protocol: mqtt\r\n" + headers + "\r\n");
        head_ = s_.read_head();
    }
    bool upgraded() const { return head_.starts_with("HTTP/1.1 101"); }
    const std::string& head() const { return head_; }

    // The header of a client frame (masked, key 0x11223344) announcing `length` bytes.
    static std::string frame_header(int opcode, std::uint64_t length, bool fin = true) {
        std::string h;
        h.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
        if (length < 126) {
            h.push_back(static_cast<char>(0x80 | length));
        } else if (length <= 0xffff) {
            h.push_back(static_cast<char>(0x80 | 126));
            for (int shift = 8; shift >= 0; shift -= 8) h.push_back(static_cast<char>((length >> shift) & 0xff));
        } else {
            h.push_back(static_cast<char>(0x80 | 127));
            for (int shift = 56; shift >= 0; shift -= 8) h.push_back(static_cast<char>((length >> shift) & 0xff));
        }
        h += "\x11\x22\x33\x44";
        return h;
    }
    bool send_frame(int opcode, std::string_view payload, bool fin = true) {
        std::string f = frame_header(opcode, payload.size(), fin);
        constexpr unsigned char key[4] = {0x11, 0x22, 0x33, 0x44};
        for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
        return s_.send(f);
    }
    bool send_packet(const mqtt::Packet& p) {
        const auto bytes = mqtt::encode(p, Version::v5);
        return send_frame(2, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    }
    bool send_raw(std::string_view bytes) { return s_.send(bytes); }
    // The next server frame (unmasked), or nullopt on close or timeout.
    std::optional<Frame> read_frame(std::chrono::milliseconds timeout = 10s) {
        const auto complete = [](const std::string& b) -> std::size_t {  // frame length, 0 if incomplete
            if (b.size() < 2) return 0;
            std::size_t len = static_cast<unsigned char>(b[1]) & 0x7f;
            std::size_t at = 2;
            if (len >= 126) {
                const std::size_t n = len == 126 ? 2 : 8;
                if (b.size() < 2 + n) return 0;
                len = 0;
                for (std::size_t i = 0; i < n; ++i) len = (len << 8) | static_cast<unsigned char>(b[2 + i]);
                at += n;
            }
            return b.size() >= at + len ? at + len : 0;
        };
        s_.read_until([&](const std::string& b) { return complete(b) != 0; }, timeout);
        auto& b = s_.buffer();
        const auto total = complete(b);
        if (total == 0) return std::nullopt;
        Frame f;
        f.opcode = static_cast<unsigned char>(b[0]) & 0x0f;
        std::size_t len = static_cast<unsigned char>(b[1]) & 0x7f;
        const std::size_t at = len < 126 ? 2 : len == 126 ? 4 : 10;
        f.payload = b.substr(at, total - at);
        b.erase(0, total);
        return f;
    }
    // The close code of the server's close frame, skipping data frames; 0 when none came.
    int read_close_code(std::chrono::milliseconds timeout = 10s) {
        while (auto f = read_frame(timeout))
            if (f->opcode == 8)
                return f->payload.size() >= 2
                           ? (static_cast<unsigned char>(f->payload[0]) << 8) | static_cast<unsigned char>(f->payload[1])
                           : 1005;
        return 0;
    }
    bool wait_closed(std::chrono::milliseconds timeout = 10s) { return s_.wait_closed(timeout); }

private:
    RawSocket s_;
    std::string head_;
};

// The value of the Prometheus sample `name` (labels included) in `text`; -1 when absent.
double sample(const std::string& text, const std::string& name) {
    const auto pos = text.find("\n" + name + " ");
    if (pos == std::string::npos) return -1;
    return std::stod(text.substr(pos + name.size() + 2));
}

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

    // A record write, a snapshot of a record and of a query, and a message queued for an
    // offline persistent session show in the histogram, the snapshot counters and the queue gauge.
    const double commits_before = sample(metrics, "harperrt_store_commit_latency_seconds_count");
    c.publish("Sensor/1", R"({"t":1})", QoS::at_least_once, true, 1);
    c.subscribe("Sensor/1", QoS::at_least_once, 2);
    EXPECT_EQ(c.receive_publish().topic, "Sensor/1");
    c.subscribe("Sensor/?t=1", QoS::at_least_once, 3);
    EXPECT_EQ(c.receive_publish().topic, "Sensor/1");
    {
        TestClient away(daemon_.mqtt_port(), Version::v5);
        mqtt::Properties keep;
        keep.session_expiry_interval = 600;
        away.connect("away", false, keep);
        away.subscribe("plain/#", QoS::at_least_once);
        away.disconnect();
        ASSERT_TRUE(away.wait_closed());
    }
    c.publish("plain/x", "queued", QoS::at_least_once, false, 4);
    const auto after = curl(url("/metrics"));
    EXPECT_NE(after.find("# TYPE harperrt_store_commit_latency_seconds histogram\n"), std::string::npos) << after;
    const double count = sample(after, "harperrt_store_commit_latency_seconds_count");
    EXPECT_GT(count, commits_before) << after;
    EXPECT_EQ(sample(after, R"(harperrt_store_commit_latency_seconds_bucket{le="+Inf"})"), count) << after;
    EXPECT_GE(sample(after, "harperrt_snapshots_total"), 2) << after;
    EXPECT_EQ(sample(after, "harperrt_query_snapshots_total"), 1) << after;
    EXPECT_GE(sample(after, "harperrt_snapshot_messages_total"), 2) << after;
    EXPECT_EQ(sample(after, "harperrt_session_queued_messages"), 1) << after;
    EXPECT_GE(sample(after, "harperrt_subscriptions"), 3) << after;
}

// The sessions gauge counts sessions, not clients or connections (the broker keeps one entry
// per client id holding both): a persistent session of a disconnected client counts, a clean
// start replaces a session without adding one, a client taken over keeps the session of the
// one that took over, and a session that ends no longer counts.
TEST_F(Http, SessionGaugeCountsSessionsNotConnections) {
    // Connections and sessions go away after the client sees the close: waits for the gauges.
    const auto gauges_become = [&](double connections, double sessions) {
        std::string text;
        for (const auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;
             std::this_thread::sleep_for(20ms)) {
            text = curl(url("/metrics"));
            if (sample(text, "harperrt_connections") == connections && sample(text, "harperrt_sessions") == sessions)
                return true;
        }
        ADD_FAILURE() << "expected " << connections << " connection(s) and " << sessions << " session(s):\n" << text;
        return false;
    };
    mqtt::Properties keep;
    keep.session_expiry_interval = 600;
    TestClient clean(daemon_.mqtt_port(), Version::v5);
    clean.connect("clean");
    gauges_become(1, 1);
    {
        TestClient away(daemon_.mqtt_port(), Version::v5);
        away.connect("away", false, keep);
        away.subscribe("gauge/#", QoS::at_least_once);
        away.disconnect();
        ASSERT_TRUE(away.wait_closed());
    }
    gauges_become(1, 2);  // "away" has a session and no connection
    {
        TestClient again(daemon_.mqtt_port(), Version::v5);
        EXPECT_FALSE(again.connect("away", true, keep).session_present);  // a new session in its place
        gauges_become(2, 2);
        again.disconnect();
        ASSERT_TRUE(again.wait_closed());
    }
    gauges_become(1, 2);

    // Taken over: the first connection (expiry 0) closes, but not as the owner, so the
    // session of the second (expiry 600) stays and outlives the second's connection.
    TestClient first(daemon_.mqtt_port(), Version::v5);
    first.connect("twice");
    TestClient second(daemon_.mqtt_port(), Version::v5);
    second.connect("twice", false, keep);
    EXPECT_EQ(first.expect<mqtt::Disconnect>().reason_code, ReasonCode::session_taken_over);
    ASSERT_TRUE(first.wait_closed());
    gauges_become(2, 3);
    second.send(mqtt::Pingreq{});
    second.expect<mqtt::Pingresp>();
    second.disconnect();
    ASSERT_TRUE(second.wait_closed());
    gauges_become(1, 3);
    {
        TestClient third(daemon_.mqtt_port(), Version::v5);
        EXPECT_TRUE(third.connect("twice", false, keep).session_present);
        third.disconnect();
        ASSERT_TRUE(third.wait_closed());
    }

    // Ends: with its connection (expiry 0), or once its interval has passed.
    {
        TestClient brief(daemon_.mqtt_port(), Version::v5);
        mqtt::Properties one_second;
        one_second.session_expiry_interval = 1;
        brief.connect("brief", false, one_second);
        TestClient gone(daemon_.mqtt_port(), Version::v5);
        gone.connect("gone");
        gauges_become(3, 5);
        brief.disconnect();
        gone.disconnect();
        ASSERT_TRUE(brief.wait_closed());
        ASSERT_TRUE(gone.wait_closed());
    }
    gauges_become(1, 3);  // "clean", "away", "twice"
    TestClient brief(daemon_.mqtt_port(), Version::v5);
    EXPECT_FALSE(brief.connect("brief", false).session_present);
    gauges_become(2, 4);
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
  - { name: eve, password: "$pbkdf2-sha256$i=1000$0Bsz+Zduz6opL2+1YVE8KA$8AqB23dCeK0zchtZyhmzTPZIJuYHHsYDFL+YIzeuyxk", roles: [] }
)") {}
};

TEST_F(HttpAuth, BasicAuthIsRequiredAndRolesApply) {
    EXPECT_TRUE(curl(url("/Sensor/1")).ends_with("\n401"));
    EXPECT_TRUE(curl("-u bob:wrong " + url("/Sensor/1")).ends_with("\n401"));
    EXPECT_TRUE(curl("-H 'Authorization: Basic !!!' " + url("/Sensor/1")).ends_with("\n401"));
    EXPECT_TRUE(curl("-u bob:bobpw " + url("/Sensor/1")).ends_with("\n404"));
    EXPECT_TRUE(curl("-u bob:bobpw " + url("/Sensor/")).ends_with("\n200"));
    EXPECT_TRUE(curl("-u bob:bobpw -X PUT --data '{}' " + url("/Sensor/1")).ends_with("\n403"));
    EXPECT_TRUE(curl("-u bob:bobpw -X DELETE " + url("/Sensor/1")).ends_with("\n403"));
    EXPECT_TRUE(curl("-u eve:bobpw " + url("/Sensor/1")).ends_with("\n403"));
    EXPECT_TRUE(curl("-u eve:bobpw " + url("/Sensor/")).ends_with("\n403"));
    EXPECT_TRUE(curl(url("/health")).ends_with("\n200"));

    // Each refusal is counted (GET /metrics needs no credentials).
    const auto metrics = curl(url("/metrics"));
    EXPECT_EQ(sample(metrics, R"(harperrt_auth_failures_total{protocol="http"})"), 3) << metrics;
    EXPECT_EQ(sample(metrics, R"(harperrt_auth_failures_total{protocol="mqtt"})"), 0) << metrics;
    EXPECT_EQ(sample(metrics, R"(harperrt_acl_denied_total{action="rest_read"})"), 2) << metrics;
    EXPECT_EQ(sample(metrics, R"(harperrt_acl_denied_total{action="rest_write"})"), 1) << metrics;
    EXPECT_EQ(sample(metrics, R"(harperrt_acl_denied_total{action="rest_delete"})"), 1) << metrics;
    EXPECT_NE(metrics.find("# TYPE harperrt_acl_denied_total counter\n"), std::string::npos) << metrics;

    // A WebSocket upgrade with bad credentials is refused and counted too.
    RawWebSocket ws(daemon_.ports().http.value_or(0));
    EXPECT_TRUE(ws.upgraded()) << "no Authorization header: the CONNECT authenticates";
    std::string out, err;
    ASSERT_EQ(run_command("curl -s -o /dev/null -w '%{http_code}' -u bob:wrong -H 'Connection: Upgrade' -H 'Upgrade: websocket' "
                          "-H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "
                          "-H 'Sec-WebSocket-Protocol: mqtt' " + url("/mqtt"), &out, &err), 0) << err;
    EXPECT_EQ(out, "401");
    EXPECT_EQ(sample(curl(url("/metrics")), R"(harperrt_auth_failures_total{protocol="http"})"), 4);
}

TEST_F(HttpAuth, BasicAuthOnTheWebSocketUpgradeLogsInACredentialFreeConnect) {
    const auto connack_code = [](RawWebSocket& ws) {
        mqtt::Connect c;
        c.version = Version::v5;
        c.client_id = "ws-basic";
        c.keep_alive = 60;
        ws.send_packet(c);
        const auto f = ws.read_frame();
        if (!f || f->payload.size() < 4 || static_cast<unsigned char>(f->payload[0]) != 0x20) return -1;
        return static_cast<int>(static_cast<unsigned char>(f->payload[3]));  // v5 CONNACK reason code
    };
    {
        RawWebSocket anonymous(daemon_.ports().http.value_or(0));
        ASSERT_TRUE(anonymous.upgraded()) << anonymous.head();
        EXPECT_EQ(connack_code(anonymous), 0x87) << "authentication required";
    }
    RawWebSocket bob(daemon_.ports().http.value_or(0), "Authorization: Basic Ym9iOmJvYnB3\r\n");  // bob:bobpw
    ASSERT_TRUE(bob.upgraded()) << bob.head();
    EXPECT_EQ(connack_code(bob), 0x00);
    // bob's role applies: Sensor may be read (SUBACK 0x01), not written (PUBACK 0x87).
    mqtt::SubscribeOptions qos1;
    qos1.qos = QoS::at_least_once;
    bob.send_packet(mqtt::Subscribe{1, {{"Sensor/#", qos1}}, {}});
    auto f = bob.read_frame();
    ASSERT_TRUE(f && f->payload.size() >= 6 && static_cast<unsigned char>(f->payload[0]) == 0x90);
    EXPECT_EQ(static_cast<unsigned char>(f->payload.back()), 0x01);
    bob.send_packet(mqtt::Publish{"Sensor/1", R"({"t":1})", QoS::at_least_once, true, false, 2, {}});
    f = bob.read_frame();
    ASSERT_TRUE(f && f->payload.size() >= 5 && static_cast<unsigned char>(f->payload[0]) == 0x40);
    EXPECT_EQ(static_cast<unsigned char>(f->payload[4]), 0x87);
}

// maxPacketSize 1024: the WebSocket message limit and the REST body limit follow it.
class HttpLimits : public Http {
protected:
    HttpLimits() : Http(std::string(tables_yaml) + "mqtt:\n  limits: { maxPacketSize: 1024 }\n") {}
    std::uint16_t http_port() const { return daemon_.ports().http.value_or(0); }
};

TEST_F(HttpLimits, OversizedWebSocketMessagesAreClosedWith1009AndOthersCarryOn) {
    TestClient sub(daemon_.mqtt_port(), Version::v5);
    sub.connect("ws-limit-sub");
    sub.subscribe("ws/#", QoS::at_most_once);
    const auto connect = [](RawWebSocket& ws, const std::string& id) {
        mqtt::Connect c;
        c.version = Version::v5;
        c.client_id = id;
        c.keep_alive = 60;
        ws.send_packet(c);
        const auto f = ws.read_frame();
        return f && !f->payload.empty() && static_cast<unsigned char>(f->payload[0]) == 0x20;  // CONNACK
    };

    // One binary frame over the limit, whatever it holds.
    RawWebSocket big(http_port());
    ASSERT_TRUE(big.upgraded()) << big.head();
    ASSERT_TRUE(connect(big, "ws-big"));
    big.send_frame(2, std::string(2000, 'x'));
    EXPECT_EQ(big.read_close_code(), 1009) << "close code 1009: message too big";
    EXPECT_TRUE(big.wait_closed());

    // A frame header announcing 1 GiB is refused at once: its payload is never awaited.
    RawWebSocket huge(http_port());
    ASSERT_TRUE(connect(huge, "ws-huge"));
    huge.send_raw(RawWebSocket::frame_header(2, 1ull << 30));
    EXPECT_EQ(huge.read_close_code(), 1009);
    EXPECT_TRUE(huge.wait_closed());

    // A message of two frames, each under the limit, together over it. The first holds
    // the start of a PUBLISH that fits maxPacketSize, so MQTT waits for the rest.
    RawWebSocket fragmented(http_port());
    ASSERT_TRUE(connect(fragmented, "ws-fragmented"));
    std::string publish("\x30\xe8\x07"  // PUBLISH QoS 0, remaining length 1000
                        "\x00\x04ws/t"   // topic name
                        "\x00",           // property length 0
                        10);
    publish.resize(600, 'x');
    fragmented.send_frame(2, publish, false);
    fragmented.send_frame(0, std::string(600, 'x'), true);
    EXPECT_EQ(fragmented.read_close_code(), 1009);

    // Everyone else carries on: a WebSocket client under the limit and the TCP subscriber.
    RawWebSocket ok(http_port());
    ASSERT_TRUE(connect(ok, "ws-ok"));
    ok.send_packet(mqtt::Publish{"ws/t", std::string(900, 'p'), QoS::at_most_once, false, false, 0, {}});
    EXPECT_EQ(sub.receive_publish().payload, std::string(900, 'p'));
    EXPECT_TRUE(curl(url("/health")).ends_with("\n200"));
}

TEST_F(HttpLimits, OversizedRequestHeadersAndBodiesAreRefusedWithoutReadingThem) {
    {
        // A header over 8 KiB: 431, then the connection closes.
        RawSocket s(http_port());
        s.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
        EXPECT_TRUE(s.read_head().starts_with("HTTP/1.1 431")) << s.buffer();
        EXPECT_TRUE(s.wait_closed());
    }
    {
        // A Content-Length over the limit: 413 from the header alone, before any body byte.
        RawSocket s(http_port());
        s.send("PUT /Sensor/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 1000000000\r\n\r\n");
        EXPECT_TRUE(s.read_head().starts_with("HTTP/1.1 413")) << s.buffer();
        EXPECT_TRUE(s.wait_closed());
    }
    {
        // A chunked body that crosses the limit: 413 as soon as it does.
        RawSocket s(http_port());
        s.send("PUT /Sensor/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\n\r\n");
        const std::string chunk = "400\r\n" + std::string(1024, ' ') + "\r\n";
        for (int i = 0; i < 4 && s.send(chunk); ++i) {}
        EXPECT_TRUE(s.read_head().starts_with("HTTP/1.1 413")) << s.buffer();
    }
    {
        // With Expect: 100-continue, the client is told to go on only when the body fits.
        RawSocket s(http_port());
        s.send("PUT /Sensor/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 9\r\nExpect: 100-continue\r\n\r\n");
        EXPECT_TRUE(s.read_head().starts_with("HTTP/1.1 100")) << s.buffer();
        s.send(R"({"t":42})" "\n");
        EXPECT_TRUE(s.read_head().starts_with("HTTP/1.1 204")) << s.buffer();
    }
    // A body within the limit is fine, and the daemon is unharmed.
    EXPECT_EQ(curl("-X PUT -H 'Content-Type: application/json' --data '{\"t\":1}' " + url("/Sensor/2")), "\n204");
    EXPECT_NE(curl(url("/Sensor/1")).find("\"t\":42"), std::string::npos);
}

// GET /Table/ over thousands of records: chunked, and well-formed in every format.
class HttpStream : public Http {
protected:
    HttpStream() : Http(std::string(tables_yaml) + "  Empty: { primaryKey: id }\nstorage: { sync: off }\n") {}
};

TEST_F(HttpStream, CollectionIsStreamedInChunksInEveryFormat) {
    constexpr int records = 3000;
    {
        // Pipelined retained QoS 0 puts, then one QoS 1: its PUBACK comes after every
        // earlier write of this client is committed (the store applies them in order).
        TestClient pub(daemon_.mqtt_port(), Version::v5);
        pub.connect("stream-pub");
        for (int i = 1; i < records; ++i)
            pub.send(mqtt::Publish{"Sensor/" + std::to_string(i), R"({"n":)" + std::to_string(i) + R"(,"pad":"abcdefghij"})",
                                   QoS::at_most_once, true, false, 0, {}});
        pub.publish("Sensor/" + std::to_string(records), R"({"n":)" + std::to_string(records) + "}", QoS::at_least_once, true);
    }
    const auto dir = daemon_.dir();
    const auto fetch = [&](const std::string& accept, const std::string& extra = {}, const std::string& path = "/Sensor/") {
        std::string out, err;
        const auto body = (dir / "body").string();
        EXPECT_EQ(run_command("curl -s -D - -o " + body + " -H 'Accept: " + accept + "' " + extra + " " + url(path),
                              &out, &err), 0) << err;
        std::ifstream in(body, std::ios::binary);
        return std::pair{out, std::string(std::istreambuf_iterator<char>(in), {})};
    };
    const auto check = [&](const Json& array, const std::string& what) {
        ASSERT_TRUE(array.is_array()) << what;
        EXPECT_EQ(array.size(), static_cast<std::size_t>(records)) << what;
        std::set<int> seen;
        for (const auto& r : array) seen.insert(r.at("n").get<int>());
        EXPECT_EQ(seen.size(), static_cast<std::size_t>(records)) << what;
        EXPECT_EQ(*seen.begin(), 1) << what;
        EXPECT_EQ(*seen.rbegin(), records) << what;
    };

    auto [head, body] = fetch("application/json");
    EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
    EXPECT_NE(head.find("Content-Type: application/json"), std::string::npos) << head;
    check(Json::parse(body), "JSON");

    std::tie(head, body) = fetch("application/cbor");
    EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
    ASSERT_FALSE(body.empty());
    EXPECT_EQ(static_cast<unsigned char>(body.front()), 0x9f) << "an indefinite-length array";
    EXPECT_EQ(static_cast<unsigned char>(body.back()), 0xff) << "ended by a break";
    check(Json::from_cbor(body), "CBOR");

    std::tie(head, body) = fetch("application/msgpack;q=0.9, application/json;q=0.1");
    EXPECT_NE(head.find("Content-Type: application/x-msgpack"), std::string::npos) << head;
    ASSERT_GE(body.size(), 3u);
    EXPECT_EQ(static_cast<unsigned char>(body.front()), 0xdc) << "array 16 with the count up front";
    check(Json::from_msgpack(body), "MessagePack");

    // HTTP/1.0 has no chunks: the body runs to the end of the connection.
    std::tie(head, body) = fetch("application/json", "--http1.0");
    EXPECT_EQ(head.find("chunked"), std::string::npos) << head;
    check(Json::parse(body), "JSON over HTTP/1.0");

    // An empty table is an empty array in each format.
    EXPECT_EQ(fetch("application/json", {}, "/Empty/").second, "[]");
    EXPECT_EQ(fetch("application/cbor", {}, "/Empty/").second, "\x9f\xff");
    EXPECT_EQ(fetch("application/x-msgpack", {}, "/Empty/").second, "\x90");
}

// GET /Table/?query: the query syntax of subscriptions (DESIGN.md §5) over REST, its
// indexes, select and limit, in every format; a malformed query is a 400 naming the position.
class HttpQuery : public Http {
protected:
    HttpQuery() : Http("tables:\n  Sensor: { primaryKey: id, indexes: [status, temp] }\n") {}
    Json get_json(const std::string& path, const std::string& accept = "application/json") {
        std::string out, err;
        const auto body = (daemon_.dir() / "q.body").string();
        EXPECT_EQ(run_command("curl -s -o " + body + " -w '%{http_code}' -H 'Accept: " + accept + "' '" + url(path) + "'",
                              &out, &err), 0) << err;
        EXPECT_EQ(out, "200") << path;
        std::ifstream in(body, std::ios::binary);
        const std::string bytes(std::istreambuf_iterator<char>(in), {});
        if (accept == "application/cbor") return Json::from_cbor(bytes);
        if (accept == "application/x-msgpack") return Json::from_msgpack(bytes);
        return Json::parse(bytes);
    }
    static std::vector<std::string> ids(const Json& array) {
        std::vector<std::string> out;
        for (const auto& r : array) out.push_back(r.at("id").get<std::string>());
        return out;
    }
};

TEST_F(HttpQuery, QueriesSelectLimitAndFormats) {
    {
        // Pipelined retained QoS 0 puts, then one QoS 1 whose PUBACK follows all of them.
        TestClient pub(daemon_.mqtt_port(), Version::v5);
        pub.connect("query-pub");
        for (int i = 1; i <= 1200; ++i) {  // more than one streamed batch (500)
            const std::string payload = std::string(R"({"status":")") + (i % 3 == 0 ? "off" : "active") +
                                        R"(","temp":)" + std::to_string(i) + "}";
            if (i < 1200) pub.send(mqtt::Publish{"Sensor/s" + std::to_string(10000 + i), payload, QoS::at_most_once, true, false, 0, {}});
            else pub.publish("Sensor/s" + std::to_string(10000 + i), payload, QoS::at_least_once, true);
        }
    }
    const auto all = get_json("/Sensor/");
    const auto active = get_json("/Sensor/?status=active");
    EXPECT_EQ(all.size(), 1200u);
    EXPECT_EQ(active.size(), 800u);
    for (const auto& r : active) EXPECT_EQ(r.at("status"), "active");
    // A range on an index comes in the index's order; limit takes the lowest.
    EXPECT_EQ(ids(get_json("/Sensor/?temp=gt=5&limit(3)")), (std::vector<std::string>{"s10006", "s10007", "s10008"}));
    EXPECT_EQ(get_json("/Sensor/?temp=le=3&select(temp)"),
              Json::parse(R"([{"id":"s10001","temp":1},{"id":"s10002","temp":2},{"id":"s10003","temp":3}])"));
    EXPECT_EQ(get_json("/Sensor/?(temp=lt=4&status=off|temp=1)&select(temp)"),
              Json::parse(R"([{"id":"s10001","temp":1},{"id":"s10003","temp":3}])"));
    // Every format, the same records.
    const auto q = "/Sensor/?status=off&temp=gt=100";
    const auto as_json = get_json(q);
    EXPECT_FALSE(as_json.empty());
    EXPECT_EQ(get_json(q, "application/cbor"), as_json);
    EXPECT_EQ(get_json(q, "application/x-msgpack"), as_json);
    EXPECT_EQ(get_json("/Sensor/?status=nothing"), Json::array());
    EXPECT_EQ(get_json("/Sensor/?status=nothing", "application/x-msgpack"), Json::array());
    // A malformed query: 400, with the position in the query string.
    const auto bad = curl("'" + url("/Sensor/?temp=xx=1") + "'");
    EXPECT_TRUE(bad.ends_with("\n400")) << bad;
    EXPECT_NE(bad.find("query error at position 5: unknown operator '=xx='"), std::string::npos) << bad;
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
