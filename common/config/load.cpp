// Design notes.
//
// 1. Every source is turned into (dotted path, YAML node) pairs and goes through one
//    function, Loader::apply(): the file as ("", root), an environment variable as
//    ("mqtt.network.port", its value parsed as YAML), a flag as (KEY, VALUE parsed as
//    YAML). So a value means the same in all three places, and so do the errors.
// 2. Nothing throws out of load(): yaml-cpp's exceptions are caught where the text is
//    parsed, and the walker reads nodes only through Type()/Scalar()/iteration, which do
//    not throw.
// 3. The loader does not stop at the first problem; it records it and goes on, skipping
//    only the value concerned, so one run reports everything. Cross-section checks (a
//    role's table exists, TLS files for a secure port) run once, after the last source,
//    on the merged Config, and find their positions in the Provenance.
#include "common/config/load.hpp"

#include "common/config/schema.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

extern char** environ;  // POSIX

namespace harperrt::config {

using detail::ScalarText;

std::string Diagnostic::to_string() const {
    if (line > 0) return fmt::format("{}:{}:{}: {}", source, line, column, message);
    return fmt::format("{}: {}", source, message);
}

std::string Origin::to_string() const {
    switch (kind) {
    case Kind::default_value: return "default";
    case Kind::file: return line > 0 ? fmt::format("{}:{}", source, line) : source;
    case Kind::environment: return "env " + source;
    case Kind::flag: return "--set " + source;
    }
    return "default";
}

Origin Provenance::of(std::string_view key) const {
    const auto it = origins.find(key);
    return it == origins.end() ? Origin{} : it->second;
}

bool Provenance::is_set(std::string_view key) const { return origins.find(key) != origins.end(); }

std::string environment_variable(std::string_view key) {
    std::string out = "HARPERRT_";
    for (const char c : key) out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

const std::vector<std::string>& scalar_keys() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> k;
        for (const auto& s : detail::scalar_key_table()) k.push_back(s.path);
        return k;
    }();
    return keys;
}

std::map<std::string, std::string> process_environment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string_view entry(*e);
        if (entry.substr(0, 9) != "HARPERRT_") continue;
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
    }
    return env;
}

namespace {

constexpr std::array<std::string_view, 4> collections{"tables", "roles", "users", "anonymousRoles"};

// Variables the CLI reads for itself (DESIGN.md §8, STYLE.md §10), never config keys.
constexpr std::array<std::string_view, 5> cli_variables{"HARPERRT_URL", "HARPERRT_USERNAME", "HARPERRT_USER",
                                                        "HARPERRT_PASSWORD", "HARPERRT_CONFIG"};

std::string join(std::string_view a, std::string_view b) {
    return a.empty() ? std::string(b) : fmt::format("{}.{}", a, b);
}

std::string parent_of(std::string_view path) {
    const auto dot = path.rfind('.');
    return dot == std::string_view::npos ? std::string() : std::string(path.substr(0, dot));
}

std::string leaf_of(std::string_view path) {
    const auto dot = path.rfind('.');
    return std::string(dot == std::string_view::npos ? path : path.substr(dot + 1));
}

// Section path ("", "mqtt", "mqtt.limits", ...) -> names of its children, in table order.
const std::map<std::string, std::vector<std::string>>& sections() {
    static const auto table = [] {
        std::map<std::string, std::vector<std::string>> s;
        auto add = [&](const std::string& parent, const std::string& child) {
            auto& v = s[parent];
            if (std::find(v.begin(), v.end(), child) == v.end()) v.push_back(child);
        };
        for (const auto& key : detail::scalar_key_table()) {
            std::string path = key.path;
            while (true) {
                const auto parent = parent_of(path);
                add(parent, leaf_of(path));
                if (parent.empty()) break;
                path = parent;
            }
        }
        for (const auto c : collections) add("", std::string(c));
        return s;
    }();
    return table;
}

bool is_section(const std::string& path) { return sections().count(path) != 0; }

// Every path a flag may name without going into a collection: for suggestions.
std::vector<std::string> known_paths() {
    std::vector<std::string> out;
    for (const auto& [section, children] : sections())
        for (const auto& child : children) out.push_back(join(section, child));
    return out;
}

std::string describe(const YAML::Node& n) {
    switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return fmt::format("'{}'", n.Scalar());
    case YAML::NodeType::Undefined: break;
    }
    return "nothing";
}

bool is_null(const YAML::Node& n) { return !n.IsDefined() || n.IsNull(); }

ScalarText scalar_text(const YAML::Node& n) {
    if (is_null(n)) return {true, {}};
    return {false, n.Scalar()};
}

std::string did_you_mean(std::string_view word, std::span<const std::string> candidates) {
    const auto s = detail::suggest(word, candidates);
    return s ? fmt::format("; did you mean '{}'?", *s) : std::string();
}

std::optional<std::string> table_name_problem(std::string_view name) {
    if (name.empty()) return std::string("must not be empty");
    if (name.front() == '$') return std::string("must not start with '$'");
    for (const char c : std::string_view("/+#"))
        if (name.find(c) != std::string_view::npos) return fmt::format("must not contain '{}'", c);
    return std::nullopt;
}

// A topic filter as in MQTT 3.1.1 §4.7 / v5 §4.7, with %u and %c left as text.
std::optional<std::string> filter_problem(std::string_view filter) {
    if (filter.empty()) return std::string("must not be empty");
    std::size_t start = 0;
    while (true) {
        const auto slash = filter.find('/', start);
        const auto level = filter.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (level.find('#') != std::string_view::npos && (level != "#" || slash != std::string_view::npos))
            return std::string("'#' must be a whole level and the last one");
        if (level.find('+') != std::string_view::npos && level != "+")
            return std::string("'+' must be a whole level");
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return std::nullopt;
}

// The current source.
struct SourceContext {
    Origin::Kind kind;
    std::string name;         // Origin::source
    std::string diag_source;  // Diagnostic::source
};

class Loader {
public:
    Config config;
    Provenance provenance;
    std::vector<Diagnostic> errors;
    std::vector<Diagnostic> warnings;

    void load_file(const std::string& display_name, const std::string& text) {
        ctx_ = {Origin::Kind::file, display_name, display_name};
        YAML::Node root;
        if (!parse(text, root)) return;
        if (!root.IsDefined() || root.IsNull()) return;  // an empty file: all defaults
        if (!root.IsMap()) {
            error(root.Mark(), fmt::format("expected a map of config keys at the top level, got {}", describe(root)));
            return;
        }
        apply("", root.Mark(), root);
    }

    void load_environment(const std::map<std::string, std::string>& env) {
        std::vector<std::string> names;
        for (const auto& key : detail::scalar_key_table()) {
            const auto var = environment_variable(key.path);
            names.push_back(var);
            const auto it = env.find(var);
            if (it == env.end()) continue;
            ctx_ = {Origin::Kind::environment, var, "env " + var};
            YAML::Node value;
            if (parse(it->second, value)) apply(key.path, value.Mark(), value);
        }
        for (const auto& [var, value] : env) {
            if (var.substr(0, 9) != "HARPERRT_") continue;
            if (std::find(names.begin(), names.end(), var) != names.end()) continue;
            if (std::find(cli_variables.begin(), cli_variables.end(), var) != cli_variables.end()) continue;
            // Not an error (other tools may own the name), but a near miss is worth saying.
            if (const auto s = detail::suggest(var, names))
                warnings.push_back({"env " + var, 0, 0,
                                    fmt::format("ignored: not a config key; did you mean {}?", *s)});
        }
    }

    void load_flag(const std::string& arg) {
        const auto eq = arg.find('=');
        if (eq == std::string::npos || eq == 0) {
            errors.push_back({"--set " + arg, 0, 0, "expected KEY=VALUE, e.g. --set mqtt.network.port=1884"});
            return;
        }
        const std::string key = arg.substr(0, eq);
        ctx_ = {Origin::Kind::flag, key, "--set " + key};
        YAML::Node value;
        if (parse(arg.substr(eq + 1), value)) apply(key, value.Mark(), value);
    }

    void check() {
        check_references();
        check_listeners();
    }

private:
    SourceContext ctx_{Origin::Kind::file, {}, {}};

    bool positions() const { return ctx_.kind == Origin::Kind::file; }

    bool parse(const std::string& text, YAML::Node& out) {
        try {
            out = YAML::Load(text);
            return true;
        } catch (const YAML::Exception& e) {
            error(e.mark, "YAML syntax error: " + e.msg);
        } catch (const std::exception& e) {
            error(YAML::Mark::null_mark(), fmt::format("cannot parse: {}", e.what()));
        }
        return false;
    }

    void error(const YAML::Mark& m, std::string message) {
        errors.push_back(diagnostic(m, std::move(message)));
    }

    Diagnostic diagnostic(const YAML::Mark& m, std::string message) const {
        Diagnostic d{ctx_.diag_source, 0, 0, std::move(message)};
        if (positions() && !m.is_null()) {
            d.line = m.line + 1;
            d.column = m.column + 1;
        }
        return d;
    }

    Origin origin(const YAML::Mark& m) const {
        Origin o{ctx_.kind, ctx_.name, 0, 0};
        if (positions() && !m.is_null()) {
            o.line = m.line + 1;
            o.column = m.column + 1;
        }
        return o;
    }

    // Where to report a problem with `value` whose key is at `key_mark`: at the value,
    // unless it is null (yaml-cpp puts an empty value's mark on the next line).
    static YAML::Mark value_mark(const YAML::Node& value, const YAML::Mark& key_mark) {
        return is_null(value) || value.Mark().is_null() ? key_mark : value.Mark();
    }

    void record(const std::string& path, const YAML::Mark& m) { provenance.origins[path] = origin(m); }

    // Forgets the origins of `path` and everything below it: a collection (entry) is
    // being replaced.
    void forget(const std::string& path) {
        auto& o = provenance.origins;
        for (auto it = o.lower_bound(path); it != o.end() && it->first.starts_with(path);) {
            if (it->first.size() == path.size() || it->first[path.size()] == '.')
                it = o.erase(it);
            else
                ++it;
        }
    }

    // Calls f(name, key_node, value_node) for each entry of a map, reporting non-string
    // and duplicate keys (yaml-cpp keeps both entries of a duplicate; YAML forbids them).
    template <class F>
    void each_entry(const std::string& path, const YAML::Node& map, F&& f) {
        std::map<std::string, YAML::Mark> seen;
        for (auto it = map.begin(); it != map.end(); ++it) {
            const YAML::Node key = it->first;
            const YAML::Node value = it->second;
            if (!key.IsScalar()) {
                error(key.Mark(), fmt::format("{}: keys must be strings, got {}", path.empty() ? "config" : path,
                                              describe(key)));
                continue;
            }
            const std::string name = key.Scalar();
            const auto [first, inserted] = seen.emplace(name, key.Mark());
            if (!inserted) {
                error(key.Mark(), positions() ? fmt::format("duplicate key '{}' (first at line {})", join(path, name),
                                                            first->second.line + 1)
                                              : fmt::format("duplicate key '{}'", join(path, name)));
                continue;
            }
            f(name, key, value);
        }
    }

    // Requires `value` to be a map (or null: an empty one); reports otherwise.
    bool expect_map(const std::string& path, const YAML::Node& value, const YAML::Mark& key_mark) {
        if (is_null(value) || value.IsMap()) return true;
        error(value_mark(value, key_mark), fmt::format("{}: expected a map, got {}", path, describe(value)));
        return false;
    }

    bool expect_list(const std::string& path, const YAML::Node& value, const YAML::Mark& key_mark) {
        if (is_null(value) || value.IsSequence()) return true;
        error(value_mark(value, key_mark), fmt::format("{}: expected a list, got {}", path, describe(value)));
        return false;
    }

    // A list of non-empty strings; records the origin of each item as "<path>.<i>".
    std::optional<std::vector<std::string>> string_list(const std::string& path, const YAML::Node& value,
                                                        const YAML::Mark& key_mark) {
        if (!expect_list(path, value, key_mark)) return std::nullopt;
        std::vector<std::string> out;
        bool good = true;
        std::size_t i = 0;
        for (const auto& item : value) {
            if (!item.IsScalar() || item.Scalar().empty()) {
                error(value_mark(item, key_mark),
                      fmt::format("{}: expected a list of names, got {} as item {}", path, describe(item), i));
                good = false;
            } else {
                out.push_back(item.Scalar());
                record(fmt::format("{}.{}", path, i), item.Mark());
            }
            ++i;
        }
        if (!good) return std::nullopt;
        return out;
    }

    void unknown_key(const std::string& path, const YAML::Mark& m, std::span<const std::string> siblings) {
        const auto s = detail::suggest(leaf_of(path), siblings);
        error(m, fmt::format("unknown key '{}'{}", path,
                             s ? fmt::format("; did you mean '{}'?", join(parent_of(path), *s)) : std::string()));
    }

    // Applies `value` at dotted `path`; `key_mark` is where its key was written.
    void apply(const std::string& path, const YAML::Mark& key_mark, const YAML::Node& value) {
        if (is_section(path)) {
            if (!expect_map(path.empty() ? "config" : path, value, key_mark) || is_null(value)) return;
            const auto& children = sections().at(path);
            each_entry(path, value, [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
                const auto child = join(path, name);
                if (std::find(children.begin(), children.end(), name) == children.end())
                    unknown_key(child, k.Mark(), children);
                else
                    apply(child, k.Mark(), v);
            });
            return;
        }
        if (const auto* key = detail::find_scalar_key(path)) {
            if (value.IsMap() || value.IsSequence()) {
                error(value_mark(value, key_mark),
                      fmt::format("{}: expected {}, got {}", path, key->expected, describe(value)));
                return;
            }
            if (auto problem = key->set(config, scalar_text(value))) {
                // A type mismatch is worded the same for every key: what it takes, what it got.
                if (problem->starts_with("expected "))
                    problem = fmt::format("expected {}, got {}", key->expected, describe(value));
                error(value_mark(value, key_mark), fmt::format("{}: {}", path, *problem));
                return;
            }
            record(path, key_mark);
            return;
        }
        const auto dot = path.find('.');
        const std::string head = path.substr(0, dot);
        const std::string rest = dot == std::string::npos ? std::string() : path.substr(dot + 1);
        if (head == "tables") return apply_tables(rest, key_mark, value);
        if (head == "roles") return apply_roles(rest, key_mark, value);
        if (head == "users" && rest.empty()) return apply_users(key_mark, value);
        if (head == "anonymousRoles" && rest.empty()) {
            forget("anonymousRoles");
            if (auto list = string_list("anonymousRoles", value, key_mark)) {
                config.anonymous_roles = std::move(*list);
                record("anonymousRoles", key_mark);
            }
            return;
        }
        if (head == "users") {
            error(key_mark, "users: only the whole list can be set, e.g. --set 'users=[{name: alice, roles: [writer]}]'");
            return;
        }
        const auto paths = known_paths();
        error(key_mark, fmt::format("unknown key '{}'{}", path, did_you_mean(path, paths)));
    }

    // tables[.Name[.field]]
    void apply_tables(const std::string& rest, const YAML::Mark& key_mark, const YAML::Node& value) {
        if (rest.empty()) {
            if (!expect_map("tables", value, key_mark)) return;
            forget("tables");
            config.tables.clear();
            record("tables", key_mark);
            if (is_null(value)) return;
            each_entry("tables", value, [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
                set_table(name, k.Mark(), v);
            });
            return;
        }
        const auto dot = rest.find('.');
        const std::string name = rest.substr(0, dot);
        if (dot == std::string::npos) return set_table(name, key_mark, value);
        if (!config.tables.count(name)) {
            if (auto problem = table_name_problem(name)) {
                error(key_mark, fmt::format("invalid table name '{}': {}", name, *problem));
                return;
            }
            config.tables[name];
            record("tables." + name, key_mark);
        }
        table_field(name, config.tables[name], rest.substr(dot + 1), key_mark, value);
    }

    void set_table(const std::string& name, const YAML::Mark& key_mark, const YAML::Node& value) {
        const auto path = "tables." + name;
        if (auto problem = table_name_problem(name)) {
            error(key_mark, fmt::format("invalid table name '{}': {} (a table name is the first topic level)", name,
                                        *problem));
            return;
        }
        if (!expect_map(path, value, key_mark)) return;
        forget(path);
        Table& table = config.tables[name] = Table{};
        record(path, key_mark);
        if (is_null(value)) return;
        each_entry(path, value, [&](const std::string& field, const YAML::Node& k, const YAML::Node& v) {
            table_field(name, table, field, k.Mark(), v);
        });
    }

    void table_field(const std::string& name, Table& table, const std::string& field, const YAML::Mark& key_mark,
                     const YAML::Node& value) {
        static const std::vector<std::string> fields{"primaryKey", "keyType", "indexes"};
        const auto path = fmt::format("tables.{}.{}", name, field);
        if (field == "primaryKey") {
            if (!value.IsScalar() || value.Scalar().empty()) {
                error(value_mark(value, key_mark), fmt::format("{}: expected an attribute name, got {}", path,
                                                               is_null(value) ? "null" : describe(value)));
                return;
            }
            table.primary_key = value.Scalar();
        } else if (field == "keyType") {
            if (value.IsMap() || value.IsSequence()) {
                error(value_mark(value, key_mark), fmt::format("{}: expected string or int, got {}", path, describe(value)));
                return;
            }
            if (auto problem = detail::parse_key_type(scalar_text(value), table.key_type)) {
                error(value_mark(value, key_mark), fmt::format("{}: {}", path, *problem));
                return;
            }
        } else if (field == "indexes") {
            forget(path);
            auto list = string_list(path, value, key_mark);
            if (!list) return;
            table.indexes = std::move(*list);
        } else {
            unknown_key(path, key_mark, fields);
            return;
        }
        record(path, key_mark);
    }

    // roles[.Name[.tables[.Table] | .topics]]
    void apply_roles(const std::string& rest, const YAML::Mark& key_mark, const YAML::Node& value) {
        if (rest.empty()) {
            if (!expect_map("roles", value, key_mark)) return;
            forget("roles");
            config.roles.clear();
            record("roles", key_mark);
            if (is_null(value)) return;
            each_entry("roles", value, [&](const std::string& name, const YAML::Node& k, const YAML::Node& v) {
                set_role(name, k.Mark(), v);
            });
            return;
        }
        const auto dot = rest.find('.');
        const std::string name = rest.substr(0, dot);
        if (dot == std::string::npos) return set_role(name, key_mark, value);
        if (!config.roles.count(name)) {
            config.roles[name];
            record("roles." + name, key_mark);
        }
        Role& role = config.roles[name];
        const std::string field = rest.substr(dot + 1);
        if (field.starts_with("tables.")) {
            const std::string table = field.substr(7);
            const auto path = fmt::format("roles.{}.tables.{}", name, table);
            if (auto perms = permissions(path, key_mark, value)) {
                forget(path);
                role.tables[table] = *perms;
                record(path, key_mark);
            }
            return;
        }
        role_field(name, role, field, key_mark, value);
    }

    void set_role(const std::string& name, const YAML::Mark& key_mark, const YAML::Node& value) {
        const auto path = "roles." + name;
        if (name.empty()) {
            error(key_mark, "roles: a role name must not be empty");
            return;
        }
        if (!expect_map(path, value, key_mark)) return;
        forget(path);
        Role& role = config.roles[name] = Role{};
        record(path, key_mark);
        if (is_null(value)) return;
        each_entry(path, value, [&](const std::string& field, const YAML::Node& k, const YAML::Node& v) {
            role_field(name, role, field, k.Mark(), v);
        });
    }

    void role_field(const std::string& name, Role& role, const std::string& field, const YAML::Mark& key_mark,
                    const YAML::Node& value) {
        static const std::vector<std::string> fields{"tables", "topics"};
        const auto path = fmt::format("roles.{}.{}", name, field);
        if (field == "tables") {
            if (!expect_map(path, value, key_mark)) return;
            forget(path);
            role.tables.clear();
            record(path, key_mark);
            if (is_null(value)) return;
            each_entry(path, value, [&](const std::string& table, const YAML::Node& k, const YAML::Node& v) {
                const auto table_path = join(path, table);
                if (auto perms = permissions(table_path, k.Mark(), v)) {
                    role.tables[table] = *perms;
                    record(table_path, k.Mark());
                }
            });
        } else if (field == "topics") {
            if (!expect_list(path, value, key_mark)) return;
            forget(path);
            role.topics.clear();
            record(path, key_mark);
            std::size_t i = 0;
            for (const auto& item : value) topic_rule(fmt::format("{}.{}", path, i++), role, item, key_mark);
        } else {
            unknown_key(path, key_mark, fields);
        }
    }

    std::optional<TablePermissions> permissions(const std::string& path, const YAML::Mark& key_mark,
                                                const YAML::Node& value) {
        if (!expect_list(path, value, key_mark)) return std::nullopt;
        TablePermissions p;
        bool good = true;
        for (const auto& item : value) {
            const auto word = item.IsScalar() ? item.Scalar() : std::string();
            if (word == "read") p.read = true;
            else if (word == "insert") p.insert = true;
            else if (word == "update") p.update = true;
            else if (word == "delete") p.remove = true;
            else {
                error(value_mark(item, key_mark), fmt::format("{}: {} is not one of read, insert, update, delete",
                                                              path, describe(item)));
                good = false;
            }
        }
        if (!good) return std::nullopt;
        return p;
    }

    void topic_rule(const std::string& path, Role& role, const YAML::Node& item, const YAML::Mark& list_mark) {
        static const std::vector<std::string> fields{"filter", "publish", "subscribe"};
        if (!item.IsMap()) {
            error(value_mark(item, list_mark),
                  fmt::format("{}: expected a map like {{filter: \"a/#\", subscribe: true}}, got {}", path,
                              describe(item)));
            return;
        }
        TopicRule rule;
        bool good = true;
        bool has_filter = false;
        each_entry(path, item, [&](const std::string& field, const YAML::Node& k, const YAML::Node& v) {
            const auto field_path = join(path, field);
            if (field == "filter") {
                if (!v.IsScalar()) {
                    error(value_mark(v, k.Mark()),
                          fmt::format("{}: expected a topic filter, got {}", field_path, describe(v)));
                    good = false;
                    return;
                }
                if (auto problem = filter_problem(v.Scalar())) {
                    error(v.Mark(), fmt::format("{}: '{}' is not a valid topic filter: {}", field_path, v.Scalar(),
                                                *problem));
                    good = false;
                    return;
                }
                rule.filter = v.Scalar();
                has_filter = true;
            } else if (field == "publish" || field == "subscribe") {
                auto& target = field == "publish" ? rule.publish : rule.subscribe;
                if (is_null(v)) {
                    target.reset();
                } else {
                    bool b = false;
                    const auto problem = v.IsScalar() ? detail::parse_bool(scalar_text(v), b)
                                                      : std::optional<std::string>("expected true or false, got " +
                                                                                   describe(v));
                    if (problem) {
                        error(value_mark(v, k.Mark()), fmt::format("{}: {}", field_path, *problem));
                        good = false;
                        return;
                    }
                    target = b;
                }
            } else {
                unknown_key(field_path, k.Mark(), fields);
                good = false;
                return;
            }
            record(field_path, k.Mark());
        });
        if (!has_filter && good) {
            error(item.Mark(), fmt::format("{}: missing filter", path));
            good = false;
        }
        if (good) {
            role.topics.push_back(std::move(rule));
            record(path, item.Mark());
        }
    }

    void apply_users(const YAML::Mark& key_mark, const YAML::Node& value) {
        if (!expect_list("users", value, key_mark)) return;
        forget("users");
        config.users.clear();
        record("users", key_mark);
        std::map<std::string, int> lines;  // name -> line of its first definition
        std::size_t i = 0;
        for (const auto& item : value) {
            const auto path = fmt::format("users.{}", i++);
            auto user = parse_user(path, item, key_mark);
            if (!user) continue;
            const auto [first, inserted] = lines.emplace(user->name, item.Mark().line + 1);
            if (!inserted) {
                error(item.Mark(), positions() ? fmt::format("{}: duplicate user '{}' (first at line {})", path,
                                                             user->name, first->second)
                                               : fmt::format("{}: duplicate user '{}'", path, user->name));
                continue;
            }
            record(path, item.Mark());
            config.users.push_back(std::move(*user));
        }
    }

    std::optional<User> parse_user(const std::string& path, const YAML::Node& item, const YAML::Mark& list_mark) {
        static const std::vector<std::string> fields{"name", "password", "roles", "format"};
        if (!item.IsMap()) {
            error(value_mark(item, list_mark),
                  fmt::format("{}: expected a map like {{name: alice, password: ..., roles: [...]}}, got {}", path,
                              describe(item)));
            return std::nullopt;
        }
        User user;
        bool good = true;
        std::optional<YAML::Mark> password_mark;
        each_entry(path, item, [&](const std::string& field, const YAML::Node& k, const YAML::Node& v) {
            const auto field_path = join(path, field);
            const auto at = value_mark(v, k.Mark());
            if (field == "name") {
                if (!v.IsScalar() || v.Scalar().empty()) {
                    error(at, fmt::format("{}: expected a user name, got {}", field_path, describe(v)));
                    good = false;
                    return;
                }
                user.name = v.Scalar();
            } else if (field == "password") {
                if (is_null(v)) {
                    user.password.reset();
                } else if (!v.IsScalar()) {
                    error(at, fmt::format("{}: expected a password hash, got {}", field_path, describe(v)));
                    good = false;
                    return;
                } else {
                    user.password = v.Scalar();  // checked below, once the name is known
                    password_mark = at;
                }
            } else if (field == "roles") {
                forget(field_path);
                auto list = string_list(field_path, v, k.Mark());
                if (!list) {
                    good = false;
                    return;
                }
                user.roles = std::move(*list);
            } else if (field == "format") {
                if (is_null(v)) {
                    user.format.reset();
                } else {
                    Format f{};
                    const auto problem = v.IsScalar() ? detail::parse_format(scalar_text(v), f)
                                                      : std::optional<std::string>("expected json, cbor or msgpack, got " +
                                                                                   describe(v));
                    if (problem) {
                        error(at, fmt::format("{}: {}", field_path, *problem));
                        good = false;
                        return;
                    }
                    user.format = f;
                }
            } else {
                unknown_key(field_path, k.Mark(), fields);
                good = false;
                return;
            }
            record(field_path, k.Mark());
        });
        if (user.name.empty() && good) {
            error(item.Mark(), fmt::format("{}: missing name", path));
            good = false;
        }
        // Never echo the value: it may be a real password.
        if (user.password && !is_password_hash(*user.password)) {
            error(*password_mark,
                  fmt::format("{}.password: not a password hash; put the output of `harperrt config passwd {}` here "
                              "(expected $pbkdf2-sha256$i=<iterations>$<salt>$<hash> or $scrypt$<params>$<salt>$<hash>)",
                              path, user.name.empty() ? "USER" : user.name));
            good = false;
        }
        if (!good) return std::nullopt;
        return user;
    }

    // Errors at the recorded origin of `key` (the key names the value being blamed).
    void error_at_key(const std::string& key, std::string message) {
        const auto o = provenance.of(key);
        errors.push_back(diagnostic_from(o, std::move(message)));
    }

    static Diagnostic diagnostic_from(const Origin& o, std::string message) {
        switch (o.kind) {
        case Origin::Kind::file: return {o.source, o.line, o.column, std::move(message)};
        case Origin::Kind::environment: return {"env " + o.source, 0, 0, std::move(message)};
        case Origin::Kind::flag: return {"--set " + o.source, 0, 0, std::move(message)};
        case Origin::Kind::default_value: break;
        }
        return {"config", 0, 0, std::move(message)};
    }

    void check_references() {
        std::vector<std::string> tables, roles;
        for (const auto& [name, t] : config.tables) tables.push_back(name);
        for (const auto& [name, r] : config.roles) roles.push_back(name);
        for (const auto& [role_name, role] : config.roles) {
            for (const auto& [table, perms] : role.tables) {
                if (config.tables.count(table)) continue;
                error_at_key(fmt::format("roles.{}.tables.{}", role_name, table),
                             fmt::format("role '{}' references unknown table '{}'{}", role_name, table,
                                         did_you_mean(table, tables)));
            }
        }
        auto check_role = [&](const std::string& who, const std::string& role, const std::string& key) {
            if (config.roles.count(role)) return;
            error_at_key(key, fmt::format("{} references unknown role '{}'{}", who, role, did_you_mean(role, roles)));
        };
        for (std::size_t u = 0; u < config.users.size(); ++u) {
            const auto& user = config.users[u];
            for (std::size_t r = 0; r < user.roles.size(); ++r)
                check_role(fmt::format("user '{}'", user.name), user.roles[r], fmt::format("users.{}.roles.{}", u, r));
        }
        for (std::size_t r = 0; r < config.anonymous_roles.size(); ++r)
            check_role("anonymousRoles", config.anonymous_roles[r], fmt::format("anonymousRoles.{}", r));
    }

    void check_listeners() {
        const auto& tls = config.tls;
        for (const auto* key : {"mqtt.network.securePort", "http.securePort"}) {
            const bool set = key[0] == 'm' ? config.mqtt.network.secure_port.has_value()
                                           : config.http.secure_port.has_value();
            if (!set) continue;
            std::vector<std::string> missing;
            if (!tls.certificate) missing.emplace_back("tls.certificate");
            if (!tls.private_key) missing.emplace_back("tls.privateKey");
            if (!missing.empty())
                error_at_key(key, fmt::format("{} needs {}", key, fmt::join(missing, " and ")));
        }
        if (config.mqtt.network.mtls) {
            std::vector<std::string> missing;
            if (!config.mqtt.network.secure_port) missing.emplace_back("mqtt.network.securePort");
            if (!tls.certificate_authority) missing.emplace_back("tls.certificateAuthority");
            if (!missing.empty())
                error_at_key("mqtt.network.mtls",
                             fmt::format("mqtt.network.mtls needs {} (client certificates are verified against it)",
                                         fmt::join(missing, " and ")));
        }
        // Two listeners on one host and port cannot both bind (port 0 picks a free one each).
        struct Listener {
            const char* key;
            const std::string* host;
            std::optional<std::uint16_t> port;
        };
        const std::array<Listener, 4> listeners{{
            {"mqtt.network.port", &config.mqtt.network.host, config.mqtt.network.port},
            {"mqtt.network.securePort", &config.mqtt.network.host, config.mqtt.network.secure_port},
            {"http.port", &config.http.host, config.http.port},
            {"http.securePort", &config.http.host, config.http.secure_port},
        }};
        for (std::size_t i = 0; i < listeners.size(); ++i) {
            for (std::size_t j = i + 1; j < listeners.size(); ++j) {
                const auto& a = listeners[i];
                const auto& b = listeners[j];
                if (a.port && b.port && *a.port != 0 && *a.port == *b.port && *a.host == *b.host) {
                    const bool b_set = provenance.is_set(b.key);
                    error_at_key(b_set ? b.key : a.key,
                                 fmt::format("{} and {} are both {} on {}", a.key, b.key, *a.port, *a.host));
                }
            }
        }
        if (config.mqtt.require_authentication == false) {
            if (const auto pub = first_public_listener(config)) {
                const auto o = provenance.of("mqtt.requireAuthentication");
                warnings.push_back(diagnostic_from(
                    o, fmt::format("mqtt.requireAuthentication is false and {} {} is not loopback: anonymous clients "
                                   "can connect from the network",
                                   pub->key, pub->host)));
            }
        }
    }
};

}  // namespace

LoadResult load(const Sources& sources) {
    Loader loader;
    if (sources.file || sources.file_text) {
        const std::string name =
            sources.file && !sources.file->empty() ? sources.file->string() : std::string("<config>");
        std::optional<std::string> text = sources.file_text;
        if (!text) {
            std::error_code ec;
            if (std::filesystem::is_directory(*sources.file, ec)) {
                loader.errors.push_back({name, 0, 0, "cannot read: is a directory"});
            } else {
                std::ifstream in(*sources.file, std::ios::binary);
                if (!in) {
                    loader.errors.push_back(
                        {name, 0, 0, fmt::format("cannot read: {}", std::generic_category().message(errno))});
                } else {
                    std::ostringstream buf;
                    buf << in.rdbuf();
                    text = buf.str();
                }
            }
        }
        if (text) loader.load_file(name, *text);
    }
    loader.load_environment(sources.environment);
    for (const auto& flag : sources.flags) loader.load_flag(flag);
    // Also after errors: a reference to a table that failed to load is reported as well,
    // which names the consequence rather than hiding it.
    loader.check();

    LoadResult result;
    result.errors = std::move(loader.errors);
    result.warnings = std::move(loader.warnings);
    result.provenance = std::move(loader.provenance);
    if (result.errors.empty()) result.config = std::move(loader.config);
    return result;
}

}  // namespace harperrt::config
