// show(), get() and init_template(): what `harperrt config show | get | init` print.
#include "common/config/show.hpp"

#include "common/config/errc.hpp"

#include <gtest/gtest.h>

namespace harperrt::config {
namespace {

constexpr const char* hash = "$pbkdf2-sha256$i=600000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

LoadResult from_text(const std::string& text, std::map<std::string, std::string> env = {},
                     std::vector<std::string> flags = {}) {
    Sources s;
    s.file = "harperrt.yaml";
    s.file_text = text;
    s.environment = std::move(env);
    s.flags = std::move(flags);
    return load(s);
}

const std::string full = std::string(R"(rootPath: /srv/harperrt
mqtt:
  network:
    host: 0.0.0.0
    port: 1884
  limits: {maxInflight: 5}
tables:
  Sensor: {primaryKey: sensorId, keyType: int, indexes: [status, "a, b"]}
  Empty: {}
roles:
  writer:
    tables: {Sensor: [read, delete]}
    topics:
      - {filter: "plant/%u/#", publish: true, subscribe: true}
      - {filter: "#", subscribe: false}
  nobody: {}
users:
  - {name: alice, password: ")") + hash + R"(", roles: [writer], format: cbor}
  - {name: "true", roles: []}
anonymousRoles: [nobody]
)";

TEST(ConfigShow, CommentsEachValueWithItsOrigin) {
    const auto r = from_text(full, {{"HARPERRT_MQTT_NETWORK_PORT", "1885"}}, {"logging.level=debug"});
    ASSERT_TRUE(r);
    const auto text = show(*r.config, r.provenance);
    EXPECT_NE(text.find("rootPath: /srv/harperrt  # harperrt.yaml:1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("    port: 1885  # env HARPERRT_MQTT_NETWORK_PORT\n"), std::string::npos) << text;
    EXPECT_NE(text.find("  level: debug  # --set logging.level\n"), std::string::npos) << text;
    EXPECT_NE(text.find("  port: 9926  # default\n"), std::string::npos) << text;
    EXPECT_NE(text.find("    maxInflight: 5  # harperrt.yaml:6\n"), std::string::npos) << text;
    EXPECT_NE(text.find("  requireAuthentication: true  # default: forced, mqtt.network.host 0.0.0.0 is not "
                        "loopback\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("  Sensor:  # harperrt.yaml:8\n    primaryKey: sensorId  # harperrt.yaml:8\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("    indexes: [status, \"a, b\"]  # harperrt.yaml:8\n"), std::string::npos) << text;
    EXPECT_NE(text.find("  Empty:  # harperrt.yaml:9\n    primaryKey: id  # default\n"), std::string::npos) << text;
    EXPECT_NE(text.find("  nobody:  # harperrt.yaml:16\n    tables: {}  # default\n"), std::string::npos) << text;
    EXPECT_NE(text.find("  - name: alice  # harperrt.yaml:18\n"), std::string::npos) << text;
    EXPECT_NE(text.find("  - name: \"true\"  # harperrt.yaml:19\n"), std::string::npos) << text;
    EXPECT_NE(text.find("anonymousRoles: [nobody]  # harperrt.yaml:20\n"), std::string::npos) << text;
}

// What show() prints is a config file that loads to the same values.
TEST(ConfigShow, RoundTrips) {
    const auto r = from_text(full);
    ASSERT_TRUE(r);
    const auto text = show(*r.config, r.provenance);
    const auto again = from_text(text);
    ASSERT_TRUE(again) << text << (again.errors.empty() ? "" : again.errors[0].to_string());
    Config expected = *r.config;
    expected.mqtt.require_authentication = effective_require_authentication(expected);  // shown as effective
    EXPECT_EQ(*again.config, expected) << text;

    const auto defaults = from_text(show(Config{}, Provenance{}));
    ASSERT_TRUE(defaults);
    Config expected_defaults;
    expected_defaults.mqtt.require_authentication = false;
    EXPECT_EQ(*defaults.config, expected_defaults);
}

TEST(ConfigShow, QuotesStringsThatWouldReadAsSomethingElse) {
    Config c;
    c.root_path = "1234";
    c.tables["T"].primary_key = "null";
    c.tables["T"].indexes = {"true", "#x", "a: b", "a:b", "x\"y", "-", "1.5", "::1", " x"};
    c.roles["r"].topics.push_back({"+/%c", std::nullopt, true});
    const auto text = show(c, Provenance{});
    const auto r = from_text(text);
    ASSERT_TRUE(r) << text << (r.errors.empty() ? "" : r.errors[0].to_string());
    c.mqtt.require_authentication = false;
    EXPECT_EQ(*r.config, c) << text;
}

TEST(ConfigGet, ScalarsAndSubtrees) {
    const auto r = from_text(full);
    ASSERT_TRUE(r);
    const Config& c = *r.config;
    EXPECT_EQ(*get(c, "mqtt.network.port"), "1884");
    EXPECT_EQ(*get(c, "rootPath"), "/srv/harperrt");
    EXPECT_EQ(*get(c, "mqtt.network.securePort"), "null");
    EXPECT_EQ(*get(c, "mqtt.requireAuthentication"), "true");
    EXPECT_EQ(*get(c, "users.0.name"), "alice");
    EXPECT_EQ(*get(c, "users.1.name"), "true");
    EXPECT_EQ(*get(c, "tables.Sensor.keyType"), "int");
    EXPECT_EQ(*get(c, "mqtt.network"), "host: 0.0.0.0\nport: 1884\nsecurePort: null\nmtls: false\n");
    EXPECT_EQ(*get(c, "tables.Sensor"), "primaryKey: sensorId\nkeyType: int\nindexes: [status, \"a, b\"]\n");
    EXPECT_EQ(*get(c, "anonymousRoles"), "- nobody\n");
    EXPECT_EQ(*get(c, "roles.nobody"), "tables: {}\ntopics: []\n");
    EXPECT_EQ(*get(c, "roles.writer.topics"),
              "- filter: plant/%u/#\n  publish: true\n  subscribe: true\n- filter: \"#\"\n  subscribe: false\n");
    EXPECT_EQ(*get(Config{}, "tables"), "{}\n");
    for (const char* key : {"", "mqtt.network.prot", "nope", "tables.Dog", "users.2", "mqtt.network.port.x"}) {
        const auto v = get(c, key);
        ASSERT_FALSE(v) << key;
        EXPECT_EQ(v.error(), Errc::unknown_key) << key;
    }
}

TEST(ConfigInitTemplate, LoadsToDefaults) {
    const auto r = from_text(init_template());
    ASSERT_TRUE(r) << (r.errors.empty() ? "" : r.errors[0].to_string());
    EXPECT_EQ(*r.config, Config{});
    EXPECT_TRUE(r.warnings.empty());
}

TEST(ConfigInitTemplate, MentionsEveryKeyAndSection) {
    const auto text = init_template();
    for (const auto& key : scalar_keys()) {
        const auto leaf = key.substr(key.rfind('.') + 1);
        EXPECT_NE(text.find(leaf + ":"), std::string::npos) << key;
    }
    for (const char* section : {"http:", "mqtt:", "network:", "limits:", "tls:", "storage:", "logging:",
                                "tables:", "roles:", "users:", "anonymousRoles:", "primaryKey:", "keyType:",
                                "indexes:", "topics:", "password:", "format:"})
        EXPECT_NE(text.find(section), std::string::npos) << section;
}

// The commented-out examples are valid once uncommented.
TEST(ConfigInitTemplate, ExamplesLoadWhenUncommented) {
    std::string text = init_template();
    for (const char* empty : {"tables: {}\n", "roles: {}\n", "users: []\n", "anonymousRoles: []"}) {
        const auto at = text.find(empty);
        ASSERT_NE(at, std::string::npos) << empty;
        text.insert(at, "#");
    }
    for (const char* start : {"# tables:", "#   ", "#     ", "#       ", "# roles:", "# users:", "# anonymousRoles:"}) {
        for (auto at = text.find(std::string("\n") + start); at != std::string::npos;
             at = text.find(std::string("\n") + start, at + 1))
            text.erase(at + 1, 2);
    }
    const std::string placeholder = "\"$pbkdf2-sha256$i=...\"";
    const auto at = text.find(placeholder);
    ASSERT_NE(at, std::string::npos);
    text.replace(at, placeholder.size(), std::string("\"") + hash + "\"");
    const auto r = from_text(text);
    ASSERT_TRUE(r) << text << (r.errors.empty() ? "" : r.errors[0].to_string());
    EXPECT_EQ(r.config->tables.count("Sensor"), 1u);
    EXPECT_EQ(r.config->roles.size(), 2u);
    EXPECT_EQ(r.config->users.size(), 1u);
    EXPECT_EQ(r.config->anonymous_roles, std::vector<std::string>{"nobody"});
}

}  // namespace
}  // namespace harperrt::config
