// cmd/serve.cpp: `harperrt serve`: Run the daemon in the foreground.
#include "cmd/context.hpp"

namespace harperrt::cmd {

void add_serve_command(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand("serve", "Run the daemon in the foreground");
    sub->allow_extras();
    sub->callback([&ctx] { ctx.exit_code = not_implemented("serve"); });
}

}  // namespace harperrt::cmd
