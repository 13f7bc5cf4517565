// load(): sources, precedence, provenance and every diagnostic with its exact text.
#include "common/config/load.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

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

std::vector<std::string> errors(const LoadResult& r) {
    std::vector<std::string> out;
    for (const auto& d : r.errors) out.push_back(d.to_string());
    return out;
}

std::vector<std::string> warnings(const LoadResult& r) {
    std::vector<std::string> out;
    for (const auto& d : r.warnings) out.push_back(d.to_string());
    return out;
}

// The single error a config produces.
std::string error_of(const std::string& text) {
    const auto r = from_text(text);
    EXPECT_FALSE(r.config);
    EXPECT_EQ(r.errors.size(), 1u) << ::testing::PrintToString(errors(r));
    return r.errors.empty() ? std::string() : r.errors.front().to_string();
}

TEST(ConfigLoad, NoSourcesGivesDefaults) {
    const auto r = load(Sources{});
    ASSERT_TRUE(r) << ::testing::PrintToString(errors(r));
    EXPECT_EQ(*r.config, Config{});
    EXPECT_TRUE(r.provenance.origins.empty());
    EXPECT_TRUE(r.warnings.empty());
}

TEST(ConfigLoad, EmptyOrCommentOnlyFileGivesDefaults) {
    for (const char* text : {"", "# nothing here\n", "---\n"}) {
        const auto r = from_text(text);
        ASSERT_TRUE(r) << text << ::testing::PrintToString(errors(r));
        EXPECT_EQ(*r.config, Config{});
    }
}

TEST(ConfigLoad, DesignExampleLoads) {
    // DESIGN.md §7, verbatim but for the hash.
    const std::string text = std::string(R"(rootPath: ./data                 # database, keys, logs live here
http: { port: 9926, securePort: null, host: 127.0.0.1 }
mqtt:
  network: { host: 127.0.0.1, port: 1883, securePort: null, mtls: false }
  webSocket: true                # MQTT over WS on the http port(s), subprotocol mqtt
  requireAuthentication: false   # forced true when a listener is not on loopback
  strictTopics: false
  defaultFormat: json
  limits: { maxConnections: 100000, maxPacketSize: 268435455, maxKeepalive: 65535,
            maxQueuedMessages: 1000, maxInflight: 20, connectRatePerIp: 100 }
tls: { certificate: null, privateKey: null, certificateAuthority: null }
storage: { sync: full }
logging: { level: info, format: text }
tables:
  Sensor: { primaryKey: id, keyType: string, indexes: [status, temp] }
roles:
  writer:
    tables: { Sensor: [read, insert, update, delete] }
    topics: [ { filter: "plant/%u/#", publish: true, subscribe: true } ]
  nobody:
    topics: [ { filter: "test/nosubscribe", subscribe: false } ]
users:
  - { name: alice, password: ")") + hash + R"(", roles: [writer], format: cbor }
anonymousRoles: [nobody]         # what an anonymous client may do, where allowed
)";
    const auto r = from_text(text);
    ASSERT_TRUE(r) << ::testing::PrintToString(errors(r));
    const Config& c = *r.config;

    Config expected;
    expected.mqtt.require_authentication = false;
    expected.tables["Sensor"] = Table{"id", KeyType::string, {"status", "temp"}};
    expected.roles["writer"].tables["Sensor"] = TablePermissions{true, true, true, true};
    expected.roles["writer"].topics.push_back(TopicRule{"plant/%u/#", true, true});
    expected.roles["nobody"].topics.push_back(TopicRule{"test/nosubscribe", std::nullopt, false});
    expected.users.push_back(User{"alice", hash, {"writer"}, Format::cbor});
    expected.anonymous_roles = {"nobody"};
    EXPECT_EQ(c, expected);

    EXPECT_EQ(r.provenance.of("mqtt.network.port").to_string(), "harperrt.yaml:4");
    EXPECT_EQ(r.provenance.of("mqtt.limits.connectRatePerIp").to_string(), "harperrt.yaml:10");
    EXPECT_EQ(r.provenance.of("tables.Sensor").to_string(), "harperrt.yaml:15");
    EXPECT_EQ(r.provenance.of("users.0.roles.0").to_string(), "harperrt.yaml:23");
    EXPECT_EQ(r.provenance.of("mqtt.limits.maxInflight").to_string(), "harperrt.yaml:10");
    EXPECT_EQ(r.provenance.of("mqtt.sysInterval").to_string(), "default");
}

TEST(ConfigLoad, ReadsFileFromDisk) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("harperrt-config-test-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    const auto path = dir / "harperrt.yaml";
    std::ofstream(path) << "mqtt:\n  network:\n    port: 0\n";
    Sources s;
    s.file = path;
    const auto r = load(s);
    ASSERT_TRUE(r) << ::testing::PrintToString(errors(r));
    EXPECT_EQ(r.config->mqtt.network.port, 0);
    EXPECT_EQ(r.provenance.of("mqtt.network.port").to_string(), path.string() + ":3");

    s.file = dir / "missing.yaml";
    const auto missing = load(s);
    EXPECT_EQ(errors(missing),
              std::vector<std::string>{(dir / "missing.yaml").string() + ": cannot read: No such file or directory"});
    s.file = dir;
    EXPECT_EQ(errors(load(s)), std::vector<std::string>{dir.string() + ": cannot read: is a directory"});
    std::filesystem::remove_all(dir);
}

// Precedence: defaults < file < environment < flags, for one key, with its origin.
TEST(ConfigLoad, Precedence) {
    const struct {
        bool file, env, flag;
        std::uint16_t port;
        const char* origin;
    } rows[] = {
        {false, false, false, 1883, "default"},
        {true, false, false, 1884, "harperrt.yaml:3"},
        {false, true, false, 1885, "env HARPERRT_MQTT_NETWORK_PORT"},
        {true, true, false, 1885, "env HARPERRT_MQTT_NETWORK_PORT"},
        {false, false, true, 1886, "--set mqtt.network.port"},
        {true, false, true, 1886, "--set mqtt.network.port"},
        {true, true, true, 1886, "--set mqtt.network.port"},
    };
    for (const auto& row : rows) {
        const std::string text = row.file ? "mqtt:\n  network:\n    port: 1884\n" : "";
        std::map<std::string, std::string> env;
        if (row.env) env["HARPERRT_MQTT_NETWORK_PORT"] = "1885";
        std::vector<std::string> flags;
        if (row.flag) flags.push_back("mqtt.network.port=1886");
        const auto r = from_text(text, env, flags);
        ASSERT_TRUE(r) << ::testing::PrintToString(errors(r));
        EXPECT_EQ(r.config->mqtt.network.port, row.port) << row.origin;
        EXPECT_EQ(r.provenance.of("mqtt.network.port").to_string(), row.origin);
    }
}

TEST(ConfigLoad, LaterFlagWins) {
    const auto r = from_text("", {}, {"mqtt.network.port=1", "mqtt.network.port=2"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r.config->mqtt.network.port, 2);
}

TEST(ConfigLoad, EnvironmentSetsScalarKeys) {
    const auto r = from_text("", {
                                     {"HARPERRT_MQTT_REQUIREAUTHENTICATION", "true"},
                                     {"HARPERRT_ROOTPATH", "/var/lib/harperrt"},
                                     {"HARPERRT_MQTT_NETWORK_SECUREPORT", "8883"},
                                     {"HARPERRT_TLS_CERTIFICATE", "cert.pem"},
                                     {"HARPERRT_TLS_PRIVATEKEY", "key.pem"},
                                     {"HARPERRT_MQTT_LIMITS_MAXINFLIGHT", "5"},
                                     {"HARPERRT_LOGGING_LEVEL", "debug"},
                                     {"HARPERRT_THREADS", "4"},
                                     // The CLI's own variables and strangers are ignored.
                                     {"HARPERRT_URL", "mqtt://localhost"},
                                     {"HARPERRT_USERNAME", "alice"},
                                     {"HARPERRT_PASSWORD", "secret"},
                                     {"HARPERRT_SOMETHING_ELSE", "x"},
                                     {"PATH", "/bin"},
                                 });
    ASSERT_TRUE(r) << ::testing::PrintToString(errors(r));
    const Config& c = *r.config;
    EXPECT_EQ(c.mqtt.require_authentication, true);
    EXPECT_EQ(c.root_path, "/var/lib/harperrt");
    EXPECT_EQ(c.mqtt.network.secure_port, 8883);
    EXPECT_EQ(c.tls.certificate, "cert.pem");
    EXPECT_EQ(c.mqtt.limits.max_inflight, 5);
    EXPECT_EQ(c.logging.level, LogLevel::debug);
    EXPECT_EQ(c.threads, 4u);
    EXPECT_EQ(r.provenance.of("rootPath").to_string(), "env HARPERRT_ROOTPATH");
    EXPECT_TRUE(r.warnings.empty()) << ::testing::PrintToString(warnings(r));
}

TEST(ConfigLoad, EnvironmentNearMissIsAWarning) {
    const auto r = from_text("", {{"HARPERRT_MQTT_NETWORK_PROT", "1884"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r.config->mqtt.network.port, 1883);
    EXPECT_EQ(warnings(r), std::vector<std::string>{"env HARPERRT_MQTT_NETWORK_PROT: ignored: not a config key; did "
                                                    "you mean HARPERRT_MQTT_NETWORK_PORT?"});
}

TEST(ConfigLoad, EnvironmentNullAndErrors) {
    const auto r = from_text("", {{"HARPERRT_HTTP_PORT", "null"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r.config->http.port, std::nullopt);

    const auto bad = from_text("", {{"HARPERRT_MQTT_NETWORK_PORT", "70000"}, {"HARPERRT_MQTT_WEBSOCKET", "yes"}});
    EXPECT_EQ(errors(bad), (std::vector<std::string>{
                               "env HARPERRT_MQTT_NETWORK_PORT: mqtt.network.port: 70000 is out of range (0-65535)",
                               "env HARPERRT_MQTT_WEBSOCKET: mqtt.webSocket: expected true or false, got 'yes'",
                           }));
}

TEST(ConfigLoad, FlagsSetScalarsAndCollections) {
    const auto r = from_text("mqtt:\n  network:\n    securePort: 8883\n",
                             {{"HARPERRT_MQTT_NETWORK_SECUREPORT", "8884"}},
                             {
                                 "mqtt.network.securePort=null",
                                 "mqtt.strictTopics=true",
                                 "tables.Dog={primaryKey: name, keyType: string, indexes: [breed]}",
                                 "tables.Cat={}",
                                 "tables.Cat.keyType=int",
                                 "roles.vet={tables: {Dog: [read]}, topics: [{filter: 'clinic/#', subscribe: true}]}",
                                 "users=[{name: bob, password: '" + std::string(hash) + "', roles: [vet]}]",
                                 "anonymousRoles=[vet]",
                                 "mqtt.limits={maxInflight: 7}",
                             });
    ASSERT_TRUE(r) << ::testing::PrintToString(errors(r));
    const Config& c = *r.config;
    EXPECT_EQ(c.mqtt.network.secure_port, std::nullopt);
    EXPECT_TRUE(c.mqtt.strict_topics);
    EXPECT_EQ(c.tables.at("Dog"), (Table{"name", KeyType::string, {"breed"}}));
    EXPECT_EQ(c.tables.at("Cat"), (Table{"id", KeyType::integer, {}}));
    EXPECT_TRUE(c.roles.at("vet").tables.at("Dog").read);
    EXPECT_FALSE(c.roles.at("vet").tables.at("Dog").update);
    ASSERT_EQ(c.roles.at("vet").topics.size(), 1u);
    EXPECT_EQ(c.roles.at("vet").topics[0], (TopicRule{"clinic/#", std::nullopt, true}));
    ASSERT_EQ(c.users.size(), 1u);
    EXPECT_EQ(c.users[0].name, "bob");
    EXPECT_EQ(c.anonymous_roles, std::vector<std::string>{"vet"});
    EXPECT_EQ(c.mqtt.limits.max_inflight, 7);
    EXPECT_EQ(c.mqtt.limits.max_connections, 100000u);  // a section merges
    EXPECT_EQ(r.provenance.of("mqtt.network.securePort").to_string(), "--set mqtt.network.securePort");
    EXPECT_EQ(r.provenance.of("tables.Dog").to_string(), "--set tables.Dog");
    EXPECT_EQ(r.provenance.of("tables.Cat.keyType").to_string(), "--set tables.Cat.keyType");
    EXPECT_EQ(r.provenance.of("mqtt.limits.maxInflight").to_string(), "--set mqtt.limits");
}

TEST(ConfigLoad, FlagReplacesATableFromTheFile) {
    const auto r = from_text("tables:\n  Dog: {primaryKey: name, indexes: [breed]}\n  Cat: {}\n", {},
                             {"tables.Dog={keyType: int}"});
    ASSERT_TRUE(r) << ::testing::PrintToString(errors(r));
    EXPECT_EQ(r.config->tables.at("Dog"), (Table{"id", KeyType::integer, {}}));
    EXPECT_EQ(r.config->tables.count("Cat"), 1u);
    EXPECT_FALSE(r.provenance.is_set("tables.Dog.indexes"));  // forgotten with the old entry
    EXPECT_EQ(r.provenance.of("tables.Cat").to_string(), "harperrt.yaml:3");
}

TEST(ConfigLoad, FlagErrors) {
    const auto r = from_text("", {},
                             {"mqtt.network.port", "=1", "mqtt.network.prot=1", "mqtt.network.port=[1]",
                              "tables.a/b={}", "users.0.name=x", "storage.sync={", "mqtt.webSocket=on"});
    EXPECT_EQ(errors(r), (std::vector<std::string>{
                             "--set mqtt.network.port: expected KEY=VALUE, e.g. --set mqtt.network.port=1884",
                             "--set =1: expected KEY=VALUE, e.g. --set mqtt.network.port=1884",
                             "--set mqtt.network.prot: unknown key 'mqtt.network.prot'; did you mean "
                             "'mqtt.network.port'?",
                             "--set mqtt.network.port: mqtt.network.port: expected a port number (0-65535) or null, "
                             "got a list",
                             "--set tables.a/b: invalid table name 'a/b': must not contain '/' (a table name is the "
                             "first topic level)",
                             "--set users.0.name: users: only the whole list can be set, e.g. --set "
                             "'users=[{name: alice, roles: [writer]}]'",
                             "--set storage.sync: YAML syntax error: end of map flow not found",
                             "--set mqtt.webSocket: mqtt.webSocket: expected true or false, got 'on'",
                         }));
}

// --- one diagnostic each, with its exact position and text -------------------------------

TEST(ConfigDiagnostics, UnknownKeyWithSuggestion) {
    EXPECT_EQ(error_of("mqtt:\n  network:\n    prot: 1884\n"),
              "harperrt.yaml:3:5: unknown key 'mqtt.network.prot'; did you mean 'mqtt.network.port'?");
    EXPECT_EQ(error_of("mqtt:\n  requireauthentication: true\n"),
              "harperrt.yaml:2:3: unknown key 'mqtt.requireauthentication'; did you mean "
              "'mqtt.requireAuthentication'?");
    EXPECT_EQ(error_of("tabels: {}\n"), "harperrt.yaml:1:1: unknown key 'tabels'; did you mean 'tables'?");
    EXPECT_EQ(error_of("users:\n  - {name: a, pasword: x}\n"),
              "harperrt.yaml:2:15: unknown key 'users.0.pasword'; did you mean 'users.0.password'?");
}

TEST(ConfigDiagnostics, UnknownKeyWithoutSuggestion) {
    EXPECT_EQ(error_of("rootPath: ./x\ncompletelyDifferent: 1\n"),
              "harperrt.yaml:2:1: unknown key 'completelyDifferent'");
    EXPECT_EQ(error_of("tables:\n  Dog: {primaryKey: id, colour: brown}\n"),
              "harperrt.yaml:2:25: unknown key 'tables.Dog.colour'");
}

TEST(ConfigDiagnostics, WrongTypes) {
    EXPECT_EQ(error_of("mqtt:\n  network:\n    port: abc\n"),
              "harperrt.yaml:3:11: mqtt.network.port: expected a port number (0-65535) or null, got 'abc'");
    EXPECT_EQ(error_of("mqtt:\n  network:\n    port: {a: 1}\n"),
              "harperrt.yaml:3:11: mqtt.network.port: expected a port number (0-65535) or null, got a map");
    EXPECT_EQ(error_of("mqtt:\n  webSocket: maybe\n"),
              "harperrt.yaml:2:14: mqtt.webSocket: expected true or false, got 'maybe'");
    EXPECT_EQ(error_of("mqtt: 5\n"), "harperrt.yaml:1:7: mqtt: expected a map, got '5'");
    EXPECT_EQ(error_of("http:\n  host:\n"), "harperrt.yaml:2:3: http.host: expected a string, got null");
    EXPECT_EQ(error_of("- a\n"), "harperrt.yaml:1:1: expected a map of config keys at the top level, got a list");
    EXPECT_EQ(error_of("mqtt:\n  limits:\n    maxPacketSize: 1e3\n"),
              "harperrt.yaml:3:20: mqtt.limits.maxPacketSize: expected bytes (1-268435455), got '1e3'");
    EXPECT_EQ(error_of("anonymousRoles: nobody\n"),
              "harperrt.yaml:1:17: anonymousRoles: expected a list, got 'nobody'");
}

TEST(ConfigDiagnostics, OutOfRange) {
    EXPECT_EQ(error_of("http:\n  port: 65536\n"), "harperrt.yaml:2:9: http.port: 65536 is out of range (0-65535)");
    EXPECT_EQ(error_of("http:\n  port: -1\n"), "harperrt.yaml:2:9: http.port: -1 is out of range (0-65535)");
    EXPECT_EQ(error_of("mqtt:\n  limits:\n    maxPacketSize: 268435456\n"),
              "harperrt.yaml:3:20: mqtt.limits.maxPacketSize: 268435456 is out of range (1-268435455)");
    EXPECT_EQ(error_of("mqtt:\n  limits:\n    maxInflight: 0\n"),
              "harperrt.yaml:3:18: mqtt.limits.maxInflight: 0 is out of range (1-65535)");
    EXPECT_EQ(error_of("mqtt:\n  limits:\n    maxConnections: 0\n"),
              "harperrt.yaml:3:21: mqtt.limits.maxConnections: 0 is out of range (1-4294967295)");
    EXPECT_EQ(error_of("threads: 0\n"), "harperrt.yaml:1:10: threads: 0 is out of range (1-1024)");
    EXPECT_EQ(error_of("mqtt:\n  limits:\n    maxSessionExpiry: 99999999999999999999999\n"),
              "harperrt.yaml:3:23: mqtt.limits.maxSessionExpiry: 99999999999999999999999 is out of range "
              "(0-4294967295)");
}

TEST(ConfigDiagnostics, ZeroWhereItMeansSomething) {
    const auto r = from_text(
        "http: {port: 0}\nmqtt:\n  network: {port: 0}\n  sysInterval: 0\n"
        "  limits: {connectRatePerIp: 0, maxTopicAlias: 0, maxKeepalive: 0, maxSessionExpiry: 0}\n");
    ASSERT_TRUE(r) << ::testing::PrintToString(errors(r));
    EXPECT_EQ(r.config->http.port, 0);
    EXPECT_EQ(r.config->mqtt.sys_interval, std::chrono::seconds(0));
    EXPECT_EQ(r.config->mqtt.limits.connect_rate_per_ip, 0u);
}

TEST(ConfigDiagnostics, BadEnumValues) {
    EXPECT_EQ(error_of("storage:\n  sync: fast\n"), "harperrt.yaml:2:9: storage.sync: 'fast' is not one of full, normal, off");
    EXPECT_EQ(error_of("logging: {level: verbose}\n"),
              "harperrt.yaml:1:18: logging.level: 'verbose' is not one of trace, debug, info, warn, error");
    EXPECT_EQ(error_of("mqtt: {defaultFormat: xml}\n"),
              "harperrt.yaml:1:23: mqtt.defaultFormat: 'xml' is not one of json, cbor, msgpack");
    EXPECT_EQ(error_of("tables: {Dog: {keyType: integer}}\n"),
              "harperrt.yaml:1:25: tables.Dog.keyType: 'integer' is not one of string, int");
    EXPECT_EQ(error_of("tables: {Dog: {}}\nroles: {r: {tables: {Dog: [read, write]}}}\n"),
              "harperrt.yaml:2:34: roles.r.tables.Dog: 'write' is not one of read, insert, update, delete");
    EXPECT_EQ(error_of("users: [{name: a, format: xml}]\n"),
              "harperrt.yaml:1:27: users.0.format: 'xml' is not one of json, cbor, msgpack");
}

TEST(ConfigDiagnostics, YamlSyntaxError) {
    EXPECT_EQ(error_of("mqtt:\n  network: {port: 1883\n"),
              "harperrt.yaml:3:1: YAML syntax error: end of map flow not found");
    EXPECT_EQ(error_of("mqtt:\n  network: 1\n    port: 2\n"), "harperrt.yaml:3:9: YAML syntax error: illegal map value");
}

TEST(ConfigDiagnostics, DuplicateKeys) {
    EXPECT_EQ(error_of("mqtt:\n  network:\n    port: 1\n    port: 2\n"),
              "harperrt.yaml:4:5: duplicate key 'mqtt.network.port' (first at line 3)");
    EXPECT_EQ(error_of("tables: {Dog: {}, Dog: {}}\n"), "harperrt.yaml:1:19: duplicate key 'tables.Dog' (first at line 1)");
    EXPECT_EQ(error_of("users: [{name: a}, {name: a}]\n"),
              "harperrt.yaml:1:20: users.1: duplicate user 'a' (first at line 1)");
}

TEST(ConfigDiagnostics, PlainTextPasswordIsRefusedWithoutEchoingIt) {
    const auto message = error_of("users:\n  - name: alice\n    password: hunter2\n");
    EXPECT_EQ(message,
              "harperrt.yaml:3:15: users.0.password: not a password hash; put the output of `harperrt config passwd "
              "alice` here (expected $pbkdf2-sha256$i=<iterations>$<salt>$<hash> or $scrypt$<params>$<salt>$<hash>)");
    EXPECT_EQ(message.find("hunter2"), std::string::npos);
}

TEST(ConfigDiagnostics, UserWithoutPasswordIsForClientCertificates) {
    const auto r = from_text("users: [{name: device-1}]\n");
    ASSERT_TRUE(r) << ::testing::PrintToString(errors(r));
    EXPECT_EQ(r.config->users.at(0).password, std::nullopt);
}

TEST(ConfigDiagnostics, RoleReferencesUnknownTable) {
    EXPECT_EQ(error_of("tables:\n  Sensor: {}\nroles:\n  writer:\n    tables:\n      Sensr: [read]\n"),
              "harperrt.yaml:6:7: role 'writer' references unknown table 'Sensr'; did you mean 'Sensor'?");
    EXPECT_EQ(error_of("roles: {writer: {tables: {Other: [read]}}}\n"),
              "harperrt.yaml:1:27: role 'writer' references unknown table 'Other'");
}

TEST(ConfigDiagnostics, UserReferencesUnknownRole) {
    EXPECT_EQ(error_of("roles: {writer: {}, reader: {}}\nusers:\n  - name: alice\n    roles: [reader, writr]\n"),
              "harperrt.yaml:4:21: user 'alice' references unknown role 'writr'; did you mean 'writer'?");
    // Two errors: one for each reference.
    const auto r = from_text("users:\n  - name: alice\n    roles: [a, b]\n");
    EXPECT_EQ(errors(r), (std::vector<std::string>{
                             "harperrt.yaml:3:13: user 'alice' references unknown role 'a'",
                             "harperrt.yaml:3:16: user 'alice' references unknown role 'b'",
                         }));
    EXPECT_EQ(error_of("anonymousRoles: [nobdy]\nroles: {nobody: {}}\n"),
              "harperrt.yaml:1:18: anonymousRoles references unknown role 'nobdy'; did you mean 'nobody'?");
}

TEST(ConfigDiagnostics, InvalidTableNames) {
    EXPECT_EQ(error_of("tables:\n  a/b: {}\n"),
              "harperrt.yaml:2:3: invalid table name 'a/b': must not contain '/' (a table name is the first topic "
              "level)");
    EXPECT_EQ(error_of("tables:\n  a+: {}\n"),
              "harperrt.yaml:2:3: invalid table name 'a+': must not contain '+' (a table name is the first topic "
              "level)");
    EXPECT_EQ(error_of("tables:\n  \"a#\": {}\n"),
              "harperrt.yaml:2:3: invalid table name 'a#': must not contain '#' (a table name is the first topic "
              "level)");
    EXPECT_EQ(error_of("tables:\n  $SYS: {}\n"),
              "harperrt.yaml:2:3: invalid table name '$SYS': must not start with '$' (a table name is the first "
              "topic level)");
}

TEST(ConfigDiagnostics, TopicRules) {
    EXPECT_EQ(error_of("roles: {r: {topics: [{filter: \"a/#/b\"}]}}\n"),
              "harperrt.yaml:1:31: roles.r.topics.0.filter: 'a/#/b' is not a valid topic filter: '#' must be a whole "
              "level and the last one");
    EXPECT_EQ(error_of("roles: {r: {topics: [{subscribe: true}]}}\n"),
              "harperrt.yaml:1:22: roles.r.topics.0: missing filter");
    EXPECT_EQ(error_of("roles: {r: {topics: [a/b]}}\n"),
              "harperrt.yaml:1:22: roles.r.topics.0: expected a map like {filter: \"a/#\", subscribe: true}, got 'a/b'");
}

TEST(ConfigDiagnostics, SecureListenersNeedTls) {
    EXPECT_EQ(error_of("mqtt:\n  network:\n    securePort: 8883\n"),
              "harperrt.yaml:3:5: mqtt.network.securePort needs tls.certificate and tls.privateKey");
    EXPECT_EQ(error_of("http: {securePort: 9927}\ntls: {certificate: c.pem}\n"),
              "harperrt.yaml:1:8: http.securePort needs tls.privateKey");
    EXPECT_EQ(error_of("mqtt:\n  network:\n    mtls: true\n    securePort: 8883\ntls: {certificate: c, privateKey: k}\n"),
              "harperrt.yaml:3:5: mqtt.network.mtls needs tls.certificateAuthority (client certificates are verified "
              "against it)");
    EXPECT_EQ(error_of("http: {port: 1883}\n"), "harperrt.yaml:1:8: mqtt.network.port and http.port are both 1883 on 127.0.0.1");
}

TEST(ConfigDiagnostics, ReportsEveryProblemAtOnce) {
    const auto r = from_text(
        "mqtt:\n"
        "  network:\n"
        "    port: 99999\n"
        "  webSokcet: true\n"
        "storage: {sync: sometimes}\n"
        "users: [{name: bob, password: pw, roles: [ghost]}]\n");
    EXPECT_EQ(errors(r), (std::vector<std::string>{
                             "harperrt.yaml:3:11: mqtt.network.port: 99999 is out of range (0-65535)",
                             "harperrt.yaml:4:3: unknown key 'mqtt.webSokcet'; did you mean 'mqtt.webSocket'?",
                             "harperrt.yaml:5:17: storage.sync: 'sometimes' is not one of full, normal, off",
                             "harperrt.yaml:6:31: users.0.password: not a password hash; put the output of "
                             "`harperrt config passwd bob` here (expected $pbkdf2-sha256$i=<iterations>$<salt>$<hash> "
                             "or $scrypt$<params>$<salt>$<hash>)",
                         }));
}

// --- requireAuthentication and public listeners -------------------------------------------

TEST(ConfigAuthentication, PublicListenerForcesAuthenticationByDefault) {
    const auto r = from_text("mqtt:\n  network: {host: 0.0.0.0}\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r.config->mqtt.require_authentication, std::nullopt);
    EXPECT_TRUE(effective_require_authentication(*r.config));
    EXPECT_TRUE(r.warnings.empty());
}

TEST(ConfigAuthentication, ExplicitFalseAllowsAnonymousWithAWarning) {
    const auto r = from_text("mqtt:\n  network: {host: 0.0.0.0}\n  requireAuthentication: false\n");
    ASSERT_TRUE(r);
    EXPECT_FALSE(effective_require_authentication(*r.config));
    EXPECT_EQ(warnings(r), std::vector<std::string>{
                               "harperrt.yaml:3:3: mqtt.requireAuthentication is false and mqtt.network.host 0.0.0.0 "
                               "is not loopback: anonymous clients can connect from the network"});

    const auto env = from_text("http: {host: \"::\"}\n", {{"HARPERRT_MQTT_REQUIREAUTHENTICATION", "false"}});
    ASSERT_TRUE(env);
    EXPECT_FALSE(effective_require_authentication(*env.config));
    EXPECT_EQ(warnings(env), std::vector<std::string>{
                                 "env HARPERRT_MQTT_REQUIREAUTHENTICATION: mqtt.requireAuthentication is false and "
                                 "http.host :: is not loopback: anonymous clients can connect from the network"});

    // null returns the decision to the listeners.
    const auto back = from_text("mqtt:\n  network: {host: 0.0.0.0}\n  requireAuthentication: false\n", {},
                                {"mqtt.requireAuthentication=null"});
    ASSERT_TRUE(back);
    EXPECT_TRUE(effective_require_authentication(*back.config));
}

TEST(ConfigLoad, ScalarKeysAndVariables) {
    const auto& keys = scalar_keys();
    EXPECT_EQ(keys.front(), "rootPath");
    EXPECT_NE(std::find(keys.begin(), keys.end(), "mqtt.limits.serverReceiveMaximum"), keys.end());
    EXPECT_EQ(environment_variable("mqtt.network.port"), "HARPERRT_MQTT_NETWORK_PORT");
    EXPECT_EQ(environment_variable("mqtt.requireAuthentication"), "HARPERRT_MQTT_REQUIREAUTHENTICATION");
    EXPECT_EQ(environment_variable("rootPath"), "HARPERRT_ROOTPATH");
}

TEST(ConfigLoad, DiagnosticFormat) {
    EXPECT_EQ((Diagnostic{"f.yaml", 3, 7, "m"}).to_string(), "f.yaml:3:7: m");
    EXPECT_EQ((Diagnostic{"env X", 0, 0, "m"}).to_string(), "env X: m");
}

}  // namespace
}  // namespace harperrt::config
