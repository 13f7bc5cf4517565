// cmd/put.cpp: `harperrt put`: Replace (or delete) the record at TABLE/ID.
#include "cmd/context.hpp"

namespace harperrt::cmd {

void add_put_command(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand("put", "Replace (or delete) the record at TABLE/ID");
    sub->allow_extras();
    sub->callback([&ctx] { ctx.exit_code = not_implemented("put"); });
}

}  // namespace harperrt::cmd
