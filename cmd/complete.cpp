// cmd/complete.cpp: the hidden `harperrt __complete` subcommand: every subcommand and option
// of the CLI11 tree, one per line, so the completion scripts and man pages can be checked
// against the real CLI (tests/integration/cli_test.cpp) and regenerated
// (completions/generate.py).
//
// Output: `PATH<TAB>WORD<TAB>DESCRIPTION[<TAB>CHOICES]`, where PATH is the subcommand path
// ("harperrt", "sub", "config set") and WORD an option name (-t, --topic), a positional in
// angle brackets (<topic>) or a subcommand name. Options that take a value end in "=".
// CHOICES, only for an option with a fixed set of values (offer_values(), one_of()), are
// those values separated by spaces, e.g. `sub<TAB>-o=<TAB>...<TAB>text json raw`.
#include "cmd/context.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace harperrt::cmd {

namespace {

// The values offer_values() registered, by option. Filled while the CLI11 tree is built
// (one thread, before parsing); the options live as long as the app.
std::map<const CLI::Option*, std::vector<std::string>>& offered() {
    static std::map<const CLI::Option*, std::vector<std::string>> values;
    return values;
}

std::string one_line(std::string s) {
    for (auto& c : s)
        if (c == '\n' || c == '\t') c = ' ';
    return s;
}

void walk(const CLI::App& app, const std::string& path) {
    for (const CLI::Option* opt : app.get_options()) {
        const std::string value = opt->get_expected_max() > 0 ? "=" : "";
        if (opt->get_positional() && opt->get_snames().empty() && opt->get_lnames().empty()) {
            fmt::print("{}\t<{}>\t{}\n", path, opt->get_name(true, false), one_line(opt->get_description()));
            continue;
        }
        std::string choices;
        if (const auto it = offered().find(opt); it != offered().end() && !value.empty())
            choices = fmt::format("\t{}", fmt::join(it->second, " "));
        const auto desc = one_line(opt->get_description());
        for (const auto& s : opt->get_snames()) fmt::print("{}\t-{}{}\t{}{}\n", path, s, value, desc, choices);
        for (const auto& l : opt->get_lnames()) fmt::print("{}\t--{}{}\t{}{}\n", path, l, value, desc, choices);
    }
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App* a) { return a->get_name() != "__complete"; })) {
        fmt::print("{}\t{}\t{}\n", path, sub->get_name(), one_line(sub->get_description()));
        walk(*sub, path == "harperrt" ? sub->get_name() : path + " " + sub->get_name());
    }
}

}  // namespace

CLI::Option* offer_values(CLI::Option* opt, std::vector<std::string> values) {
    offered()[opt] = std::move(values);
    return opt;
}

CLI::Option* one_of(CLI::Option* opt, std::vector<std::string> values) {
    opt->check(CLI::IsMember(values));
    return offer_values(opt, std::move(values));
}

void add_complete_command(CLI::App& app, Context& ctx) {
    auto* sub = app.add_subcommand("__complete", "List every subcommand and option (for completions)");
    sub->group("");  // hidden from --help
    CLI::App* root = &app;
    sub->callback([root, &ctx] {
        walk(*root, "harperrt");
        ctx.exit_code = exit_ok;
    });
}

}  // namespace harperrt::cmd
