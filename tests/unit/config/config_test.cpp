// Config defaults (DESIGN.md §7) and the small predicates beside the structs.
#include "common/config/config.hpp"

#include <gtest/gtest.h>

namespace harperrt::config {
namespace {

TEST(ConfigDefaults, MatchDesign) {
    const Config c;
    EXPECT_EQ(c.root_path, "./data");
    EXPECT_EQ(c.threads, 1u);
    EXPECT_EQ(c.http.port, 9926);
    EXPECT_EQ(c.http.secure_port, std::nullopt);
    EXPECT_EQ(c.http.host, "127.0.0.1");
    EXPECT_EQ(c.mqtt.network.host, "127.0.0.1");
    EXPECT_EQ(c.mqtt.network.port, 1883);
    EXPECT_EQ(c.mqtt.network.secure_port, std::nullopt);
    EXPECT_FALSE(c.mqtt.network.mtls);
    EXPECT_TRUE(c.mqtt.web_socket);
    EXPECT_EQ(c.mqtt.require_authentication, std::nullopt);
    EXPECT_FALSE(effective_require_authentication(c));
    EXPECT_FALSE(c.mqtt.strict_topics);
    EXPECT_EQ(c.mqtt.default_format, Format::json);
    EXPECT_EQ(c.mqtt.default_topic_access, TopicAccess::allow);
    EXPECT_EQ(c.mqtt.v3_reject_action, V3RejectAction::ack);
    EXPECT_EQ(c.mqtt.sys_interval, std::chrono::seconds(10));
    const auto& l = c.mqtt.limits;
    EXPECT_EQ(l.max_connections, 100000u);
    EXPECT_EQ(l.max_packet_size, 268435455u);
    EXPECT_EQ(l.max_keepalive, std::chrono::seconds(65535));
    EXPECT_EQ(l.max_queued_messages, 1000u);
    EXPECT_EQ(l.max_inflight, 20);
    EXPECT_EQ(l.connect_rate_per_ip, 100u);
    EXPECT_EQ(l.max_session_expiry, std::chrono::seconds(4294967295));
    EXPECT_EQ(l.v3_session_expiry, std::chrono::seconds(4294967295));
    EXPECT_EQ(l.max_output_buffer, 8u * 1024 * 1024);
    EXPECT_EQ(l.max_topic_alias, 1024);
    EXPECT_EQ(l.connect_timeout, std::chrono::seconds(10));
    EXPECT_EQ(l.server_receive_maximum, 1024);
    EXPECT_EQ(c.tls.certificate, std::nullopt);
    EXPECT_EQ(c.tls.private_key, std::nullopt);
    EXPECT_EQ(c.tls.certificate_authority, std::nullopt);
    EXPECT_EQ(c.storage.sync, SyncMode::full);
    EXPECT_EQ(c.logging.level, LogLevel::info);
    EXPECT_EQ(c.logging.format, LogFormat::text);
    EXPECT_TRUE(c.tables.empty());
    EXPECT_TRUE(c.roles.empty());
    EXPECT_TRUE(c.users.empty());
    EXPECT_TRUE(c.anonymous_roles.empty());
    const Table t;
    EXPECT_EQ(t.primary_key, "id");
    EXPECT_EQ(t.key_type, KeyType::string);
}

TEST(ConfigEnums, SpellLikeYaml) {
    EXPECT_EQ(to_string(Format::msgpack), "msgpack");
    EXPECT_EQ(to_string(SyncMode::normal), "normal");
    EXPECT_EQ(to_string(LogLevel::warn), "warn");
    EXPECT_EQ(to_string(LogFormat::json), "json");
    EXPECT_EQ(to_string(V3RejectAction::disconnect), "disconnect");
    EXPECT_EQ(to_string(TopicAccess::deny), "deny");
    EXPECT_EQ(to_string(KeyType::integer), "int");
}

TEST(ConfigLoopback, Hosts) {
    const struct {
        const char* host;
        bool loopback;
    } cases[] = {
        {"127.0.0.1", true},   {"127.1.2.3", true},     {"localhost", true},  {"::1", true},
        {"[::1]", true},       {"0:0:0:0:0:0:0:1", true}, {"::ffff:127.0.0.1", true},
        {"0.0.0.0", false},    {"::", false},           {"10.0.0.1", false},  {"128.0.0.1", false},
        {"example.com", false}, {"", false},            {"127.0.0", false},   {"::ffff:10.0.0.1", false},
    };
    for (const auto& c : cases) EXPECT_EQ(is_loopback_host(c.host), c.loopback) << c.host;
}

TEST(ConfigPasswordHash, Shapes) {
    const struct {
        const char* password;
        bool hash;
    } cases[] = {
        {"$pbkdf2-sha256$i=600000$c2FsdHNhbHQ$aGFzaGhhc2g", true},
        {"$pbkdf2-sha256$i=29000$N2bsfa9V6r1X6n0v$Vzx6WeEM8Hc+NvZ2Zg9P/Q==", true},
        {"$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", true},
        {"secret", false},
        {"", false},
        {"$pbkdf2-sha256$i=$salt$hash", false},          // no iteration count
        {"$pbkdf2-sha256$i=0100$salt$hash", false},      // leading zero
        {"$pbkdf2-sha256$rounds=1000$salt$hash", false}, // not i=
        {"$pbkdf2-sha256$i=1000$salt", false},           // no hash
        {"$pbkdf2-sha256$i=1000$$hash", false},          // empty salt
        {"$pbkdf2-sha256$i=1000$sa lt$hash", false},     // space is not base64
        {"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", false},  // not a scheme harperrt writes
        {"$scrypt$$salt$hash", false},
    };
    for (const auto& c : cases) EXPECT_EQ(is_password_hash(c.password), c.hash) << c.password;
}

TEST(ConfigAuthentication, NonLoopbackListenerForcesAuthentication) {
    Config c;
    EXPECT_FALSE(effective_require_authentication(c));
    c.mqtt.network.host = "0.0.0.0";
    EXPECT_TRUE(effective_require_authentication(c));
    ASSERT_TRUE(first_public_listener(c));
    EXPECT_EQ(first_public_listener(c)->key, "mqtt.network.host");
    c.mqtt.require_authentication = false;  // written explicitly: anonymous allowed
    EXPECT_FALSE(effective_require_authentication(c));

    Config http;
    http.http.host = "::";
    EXPECT_TRUE(effective_require_authentication(http));
    http.http.port.reset();  // a host without a listener does not count
    EXPECT_FALSE(effective_require_authentication(http));

    Config explicit_true;
    explicit_true.mqtt.require_authentication = true;
    EXPECT_TRUE(effective_require_authentication(explicit_true));
}

}  // namespace
}  // namespace harperrt::config
