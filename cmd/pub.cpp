// cmd/pub.cpp: `harperrt pub`: Publish a message.
#include "cmd/context.hpp"

namespace harperrt::cmd {

void add_pub_command(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand("pub", "Publish a message");
    sub->allow_extras();
    sub->callback([&ctx] { ctx.exit_code = not_implemented("pub"); });
}

}  // namespace harperrt::cmd
