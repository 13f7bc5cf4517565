// show() and get() build one tree of the effective config (keys, YAML text, dotted paths)
// and print it, so both agree on names and quoting; init_template() is hand-written text
// that a test loads to make sure it still equals the defaults.
#include "common/config/show.hpp"

#include "common/config/errc.hpp"
#include "common/config/schema.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace harperrt::config {
namespace {

struct Node {
    enum class Kind : std::uint8_t { scalar, map, list };
    Kind kind = Kind::map;
    std::string key;                 // map key, or the index of a list item
    std::string path;                // dotted: "mqtt.network.port", "users.0.name"
    std::optional<std::string> raw;  // scalar: text as get() prints it; nullopt for null
    std::string yaml;                // scalar: as YAML
    std::vector<Node> children;
    bool section = false;            // a fixed section ("mqtt"): no origin comment
    bool flow = false;               // a list of scalars, printed [a, b]
    std::optional<std::string> comment;  // replaces the origin comment

    Node* child(std::string_view k) {
        for (auto& c : children)
            if (c.key == k) return &c;
        return nullptr;
    }
};

std::string join(std::string_view a, std::string_view b) {
    return a.empty() ? std::string(b) : fmt::format("{}.{}", a, b);
}

Node scalar(std::string key, std::string path, std::optional<std::string> text, bool is_string) {
    Node n;
    n.kind = Node::Kind::scalar;
    n.key = std::move(key);
    n.path = std::move(path);
    n.yaml = !text ? "null" : is_string ? detail::yaml_quote(*text) : *text;
    n.raw = std::move(text);
    return n;
}

Node string_node(std::string key, const std::string& parent, const std::string& text) {
    auto path = join(parent, key);
    return scalar(std::move(key), std::move(path), text, true);
}

Node map_node(std::string key, std::string path) {
    Node n;
    n.key = std::move(key);
    n.path = std::move(path);
    return n;
}

Node list_node(std::string key, std::string path, const std::vector<std::string>& items, bool quote = true) {
    Node n;
    n.kind = Node::Kind::list;
    n.flow = true;
    n.key = std::move(key);
    n.path = std::move(path);
    for (std::size_t i = 0; i < items.size(); ++i)
        n.children.push_back(scalar(std::to_string(i), join(n.path, std::to_string(i)), items[i], quote));
    return n;
}

Node bool_node(std::string key, const std::string& parent, bool b) {
    auto path = join(parent, key);
    return scalar(std::move(key), std::move(path), b ? "true" : "false", false);
}

Node build(const Config& config) {
    Node root = map_node("", "");
    root.section = true;
    for (const auto& key : detail::scalar_key_table()) {
        Node* at = &root;
        std::string_view rest = key.path;
        std::string path;
        for (auto dot = rest.find('.'); dot != std::string_view::npos; dot = rest.find('.')) {
            const std::string part(rest.substr(0, dot));
            path = join(path, part);
            Node* next = at->child(part);
            if (!next) {
                at->children.push_back(map_node(part, path));
                next = &at->children.back();
                next->section = true;
            }
            at = next;
            rest.remove_prefix(dot + 1);
        }
        const auto value = key.get(config);
        at->children.push_back(scalar(std::string(rest), key.path, value.text, value.is_string));
    }

    // mqtt.requireAuthentication shows what the daemon will do, and why.
    Node* require = root.child("mqtt")->child("requireAuthentication");
    const bool effective = effective_require_authentication(config);
    *require = scalar(require->key, require->path, effective ? "true" : "false", false);
    if (!config.mqtt.require_authentication) {
        const auto pub = first_public_listener(config);
        require->comment = pub ? fmt::format("default: forced, {} {} is not loopback", pub->key, pub->host)
                               : std::string("default: every listener is on loopback");
    }

    Node tables = map_node("tables", "tables");
    for (const auto& [name, t] : config.tables) {
        Node table = map_node(name, "tables." + name);
        table.children.push_back(string_node("primaryKey", table.path, t.primary_key));
        table.children.push_back(scalar("keyType", table.path + ".keyType", std::string(to_string(t.key_type)), false));
        table.children.push_back(list_node("indexes", table.path + ".indexes", t.indexes));
        tables.children.push_back(std::move(table));
    }
    root.children.push_back(std::move(tables));

    Node roles = map_node("roles", "roles");
    for (const auto& [name, r] : config.roles) {
        Node role = map_node(name, "roles." + name);
        Node role_tables = map_node("tables", role.path + ".tables");
        for (const auto& [table, p] : r.tables) {
            std::vector<std::string> words;
            if (p.read) words.emplace_back("read");
            if (p.insert) words.emplace_back("insert");
            if (p.update) words.emplace_back("update");
            if (p.remove) words.emplace_back("delete");
            role_tables.children.push_back(list_node(table, join(role_tables.path, table), words, false));
        }
        role.children.push_back(std::move(role_tables));
        Node topics = map_node("topics", role.path + ".topics");
        topics.kind = Node::Kind::list;
        for (std::size_t i = 0; i < r.topics.size(); ++i) {
            const auto& rule = r.topics[i];
            Node item = map_node(std::to_string(i), join(topics.path, std::to_string(i)));
            item.children.push_back(string_node("filter", item.path, rule.filter));
            if (rule.publish) item.children.push_back(bool_node("publish", item.path, *rule.publish));
            if (rule.subscribe) item.children.push_back(bool_node("subscribe", item.path, *rule.subscribe));
            topics.children.push_back(std::move(item));
        }
        role.children.push_back(std::move(topics));
        roles.children.push_back(std::move(role));
    }
    root.children.push_back(std::move(roles));

    Node users = map_node("users", "users");
    users.kind = Node::Kind::list;
    for (std::size_t i = 0; i < config.users.size(); ++i) {
        const auto& u = config.users[i];
        Node user = map_node(std::to_string(i), "users." + std::to_string(i));
        user.children.push_back(string_node("name", user.path, u.name));
        if (u.password) user.children.push_back(string_node("password", user.path, *u.password));
        user.children.push_back(list_node("roles", user.path + ".roles", u.roles));
        if (u.format)
            user.children.push_back(scalar("format", user.path + ".format", std::string(to_string(*u.format)), false));
        users.children.push_back(std::move(user));
    }
    root.children.push_back(std::move(users));
    root.children.push_back(list_node("anonymousRoles", "anonymousRoles", config.anonymous_roles));
    return root;
}

class Printer {
public:
    explicit Printer(const Provenance* provenance) : provenance_(provenance) {}

    std::string out;

    // The children of a map, or the items of a list, as block lines at `indent`.
    void body(const Node& n, std::size_t indent) {
        if (n.kind == Node::Kind::list) {
            for (const auto& item : n.children) list_item(item, indent);
        } else {
            for (const auto& c : n.children) entry(c, indent);
        }
    }

private:
    const Provenance* provenance_;

    std::string comment(const Node& n) const {
        if (!provenance_ || n.section) return {};
        const auto text = n.comment ? *n.comment : provenance_->of(n.path).to_string();
        return "  # " + text;
    }

    static std::string inline_value(const Node& n) {
        if (n.kind == Node::Kind::scalar) return n.yaml;
        if (n.children.empty()) return n.kind == Node::Kind::map ? "{}" : "[]";
        std::vector<std::string> items;
        for (const auto& c : n.children) items.push_back(c.yaml);
        return fmt::format("[{}]", fmt::join(items, ", "));
    }

    static bool is_inline(const Node& n) {
        return n.kind == Node::Kind::scalar || n.flow || n.children.empty();
    }

    void entry(const Node& n, std::size_t indent) {
        const std::string pad(indent, ' ');
        const auto key = detail::yaml_quote(n.key);
        if (is_inline(n)) {
            out += fmt::format("{}{}: {}{}\n", pad, key, inline_value(n), comment(n));
            return;
        }
        out += fmt::format("{}{}:{}\n", pad, key, comment(n));
        body(n, indent + 2);
    }

    void list_item(const Node& item, std::size_t indent) {
        const std::string pad(indent, ' ');
        if (is_inline(item)) {
            out += fmt::format("{}- {}{}\n", pad, inline_value(item), comment(item));
            return;
        }
        // A map item: its first entry goes on the "- " line, the rest line up under it.
        const auto start = out.size();
        body(item, indent + 2);
        out.replace(start + indent, 2, "- ");
    }
};

}  // namespace

std::string show(const Config& config, const Provenance& provenance) {
    Printer p(&provenance);
    p.body(build(config), 0);
    return p.out;
}

Result<std::string> get(const Config& config, std::string_view dotted_key) {
    if (dotted_key.empty()) return error(Errc::unknown_key);
    const Node root = build(config);
    const Node* at = &root;
    std::string_view rest = dotted_key;
    while (at) {
        const auto dot = rest.find('.');
        const auto part = rest.substr(0, dot);
        const Node* next = nullptr;
        for (const auto& c : at->children)
            if (c.key == part) next = &c;
        at = next;
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
    }
    if (!at) return error(Errc::unknown_key);
    if (at->kind == Node::Kind::scalar) return at->raw ? *at->raw : std::string("null");
    Printer p(nullptr);
    if (at->children.empty()) return std::string(at->kind == Node::Kind::map ? "{}\n" : "[]\n");
    p.body(*at, 0);
    return p.out;
}

std::string init_template() {
    return R"(# harperrt.yaml: configuration of the harperrt daemon (`harperrt serve`).
# Every value written below is the default: change what you need, delete the rest.
# Precedence: defaults < this file < environment (HARPERRT_MQTT_NETWORK_PORT=1884) <
# flags (--set mqtt.network.port=1884).
# `harperrt config validate` checks this file; `harperrt config show` prints the
# effective config and where each value came from.

rootPath: ./data              # database, keys and logs live here
threads: 1                    # worker threads of the network loop

http:                         # REST (/Table/ID), /health, /metrics, MQTT over WebSocket
  port: 9926                  # 0: any free port; null: no plain HTTP listener
  securePort: null            # HTTPS / WSS; needs tls.certificate and tls.privateKey
  host: 127.0.0.1             # 0.0.0.0: every interface (see mqtt.requireAuthentication)

mqtt:
  network:
    host: 127.0.0.1
    port: 1883                # 0: any free port; null: no plain MQTT listener
    securePort: null          # MQTT over TLS (8883 is usual); needs tls.certificate and tls.privateKey
    mtls: false               # verify client certificates on securePort; the CN is the user name
  webSocket: true             # MQTT over WebSocket on the http port(s), subprotocol mqtt
  # Refuse anonymous clients. When not written, it is true exactly when a listener is
  # not on loopback; write `false` to allow anonymous clients on such a listener anyway.
  # requireAuthentication: true
  strictTopics: false         # refuse topics that do not start with a declared table
  defaultFormat: json         # json | cbor | msgpack: deliveries nobody chose a format for
  defaultTopicAccess: allow   # allow | deny: plain topics that no role topic rule matches
  v3RejectAction: ack         # ack | disconnect: after refusing an MQTT 3.1.1 PUBLISH
  sysInterval: 10             # seconds between $SYS/broker/... updates; 0: no $SYS
  limits:
    maxConnections: 100000
    maxPacketSize: 268435455      # bytes, both directions
    maxKeepalive: 65535           # seconds, as mosquitto's max_keepalive; 0: no cap
    maxQueuedMessages: 1000       # per session; more are dropped and counted
    maxInflight: 20               # unacknowledged QoS 1/2 deliveries per session
    connectRatePerIp: 100         # CONNECTs per second per source address; 0: no limit
    maxSessionExpiry: 4294967295  # seconds; caps a v5 Session Expiry Interval (4294967295: no cap)
    v3SessionExpiry: 4294967295   # seconds a 3.1.1 persistent session outlives its connection
    maxOutputBuffer: 8388608      # bytes queued per connection before a slow consumer is cut off
    maxTopicAlias: 1024           # topic aliases a v5 client may define; 0: none
    connectTimeout: 10            # seconds from accept to a complete CONNECT
    serverReceiveMaximum: 1024    # unacknowledged QoS 1/2 PUBLISHes a v5 client may send

tls:                          # PEM files, shared by every secure listener
  certificate: null
  privateKey: null
  certificateAuthority: null  # verifies client certificates (mqtt.network.mtls)

storage:
  sync: full                  # full | normal | off (SQLite synchronous, WAL mode)

logging:
  level: info                 # trace | debug | info | warn | error
  # format: text              # text | json; when not written: text on a terminal, JSON lines otherwise

# A topic Table/ID names the record ID of table Table.
tables: {}
# tables:
#   Sensor:
#     primaryKey: id          # the attribute that holds the ID
#     keyType: string         # string | int
#     indexes: [status, temp] # attributes indexed for queries

# What a user may do: read | insert | update | delete per table, and publish /
# subscribe rules for plain topics (the first rule whose filter matches decides;
# %u is the user name, %c the client id).
roles: {}
# roles:
#   writer:
#     tables:
#       Sensor: [read, insert, update, delete]
#     topics:
#       - { filter: "plant/%u/#", publish: true, subscribe: true }
#   nobody:
#     topics:
#       - { filter: "test/nosubscribe", subscribe: false }

users: []
# users:
#   - name: alice
#     password: "$pbkdf2-sha256$i=..."  # from `harperrt config passwd alice`, never plain text
#     roles: [writer]
#     format: cbor                      # json | cbor | msgpack: this user's default format

anonymousRoles: []            # roles of anonymous clients, where they are allowed
# anonymousRoles: [nobody]
)";
}

}  // namespace harperrt::config
