// The daemon: listeners from the config, an io_context on `threads` workers, signals, and
// a graceful shutdown. `harperrt serve` is a thin wrapper around run_server().
#pragma once

#include "common/config/config.hpp"
#include "common/config/load.hpp"

#include <filesystem>
#include <optional>

namespace harperrt::daemon {

struct ServerOptions {
    // Written once every listener is up: {"mqtt":1883,"mqtts":null,"http":9926,"https":null,"pid":123}
    std::optional<std::filesystem::path> ready_file;
    // Where `config` came from; SIGHUP loads them again (users, roles, log level, TLS
    // certificate). Unset: SIGHUP only logs.
    std::optional<config::Sources> config_sources;
};

// Runs the daemon in the foreground until SIGINT or SIGTERM, then drains: stops accepting,
// sends v5 clients DISCONNECT 0x8B (server shutting down), flushes, and returns 0. Returns
// 1 (after logging why) when a listener cannot be bound or the data directory is unusable.
int run_server(const config::Config& config, const ServerOptions& options);

}  // namespace harperrt::daemon
