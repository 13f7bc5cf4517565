// cmd/serve.cpp: `harperrt serve`: run the daemon in the foreground.
#include "cmd/context.hpp"

#include "common/config/load.hpp"
#include "common/util/log.hpp"
#include "daemon/server.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace harperrt::cmd {

struct ServeOptions {
    std::optional<std::string> config_file;
    std::optional<std::string> root;
    std::vector<std::string> sets;
    std::optional<std::string> ready_file;
};

// The config file `serve` and `config` use: -c FILE, else $HARPERRT_CONFIG, else
// ./harperrt.yaml when it exists, else none (the built-in defaults).
std::optional<std::filesystem::path> resolve_config_file(const std::optional<std::string>& flag) {
    if (flag) return std::filesystem::path(*flag);
    if (const char* env = std::getenv("HARPERRT_CONFIG"); env != nullptr && *env != 0) return std::filesystem::path(env);
    if (std::filesystem::exists("harperrt.yaml")) return std::filesystem::path("harperrt.yaml");
    return std::nullopt;
}

int run_serve(const ServeOptions& opts) {
    config::Sources sources;
    sources.file = resolve_config_file(opts.config_file);
    sources.environment = config::process_environment();
    sources.flags = opts.sets;
    if (opts.root) sources.flags.push_back("rootPath=" + *opts.root);
    auto loaded = config::load(sources);
    for (const auto& w : loaded.warnings) fmt::print(stderr, "warning: {}\n", w.to_string());
    if (!loaded) {
        for (const auto& e : loaded.errors) fmt::print(stderr, "{}\n", e.to_string());
        return exit_failure;
    }
    const auto& cfg = *loaded.config;
    auto level = log::parse_level(config::to_string(cfg.logging.level)).value_or(log::Level::info);
    std::optional<log::Format> format;  // unset: text on a terminal, JSON lines otherwise
    if (loaded.provenance.is_set("logging.format"))
        format = cfg.logging.format == config::LogFormat::json ? log::Format::json : log::Format::text;
    log::configure(level, format);

    daemon::ServerOptions options;
    if (opts.ready_file) options.ready_file = *opts.ready_file;
    options.config_sources = sources;  // SIGHUP reloads from them
    return daemon::run_server(cfg, options);
}

void add_serve_command(CLI::App& app, Context& ctx) {
    auto opts = std::make_shared<ServeOptions>();
    auto* sub = app.add_subcommand("serve", "Run the daemon in the foreground");
    sub->add_option("-c,--config", opts->config_file, "Config file (default: $HARPERRT_CONFIG, else ./harperrt.yaml if present)");
    sub->add_option("--root", opts->root, "Data directory (rootPath)");
    sub->add_option("--set", opts->sets, "Override a config key, e.g. --set mqtt.network.port=1884 (repeatable)")
        ->type_name("KEY=VALUE");
    sub->add_option("--ready-file", opts->ready_file,
                    "Write {\"mqtt\":PORT,\"mqtts\":..,\"http\":..,\"https\":..,\"pid\":PID} here once listening");
    sub->footer(
        "Examples:\n"
        "  harperrt serve                                  # 127.0.0.1:1883, data in ./data\n"
        "  harperrt serve -c harperrt.yaml\n"
        "  harperrt serve --set mqtt.network.port=0 --ready-file /tmp/ready.json\n");
    sub->callback([opts, &ctx] { ctx.after_parse = [opts] { return run_serve(*opts); }; });
}

}  // namespace harperrt::cmd
