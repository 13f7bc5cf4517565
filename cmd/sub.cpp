// cmd/sub.cpp: `harperrt sub`: Subscribe to topic filters and print each message.
#include "cmd/context.hpp"

namespace harperrt::cmd {

void add_sub_command(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand("sub", "Subscribe to topic filters and print each message");
    sub->allow_extras();
    sub->callback([&ctx] { ctx.exit_code = not_implemented("sub"); });
}

}  // namespace harperrt::cmd
