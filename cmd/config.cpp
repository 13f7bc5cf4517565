// cmd/config.cpp: `harperrt config`: Create, show, validate and edit harperrt.yaml.
#include "cmd/context.hpp"

namespace harperrt::cmd {

void add_config_command(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand("config", "Create, show, validate and edit harperrt.yaml");
    sub->allow_extras();
    sub->callback([&ctx] { ctx.exit_code = not_implemented("config"); });
}

}  // namespace harperrt::cmd
