// Loading a Config from its sources: the built-in defaults, a YAML file, HARPERRT_*
// environment variables and `--set KEY=VALUE` flags, each overriding the one before
// (DESIGN.md §7). load() never throws on its input: it returns the Config with the origin
// of every value, or every problem it found, each with a position (`file:line:col: ...`).
//
// Merge rules: a section (`mqtt`, `mqtt.limits`, ...) given by a later source changes only
// the keys it names; a collection entry (`tables.Dog`, `roles.writer`) or a whole
// collection (`tables`, `roles`, `users`, `anonymousRoles`) is replaced.
#pragma once

#include "common/config/config.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace harperrt::config {

// One problem found while loading.
struct Diagnostic {
    std::string source;  // file name, "env HARPERRT_MQTT_NETWORK_PORT", "--set mqtt.network.port"
    int line = 0;        // 1-based; 0 where there is no position (environment, flags)
    int column = 0;      // 1-based; 0 where there is no position
    std::string message;

    // "file:line:col: message", or "source: message" when there is no position.
    std::string to_string() const;

    friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

// Where one effective value came from.
struct Origin {
    enum class Kind : std::uint8_t { default_value, file, environment, flag };
    Kind kind = Kind::default_value;
    std::string source;  // file name; variable name ("HARPERRT_MQTT_NETWORK_PORT"); flag
                         // key ("mqtt.network.port"); empty for a default
    int line = 0;        // 1-based, files only
    int column = 0;      // 1-based, files only

    // "default", "harperrt.yaml:3", "env HARPERRT_MQTT_NETWORK_PORT",
    // "--set mqtt.network.port".
    std::string to_string() const;

    friend bool operator==(const Origin&, const Origin&) = default;
};

// The origin of every value that did not come from the defaults, by dotted key:
// "mqtt.network.port", "tables.Sensor", "tables.Sensor.primaryKey", "users.0.name",
// "users.0.roles", "roles.writer.topics.0.filter". List items use their index.
struct Provenance {
    std::map<std::string, Origin, std::less<>> origins;

    // The origin of `key`; a default Origin when no source set it.
    Origin of(std::string_view key) const;
    // True if some source (file, environment, flag) set `key`.
    bool is_set(std::string_view key) const;
};

struct Sources {
    // The YAML file. Its text is read from disk unless file_text is given; either way
    // `file` (or "<config>" if it is empty) names it in diagnostics and provenance.
    std::optional<std::filesystem::path> file;
    std::optional<std::string> file_text;
    // Environment variables; only HARPERRT_<KEY> names of known scalar keys are used (see
    // environment_variable()), every other variable is ignored. Pass
    // process_environment() in the daemon and CLI, a literal map in tests.
    std::map<std::string, std::string> environment;
    // `--set` arguments, in command-line order, each "KEY=VALUE": KEY is a dotted path,
    // VALUE a YAML scalar ("1884", "null", "true") or YAML flow collection
    // ("{primaryKey: id, indexes: [a]}", "[reader, writer]").
    std::vector<std::string> flags;
};

struct LoadResult {
    std::optional<Config> config;   // set exactly when errors is empty
    Provenance provenance;          // meaningful when config is set
    std::vector<Diagnostic> errors;    // every problem, in source order (file, env, flags,
                                       // then cross-section checks)
    std::vector<Diagnostic> warnings;  // not fatal: e.g. anonymous access on a public
                                       // listener, a HARPERRT_ variable close to a key name

    explicit operator bool() const { return config.has_value(); }
};

// Loads and validates. Thread-safe; touches the file system only to read `sources.file`
// when no file_text is given (a missing file is an error).
LoadResult load(const Sources& sources);

// The HARPERRT_* variables of this process's environment.
std::map<std::string, std::string> process_environment();

// Every scalar key (the keys that environment variables and show() comments address),
// in the order show() prints them: "rootPath", "threads", "http.port", ...
const std::vector<std::string>& scalar_keys();

// The environment variable for a scalar key: "mqtt.network.port" ->
// "HARPERRT_MQTT_NETWORK_PORT".
std::string environment_variable(std::string_view key);

}  // namespace harperrt::config
