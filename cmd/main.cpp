// harperrt: the one binary. `serve` runs the daemon; `sub`, `pub`, `get`, `put` talk to it
// over MQTT; `config` writes, checks and explains harperrt.yaml.
#include "cmd/context.hpp"

#include <fmt/core.h>

#include <cstdio>

#ifndef HARPERRT_VERSION
#define HARPERRT_VERSION "0.0.0"
#endif

namespace {
using namespace harperrt::cmd;

// Parses the command line and runs the command, unless it left an after_parse (serve),
// which main runs once the parser is destroyed.
int parse_and_run(Context& ctx, int argc, char** argv) {
    CLI::App app{"harperrt: a database that speaks MQTT (SQLite record store + MQTT 3.1.1/5.0 broker)",
                 "harperrt"};
    // `-h` is the host in sub/pub/get/put, as in mosquitto's clients: help is --help only.
    app.set_help_flag("--help", "Print this help and exit");
    app.set_version_flag("--version", std::string("harperrt ") + HARPERRT_VERSION);
    app.require_subcommand(1);
    app.footer(
        "Examples:\n"
        "  harperrt serve                          # daemon on 127.0.0.1:1883, data in ./data\n"
        "  harperrt put Sensor/1 '{\"temp\":21}'     # replace record 1 of table Sensor\n"
        "  harperrt get Sensor/1                   # print it\n"
        "  harperrt sub -t 'Sensor/#'              # every record, then every change\n");

    add_serve_command(app, ctx);
    add_sub_command(app, ctx);
    add_pub_command(app, ctx);
    add_get_command(app, ctx);
    add_put_command(app, ctx);
    add_config_command(app, ctx);
    add_complete_command(app, ctx);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_usage;
    }
    return ctx.exit_code;
}
}  // namespace

int main(int argc, char** argv) {
    Context ctx;
    const int code = parse_and_run(ctx, argc, argv);
    return ctx.after_parse ? ctx.after_parse() : code;
}
