// cmd/config.cpp: `harperrt config`: create, show, validate and edit harperrt.yaml.
//
// `set` edits the file line by line so comments and layout survive (yaml-cpp would drop
// them): it replaces the value of an existing block-style scalar key in place, keeping its
// comment, or inserts the key (and missing parent sections) at the end of its parent's
// block. Flow-style parents (`http: { port: 1 }`) and list items are refused: edit those
// by hand. The edited text is validated before it is written.
#include "cmd/context.hpp"

#include "common/config/load.hpp"
#include "common/config/show.hpp"
#include "daemon/auth/password.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace harperrt::cmd {

std::optional<std::filesystem::path> resolve_config_file(const std::optional<std::string>& flag);  // serve.cpp

struct ConfigOptions {
    std::optional<std::string> config_file;
    std::vector<std::string> sets;
    std::optional<std::string> init_file;
    bool force = false;
    std::string key;
    std::string value;
    std::optional<std::string> validate_file;
    std::string user;
};

namespace {

config::LoadResult load_config(const std::optional<std::filesystem::path>& file, std::vector<std::string> flags,
                               std::optional<std::string> text = std::nullopt) {
    config::Sources sources;
    sources.file = file;
    sources.file_text = std::move(text);
    sources.environment = config::process_environment();
    sources.flags = std::move(flags);
    return config::load(sources);
}

int print_errors(const config::LoadResult& loaded) {
    for (const auto& w : loaded.warnings) fmt::print(stderr, "warning: {}\n", w.to_string());
    for (const auto& e : loaded.errors) fmt::print(stderr, "{}\n", e.to_string());
    return loaded ? exit_ok : exit_failure;
}

std::optional<std::string> slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool write_text(const std::filesystem::path& path, const std::string& text) {
    const auto tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return false;
        out << text;
        if (!out.flush()) return false;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    return !ec;
}

int run_init(const ConfigOptions& o) {
    const std::filesystem::path file = o.init_file.value_or("harperrt.yaml");
    if (std::filesystem::exists(file) && !o.force) {
        fmt::print(stderr, "harperrt config init: {} exists (use --force to overwrite)\n", file.string());
        return exit_failure;
    }
    if (!write_text(file, config::init_template())) {
        fmt::print(stderr, "harperrt config init: cannot write {}\n", file.string());
        return exit_failure;
    }
    fmt::print(stderr, "wrote {}\n", file.string());
    return exit_ok;
}

int run_show(const ConfigOptions& o) {
    auto loaded = load_config(resolve_config_file(o.config_file), o.sets);
    if (!loaded) return print_errors(loaded);
    const std::string text = config::show(*loaded.config, loaded.provenance);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return exit_ok;
}

int run_get(const ConfigOptions& o) {
    auto loaded = load_config(resolve_config_file(o.config_file), o.sets);
    if (!loaded) return print_errors(loaded);
    auto value = config::get(*loaded.config, o.key);
    if (!value) {
        fmt::print(stderr, "harperrt config get: unknown key '{}'\n", o.key);
        return exit_not_found;
    }
    std::string text = *value;
    if (text.empty() || text.back() != '\n') text += '\n';
    std::fwrite(text.data(), 1, text.size(), stdout);
    return exit_ok;
}

// --- set: the line editor ---------------------------------------------------------------

struct KeyLine {
    int indent = 0;
    std::string key;
    std::string rest;  // after the colon
};

std::optional<KeyLine> key_line(const std::string& line) {
    std::size_t i = 0;
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t j = i;
    while (j < line.size() && (std::isalnum(static_cast<unsigned char>(line[j])) != 0 || line[j] == '_' || line[j] == '-'))
        ++j;
    if (j == i || j >= line.size() || line[j] != ':') return std::nullopt;
    if (j + 1 < line.size() && line[j + 1] != ' ' && line[j + 1] != '\t') return std::nullopt;
    return KeyLine{static_cast<int>(i), line.substr(i, j - i), line.substr(j + 1)};
}

bool is_content(const std::string& line) {
    const auto p = line.find_first_not_of(" \t");
    return p != std::string::npos && line[p] != '#';
}

int indent_of(const std::string& line) {
    return static_cast<int>(line.find_first_not_of(' '));
}

// Where a `# comment` starts in the part after the colon (outside quotes), or npos.
std::size_t comment_start(const std::string& rest) {
    char quote = 0;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        const char c = rest[i];
        if (quote != 0) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '#' && (i == 0 || rest[i - 1] == ' ' || rest[i - 1] == '\t')) {
            return i;
        }
    }
    return std::string::npos;
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r");
    return std::string(s.substr(b, e - b + 1));
}

std::vector<std::string> split_key(std::string_view key) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const auto dot = key.find('.', start);
        parts.emplace_back(key.substr(start, dot - start));
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return parts;
}

// Sets `key` to `value` in `lines`; an error message on failure.
std::optional<std::string> edit_lines(std::vector<std::string>& lines, const std::vector<std::string>& path,
                                      const std::string& value) {
    std::size_t begin = 0, end = lines.size();
    int parent_indent = -1;
    for (std::size_t depth = 0; depth < path.size(); ++depth) {
        // The direct children of the block [begin, end): key lines with the smallest indent.
        int child_indent = -1;
        for (std::size_t i = begin; i < end; ++i) {
            if (!is_content(lines[i])) continue;
            const int ind = indent_of(lines[i]);
            if (ind > parent_indent && (child_indent < 0 || ind < child_indent)) child_indent = ind;
        }
        std::optional<std::size_t> found;
        for (std::size_t i = begin; i < end && !found; ++i) {
            auto kl = key_line(lines[i]);
            if (kl && kl->indent == child_indent && kl->key == path[depth]) found = i;
        }
        if (!found) {
            // Insert the rest of the path at the end of this block.
            std::size_t at = begin;
            for (std::size_t i = begin; i < end; ++i)
                if (is_content(lines[i])) at = i + 1;
            if (end == lines.size() && parent_indent < 0) at = lines.size();
            int indent = child_indent >= 0 ? child_indent : parent_indent + 2;
            if (parent_indent < 0 && child_indent < 0) indent = 0;
            std::vector<std::string> added;
            for (std::size_t d = depth; d < path.size(); ++d) {
                const std::string pad(static_cast<std::size_t>(indent), ' ');
                added.push_back(d + 1 == path.size() ? pad + path[d] + ": " + value : pad + path[d] + ":");
                indent += 2;
            }
            lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), added.begin(), added.end());
            return std::nullopt;
        }
        const auto kl = *key_line(lines[*found]);
        const auto cpos = comment_start(kl.rest);
        const std::string inline_value = trim(kl.rest.substr(0, cpos));
        if (depth + 1 == path.size()) {
            if (inline_value.empty()) {
                bool has_children = false;
                for (std::size_t i = *found + 1; i < lines.size(); ++i) {
                    if (!is_content(lines[i])) continue;
                    has_children = indent_of(lines[i]) > kl.indent;
                    break;
                }
                if (has_children) return "'" + path[depth] + "' is a section: set its keys one by one";
            }
            std::string line = std::string(static_cast<std::size_t>(kl.indent), ' ') + kl.key + ": " + value;
            if (cpos != std::string::npos) {
                const std::size_t column = lines[*found].size() - (kl.rest.size() - cpos);
                line += line.size() + 1 < column ? std::string(column - line.size(), ' ') : std::string(2, ' ');
                line += kl.rest.substr(cpos);
            }
            lines[*found] = line;
            return std::nullopt;
        }
        if (!inline_value.empty())
            return "'" + path[depth] + "' is written in flow style on line " + std::to_string(*found + 1) +
                   "; edit it by hand";
        parent_indent = kl.indent;
        begin = *found + 1;
        end = begin;
        while (end < lines.size() && (!is_content(lines[end]) || indent_of(lines[end]) > parent_indent)) ++end;
    }
    return std::nullopt;
}

int run_set(const ConfigOptions& o) {
    const auto file = resolve_config_file(o.config_file).value_or("harperrt.yaml");
    const bool exists = std::filesystem::exists(file);
    // Validate the value the way serve would see it: the file with the key as a --set flag.
    auto checked = load_config(exists ? std::optional(file) : std::nullopt, {o.key + "=" + o.value});
    if (!checked) return print_errors(checked);
    for (const auto& part : split_key(o.key)) {
        if (part.empty() || std::isdigit(static_cast<unsigned char>(part.front())) != 0) {
            fmt::print(stderr, "harperrt config set: '{}' is in a list; edit {} by hand\n", o.key, file.string());
            return exit_failure;
        }
    }
    std::string text;
    if (exists) {
        auto content = slurp(file);
        if (!content) {
            fmt::print(stderr, "harperrt config set: cannot read {}\n", file.string());
            return exit_failure;
        }
        text = std::move(*content);
    }
    std::vector<std::string> lines;
    {
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) lines.push_back(line);
    }
    if (auto problem = edit_lines(lines, split_key(o.key), o.value)) {
        fmt::print(stderr, "harperrt config set: {}\n", *problem);
        return exit_failure;
    }
    std::string edited;
    for (const auto& line : lines) edited += line + "\n";
    auto reloaded = load_config(file, {}, edited);
    if (!reloaded) {
        print_errors(reloaded);
        fmt::print(stderr, "harperrt config set: {} not changed\n", file.string());
        return exit_failure;
    }
    if (!write_text(file, edited)) {
        fmt::print(stderr, "harperrt config set: cannot write {}\n", file.string());
        return exit_failure;
    }
    return exit_ok;
}

int run_validate(const ConfigOptions& o) {
    auto file = o.validate_file ? std::optional(std::filesystem::path(*o.validate_file)) : resolve_config_file(o.config_file);
    if (!file) {
        fmt::print(stderr, "harperrt config validate: no config file (none given, no $HARPERRT_CONFIG, no ./harperrt.yaml)\n");
        return exit_usage;
    }
    auto loaded = load_config(file, o.sets);  // load() only reads the file: no database is opened
    const int rc = print_errors(loaded);
    if (rc == exit_ok) fmt::print("{}: ok\n", file->string());
    return rc;
}

int run_path(const ConfigOptions& o) {
    auto file = resolve_config_file(o.config_file);
    if (!file) {
        fmt::print(stderr, "no config file: serve uses the built-in defaults\n");
        return exit_not_found;
    }
    std::error_code ec;
    auto absolute = std::filesystem::absolute(*file, ec);
    fmt::print("{}\n", (ec ? *file : absolute).string());
    return exit_ok;
}

int run_passwd(const ConfigOptions& o);

}  // namespace

void add_config_command(CLI::App& app, Context& ctx) {
    auto opts = std::make_shared<ConfigOptions>();
    auto* cfg = app.add_subcommand("config", "Create, show, validate and edit harperrt.yaml");
    cfg->require_subcommand(1);
    cfg->add_option("-c,--config", opts->config_file, "Config file (default: $HARPERRT_CONFIG, else ./harperrt.yaml)")
        ->type_name("FILE");
    cfg->footer(
        "Examples:\n"
        "  harperrt config init                          # write a commented harperrt.yaml\n"
        "  harperrt config show                          # effective config, with sources\n"
        "  harperrt config set mqtt.network.port 1884\n"
        "  harperrt config validate harperrt.yaml\n"
        "  echo -n secret | harperrt config passwd alice # hash for users:\n");

    auto* init = cfg->add_subcommand("init", "Write a commented config with every default");
    init->add_option("file", opts->init_file, "Where to write (default ./harperrt.yaml)")->type_name("FILE");
    init->add_flag("--force", opts->force, "Overwrite an existing file");
    init->callback([opts, &ctx] { ctx.exit_code = run_init(*opts); });

    auto* show = cfg->add_subcommand("show", "Print the effective config; each value's comment says where it came from");
    show->add_option("--set", opts->sets, "Override a key as serve --set would (repeatable)")->type_name("KEY=VALUE");
    show->callback([opts, &ctx] { ctx.exit_code = run_show(*opts); });

    auto* get = cfg->add_subcommand("get", "Print one effective value (dotted key, e.g. mqtt.network.port)");
    get->add_option("key", opts->key, "Dotted key")->required()->type_name("KEY");
    get->callback([opts, &ctx] { ctx.exit_code = run_get(*opts); });

    auto* set = cfg->add_subcommand(
        "set", "Set a scalar key in the file, keeping comments (validated first; list items and flow-style sections: edit by hand)");
    set->add_option("key", opts->key, "Dotted key")->required()->type_name("KEY");
    set->add_option("value", opts->value, "YAML scalar")->required()->type_name("VALUE");
    set->callback([opts, &ctx] { ctx.exit_code = run_set(*opts); });

    auto* validate = cfg->add_subcommand("validate", "Check a config file; prints file:line:col: message per problem");
    validate->add_option("file", opts->validate_file, "File to check (default: the one serve would use)")->type_name("FILE");
    validate->add_option("--set", opts->sets, "Also apply KEY=VALUE overrides (repeatable)")->type_name("KEY=VALUE");
    validate->callback([opts, &ctx] { ctx.exit_code = run_validate(*opts); });

    auto* path = cfg->add_subcommand("path", "Print the config file serve would use");
    path->callback([opts, &ctx] { ctx.exit_code = run_path(*opts); });

    auto* passwd = cfg->add_subcommand("passwd", "Read a password from stdin and print its hash for users[].password");
    passwd->add_option("user", opts->user, "User name (for the printed hint)")->required()->type_name("USER");
    passwd->callback([opts, &ctx] { ctx.exit_code = run_passwd(*opts); });
}

namespace {

int run_passwd(const ConfigOptions& o) {
    std::string password;
    std::getline(std::cin, password);  // the first line; a trailing newline is not part of it
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) {
        fmt::print(stderr, "harperrt config passwd: no password on stdin\n");
        return exit_usage;
    }
    const std::string hash = daemon::auth::hash_password(password);
    fmt::print("{}\n", hash);
    fmt::print(stderr, "users:\n  - {{ name: {}, password: \"{}\", roles: [] }}\n", o.user, hash);
    return exit_ok;
}

}  // namespace

}  // namespace harperrt::cmd
