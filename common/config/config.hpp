// Config: the effective settings of one harperrt daemon, as plain structs whose default
// member values are the defaults of DESIGN.md §7. A default-constructed Config is what
// `harperrt serve` runs with when there is no config file, and every Config that load()
// returns has passed validation (ranges, enums, references between sections).
//
// YAML key names are camelCase as in HarperDB's harperdb-config.yaml (`mqtt.network.port`);
// the C++ fields are their snake_case spelling (`mqtt.network.port`, `secure_port`). Each
// field's comment gives its YAML key where the spelling is not obvious.
#pragma once

#include "common/topic/record_key.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace harperrt::config {

// Structured payload formats (`mqtt.defaultFormat`, `users[].format`).
enum class Format : std::uint8_t { json, cbor, msgpack };

// `storage.sync`: SQLite's `PRAGMA synchronous` for the WAL (full survives power loss,
// normal survives a crash of the process, off survives nothing).
enum class SyncMode : std::uint8_t { full, normal, off };

// `logging.level`.
enum class LogLevel : std::uint8_t { trace, debug, info, warn, error };

// `logging.format`. Text on a terminal and JSON lines otherwise is the daemon's choice
// when the key is not set; see Provenance to tell "not set" from "text".
enum class LogFormat : std::uint8_t { text, json };

// `mqtt.v3RejectAction`: what the broker does after refusing a 3.1.1 PUBLISH, which has
// no reason code to carry the refusal. `ack`: acknowledge, log a warning, count it;
// `disconnect`: close the connection (DESIGN.md §3).
enum class V3RejectAction : std::uint8_t { ack, disconnect };

// `mqtt.defaultTopicAccess`: the decision for a plain topic that no role topic rule
// matches (DESIGN.md §7).
enum class TopicAccess : std::uint8_t { allow, deny };

// The YAML spelling of each enumerator ("json", "full", "warn", ...).
std::string_view to_string(Format f);
std::string_view to_string(SyncMode m);
std::string_view to_string(LogLevel l);
std::string_view to_string(LogFormat f);
std::string_view to_string(V3RejectAction a);
std::string_view to_string(TopicAccess a);
std::string_view to_string(KeyType k);  // "string" | "int"

// `http`: the HTTP port serves /health, /metrics, REST and (mqtt.webSocket) MQTT over WS.
struct HttpConfig {
    std::optional<std::uint16_t> port = 9926;  // null: no plain HTTP listener; 0: any free port
    std::optional<std::uint16_t> secure_port;  // `securePort`: HTTPS/WSS; null: none
    std::string host = "127.0.0.1";            // address both HTTP listeners bind

    friend bool operator==(const HttpConfig&, const HttpConfig&) = default;
};

// `mqtt.network`: the MQTT-over-TCP and MQTT-over-TLS listeners.
struct NetworkConfig {
    std::string host = "127.0.0.1";            // address both MQTT listeners bind
    std::optional<std::uint16_t> port = 1883;  // null: no plain MQTT listener; 0: any free port
    std::optional<std::uint16_t> secure_port;  // `securePort`: MQTT over TLS; null: none
    bool mtls = false;                         // ask for and verify a client certificate on
                                               // securePort; its CN becomes the user name

    friend bool operator==(const NetworkConfig&, const NetworkConfig&) = default;
};

// `mqtt.limits`: what protects the server from its clients (DESIGN.md §6).
struct Limits {
    std::uint32_t max_connections = 100000;    // open MQTT connections, all transports
    std::uint32_t max_packet_size = 268435455; // bytes, both directions (v5 Maximum Packet Size)
    std::chrono::seconds max_keepalive{65535}; // as mosquitto's max_keepalive: a v5 client
                                               // asking for more (or for 0) gets Server Keep
                                               // Alive = this; a 3.1.1 client asking for more
                                               // is refused. 0: no cap, keep-alive 0 allowed
    std::uint32_t max_queued_messages = 1000;  // per session, beyond in-flight; more are
                                               // dropped and counted
    std::uint16_t max_inflight = 20;           // outbound QoS 1/2 awaiting ack, per session
                                               // (also capped by the client's Receive Maximum)
    std::uint32_t connect_rate_per_ip = 100;   // `connectRatePerIp`: CONNECTs per second per
                                               // source address; 0: no limit
    // harperrt's own limits (not in HarperDB):
    std::chrono::seconds max_session_expiry{4294967295};  // caps a v5 client's Session Expiry
                                               // Interval; 4294967295: no cap
    std::chrono::seconds v3_session_expiry{4294967295};   // how long a 3.1.1 persistent
                                               // (clean session 0) session is kept after
                                               // disconnect; 4294967295: forever (mosquitto)
    std::uint64_t max_output_buffer = 8388608; // bytes queued for writing on one connection
                                               // before it is closed as a slow consumer
    std::uint16_t max_topic_alias = 1024;      // v5 Topic Alias Maximum the server accepts
                                               // from a client; 0: no inbound aliases
    std::chrono::seconds connect_timeout{10};  // from TCP accept (or TLS/WS handshake start)
                                               // to a complete CONNECT
    std::uint16_t server_receive_maximum = 1024;  // v5 Receive Maximum sent in CONNACK:
                                               // inbound QoS 1/2 PUBLISHes unacknowledged

    friend bool operator==(const Limits&, const Limits&) = default;
};

struct MqttConfig {
    NetworkConfig network;
    bool web_socket = true;  // `webSocket`: MQTT over WebSocket on the http port(s)
    // `requireAuthentication`. Unset (nullopt) means "not written anywhere": the daemon
    // then requires authentication exactly when a listener is off loopback. Use
    // effective_require_authentication(), never this field alone.
    std::optional<bool> require_authentication;
    bool strict_topics = false;   // `strictTopics`: refuse topics outside declared tables
    Format default_format = Format::json;  // `defaultFormat`: last-resort outbound format
    TopicAccess default_topic_access = TopicAccess::allow;  // `defaultTopicAccess`
    V3RejectAction v3_reject_action = V3RejectAction::ack;   // `v3RejectAction`
    std::chrono::seconds sys_interval{10};  // `sysInterval`: between $SYS updates; 0: no $SYS
    Limits limits;

    friend bool operator==(const MqttConfig&, const MqttConfig&) = default;
};

// `tls`: PEM files, shared by every secure listener. Relative paths are as written (the
// daemon resolves them against its working directory).
struct TlsConfig {
    std::optional<std::filesystem::path> certificate;             // chain, leaf first
    std::optional<std::filesystem::path> private_key;             // `privateKey`
    std::optional<std::filesystem::path> certificate_authority;   // `certificateAuthority`:
                                                                  // verifies client certs (mtls)
    friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

struct StorageConfig {
    SyncMode sync = SyncMode::full;

    friend bool operator==(const StorageConfig&, const StorageConfig&) = default;
};

struct LoggingConfig {
    LogLevel level = LogLevel::info;
    LogFormat format = LogFormat::text;

    friend bool operator==(const LoggingConfig&, const LoggingConfig&) = default;
};

// `tables.<Name>`: a table whose records are the topics `Name/ID` (DESIGN.md §1).
struct Table {
    std::string primary_key = "id";      // `primaryKey`: attribute that holds the ID
    KeyType key_type = KeyType::string;  // `keyType`: string | int
    std::vector<std::string> indexes;    // attributes indexed for queries

    friend bool operator==(const Table&, const Table&) = default;
};

// `roles.<R>.tables.<T>`: written as a list of read | insert | update | delete.
struct TablePermissions {
    bool read = false;
    bool insert = false;
    bool update = false;
    bool remove = false;  // YAML `delete`

    friend bool operator==(const TablePermissions&, const TablePermissions&) = default;
};

// `roles.<R>.topics[]`: one rule for plain (non-table) topics. `filter` may use `%u`
// (user name) and `%c` (client id). An absent publish / subscribe means the rule does not
// say anything about that action.
struct TopicRule {
    std::string filter;
    std::optional<bool> publish;
    std::optional<bool> subscribe;

    friend bool operator==(const TopicRule&, const TopicRule&) = default;
};

struct Role {
    std::map<std::string, TablePermissions> tables;  // keys are declared table names
    std::vector<TopicRule> topics;                   // in order: the first match decides

    friend bool operator==(const Role&, const Role&) = default;
};

struct User {
    std::string name;
    // A PHC-style hash from `harperrt config passwd` (see is_password_hash()); never plain
    // text. Absent: the user can only authenticate with a client certificate (mtls).
    std::optional<std::string> password;
    std::vector<std::string> roles;  // declared role names
    std::optional<Format> format;    // the connection's default format for this user

    friend bool operator==(const User&, const User&) = default;
};

struct Config {
    std::filesystem::path root_path = "./data";  // `rootPath`: database, keys, logs
    std::uint32_t threads = 1;                   // io_context worker threads (harperrt's own)
    HttpConfig http;
    MqttConfig mqtt;
    TlsConfig tls;
    StorageConfig storage;
    LoggingConfig logging;
    std::map<std::string, Table> tables;
    std::map<std::string, Role> roles;
    std::vector<User> users;                     // names are unique
    std::vector<std::string> anonymous_roles;    // `anonymousRoles`: declared role names

    friend bool operator==(const Config&, const Config&) = default;
};

// True if anonymous clients must be refused: the value of mqtt.requireAuthentication
// where it was written (file, environment or flag), otherwise true exactly when some
// listener binds a host that is not loopback (DESIGN.md §7). Writing
// `mqtt.requireAuthentication: false` is how a config explicitly allows anonymous access
// on a public listener.
bool effective_require_authentication(const Config& config);

// The first host of an enabled listener that is not loopback ("mqtt.network.host" or
// "http.host" as the key, plus the host), or nullopt if every listener is on loopback.
struct PublicListener {
    std::string key;
    std::string host;
};
std::optional<PublicListener> first_public_listener(const Config& config);

// True for "localhost", IPv4 127.0.0.0/8, "::1" (any spelling, brackets allowed) and
// IPv4-mapped 127.x addresses. Everything else, including "0.0.0.0", "::" and other host
// names, is not loopback.
bool is_loopback_host(std::string_view host);

// True if `password` has the shape of a hash that `harperrt config passwd` writes:
// `$pbkdf2-sha256$i=<iterations>$<salt b64>$<hash b64>` or
// `$scrypt$<params>$<salt b64>$<hash b64>` (PHC string format, base64 with or without
// padding, '.' allowed for '+' as passlib writes it). Checks the shape only.
bool is_password_hash(std::string_view password);

}  // namespace harperrt::config
