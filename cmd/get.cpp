// cmd/get.cpp: `harperrt get`: Print the current record(s) of a topic or filter and exit.
#include "cmd/context.hpp"

namespace harperrt::cmd {

void add_get_command(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand("get", "Print the current record(s) of a topic or filter and exit");
    sub->allow_extras();
    sub->callback([&ctx] { ctx.exit_code = not_implemented("get"); });
}

}  // namespace harperrt::cmd
