// Printing a Config back as YAML for the `harperrt config` subcommands (DESIGN.md §8):
// `show` (the effective config with the origin of each value), `get KEY`, and `init`
// (a commented template). Whatever show() prints loads back to the same values.
#pragma once

#include "common/config/config.hpp"
#include "common/config/load.hpp"
#include "common/util/result.hpp"

#include <string>
#include <string_view>

namespace harperrt::config {

// The effective config as block YAML, sections in the order of DESIGN.md §7, each scalar
// line ending in a comment with its origin (`port: 1884  # env HARPERRT_MQTT_NETWORK_PORT`).
// mqtt.requireAuthentication shows its effective value.
std::string show(const Config& config, const Provenance& provenance);

// One value by dotted key ("mqtt.network.port", "tables.Sensor", "users.0.name"): a
// scalar as bare text without a newline ("1883", "./data", "null"), a section or
// collection as block YAML ending in a newline. Errc::unknown_key for anything else.
Result<std::string> get(const Config& config, std::string_view dotted_key);

// A commented harperrt.yaml for `harperrt config init`: every section of DESIGN.md §7
// with its default value, tables/roles/users as commented-out examples. It loads to
// Config{}.
std::string init_template();

}  // namespace harperrt::config
