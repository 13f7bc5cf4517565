// Shared state of one `harperrt` invocation: what the subcommands read from the global
// options and where they leave their exit code (DESIGN.md §8 lists the codes).
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace harperrt::cmd {

// Exit codes of DESIGN.md §8, the contract scripts rely on.
enum ExitCode : int {
    exit_ok = 0,
    exit_failure = 1,
    exit_usage = 2,
    exit_not_found = 3,
    exit_timeout = 4,
    exit_cannot_connect = 5,
    exit_not_authorized = 6,
};

struct Context {
    int exit_code = exit_ok;
    // What runs once the command line is parsed and the parser is gone; its result is the
    // exit code. `serve` runs the daemon here, so the parser's ~80 KB of options (every
    // subcommand's) are freed before it starts.
    std::function<int()> after_parse;
};

// One per subcommand file (cmd/<name>.cpp).
void add_serve_command(CLI::App& app, Context& ctx);
void add_sub_command(CLI::App& app, Context& ctx);
void add_pub_command(CLI::App& app, Context& ctx);
void add_get_command(CLI::App& app, Context& ctx);
void add_put_command(CLI::App& app, Context& ctx);
void add_config_command(CLI::App& app, Context& ctx);
// The hidden `__complete`: walks `app` (call it last).
void add_complete_command(CLI::App& app, Context& ctx);

// Registers the fixed values of an option that takes one, in the order the shell
// completions (completions/generate.py, from `harperrt __complete`) should offer them.
// Completion only: the option's checks stay as they are (use it for a value that a Range
// checks, or for suggestions where other values are allowed too). Returns `opt`.
CLI::Option* offer_values(CLI::Option* opt, std::vector<std::string> values);
// offer_values(), and a check that refuses any other value (CLI11 IsMember; the help shows
// {a,b,c}). Returns `opt`.
CLI::Option* one_of(CLI::Option* opt, std::vector<std::string> values);

}  // namespace harperrt::cmd
