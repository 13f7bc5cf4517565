// The shell completions in completions/ complete option values: for every option that
// `harperrt __complete` lists with fixed values (the 4th field), bash offers exactly those
// values after `OPT `, `OPT=` and a prefix of one, fish does too (when fish is installed),
// and the zsh script lists them; options without fixed values complete file names, and only
// in the subcommands where they take a value; and the scripts are what
// completions/generate.py writes today. (cli_test.cpp checks that every option is in each
// script and man page.)
#include "tests/support/daemon.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace harperrt::test {
namespace {

namespace fs = std::filesystem;

std::string sh_quote(const std::string& s) {
    std::string out = "'";
    for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::string item;
    std::istringstream in(text);
    while (std::getline(in, item, sep))
        if (!item.empty()) out.push_back(item);
    return out;
}

// An option of `harperrt __complete` with fixed values.
struct Choice {
    std::string path;                  // "sub", "config set"
    std::string option;                // "-o", "--output"
    std::vector<std::string> values;   // in the CLI's order
};

std::vector<Choice> choices_of_cli() {
    std::string out, err;
    EXPECT_EQ(run_command(sh_quote(harperrt_binary().string()) + " __complete", &out, &err), 0) << err;
    std::vector<Choice> found;
    for (const auto& line : split(out, '\n')) {
        const auto fields = split(line, '\t');
        if (fields.size() < 4) continue;
        auto option = fields[1];
        EXPECT_EQ(option.back(), '=') << "fixed values for an option that takes none: " << line;
        option.pop_back();
        found.push_back({fields[0], option, split(fields[3], ' ')});
    }
    return found;
}

class Completion : public ::testing::Test {
protected:
    Completion() : dir_(fs::temp_directory_path() / ("harperrt-completion-" + std::to_string(::getpid()))) {
        fs::create_directories(dir_);
    }
    ~Completion() override { fs::remove_all(dir_); }

    // COMPREPLY of the bash completion for COMP_WORDS = `words`, completing the last word.
    std::vector<std::string> bash(const std::vector<std::string>& words) {
        std::string script = "source " + sh_quote((source_ / "completions/harperrt.bash").string()) + "\nCOMP_WORDS=(";
        for (const auto& w : words) script += sh_quote(w) + " ";
        script += ")\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
                  "\n_harperrt\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
        std::ofstream(dir_ / "complete.sh", std::ios::trunc) << script;
        std::string out, err;
        EXPECT_EQ(run_command("bash --norc --noprofile " + sh_quote((dir_ / "complete.sh").string()), &out, &err), 0) << err;
        return split(out, '\n');
    }
    static std::vector<std::string> words_for(const Choice& c) {
        std::vector<std::string> words{"harperrt"};
        if (c.path != "harperrt")
            for (const auto& p : split(c.path, ' ')) words.push_back(p);
        return words;
    }
    static std::vector<std::string> sorted(std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
    }

    // Not __FILE__: ccache's base_dir makes it relative to the build directory.
    const fs::path source_ = HARPERRT_SOURCE_DIR;
    fs::path dir_;
};

TEST_F(Completion, BashOffersTheFixedValuesOfOptions) {
    const auto choices = choices_of_cli();
    // At least the ones DESIGN.md §8 names: QoS, output, format, accept, protocol version.
    std::vector<std::string> names;
    for (const auto& c : choices) names.push_back(c.path + " " + c.option);
    for (const auto* expected : {"sub -q", "sub --qos", "pub --qos", "sub -o", "sub --output", "pub --format",
                                 "put --format", "sub --accept", "get --accept", "sub -V", "pub --protocol"})
        EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;

    for (const auto& c : choices) {
        auto words = words_for(c);
        words.push_back(c.option);
        words.push_back("");
        EXPECT_EQ(sorted(bash(words)), sorted(c.values)) << c.path << " " << c.option << " <TAB>";
        // A prefix of the first value offers the values that start with it.
        words.back() = c.values.front().substr(0, 1);
        std::vector<std::string> matching;
        for (const auto& v : c.values)
            if (v.starts_with(words.back())) matching.push_back(v);
        EXPECT_EQ(sorted(bash(words)), sorted(matching)) << c.path << " " << c.option << " " << words.back() << "<TAB>";
        if (!c.option.starts_with("--")) continue;
        // --opt=<TAB> and --opt=x<TAB>: readline makes "=" a word of its own.
        words.back() = "=";
        EXPECT_EQ(sorted(bash(words)), sorted(c.values)) << c.path << " " << c.option << "=<TAB>";
        words.push_back(c.values.front());
        EXPECT_EQ(bash(words), std::vector<std::string>{c.values.front()}) << c.path << " " << c.option << "=value<TAB>";
    }
}

TEST_F(Completion, BashCompletesFileNamesOnlyForOptionsThatTakeOne) {
    fs::create_directories(dir_ / "files");
    std::ofstream(dir_ / "files/conf.yaml") << "{}\n";
    const auto prefix = (dir_ / "files/co").string();
    const std::vector<std::string> file{(dir_ / "files/conf.yaml").string()};
    EXPECT_EQ(bash({"harperrt", "serve", "-c", prefix}), file);
    EXPECT_EQ(bash({"harperrt", "pub", "--file", prefix}), file);
    EXPECT_EQ(bash({"harperrt", "config", "--config", "=", prefix}), file);
    // In sub, -c is the flag --persistent: what follows is an option, not a file.
    const auto after_flag = bash({"harperrt", "sub", "-c", "--out"});
    EXPECT_EQ(after_flag, std::vector<std::string>{"--output"});
    EXPECT_EQ(bash({"harperrt", "sub", "-c", prefix}), std::vector<std::string>{});
    // After a value, options again.
    EXPECT_EQ(bash({"harperrt", "sub", "-o", "json", "--ret"}), std::vector<std::string>{"--retained-only"});
}

TEST_F(Completion, FishAndZshOfferTheSameValues) {
    const auto fish = slurp(source_ / "completions/harperrt.fish");
    const auto zsh = slurp(source_ / "completions/_harperrt");
    const bool have_fish = run_command("command -v fish >/dev/null") == 0;
    for (const auto& c : choices_of_cli()) {
        std::string joined;
        for (const auto& v : c.values) joined += (joined.empty() ? "" : " ") + v;
        const auto flag = c.option.starts_with("--") ? "-l " + c.option.substr(2) : "-s " + c.option.substr(1);
        EXPECT_NE(fish.find("'__fish_seen_subcommand_from " + c.path + "' " + flag + " -x -a '" + joined + "'"),
                  std::string::npos)
            << "fish: " << c.path << " " << c.option;
        EXPECT_NE(zsh.find("\"" + c.path + " " + c.option + "\""), std::string::npos) << "zsh: " << c.path << " " << c.option;
        EXPECT_NE(zsh.find("compadd -- " + joined + ";"), std::string::npos) << "zsh: " << c.path << " " << c.option;
        if (!have_fish) continue;
        std::string out, err;
        const auto line = "harperrt " + c.path + " " + c.option + " ";
        ASSERT_EQ(run_command("fish --no-config -c " +
                                  sh_quote("source " + sh_quote((source_ / "completions/harperrt.fish").string()) +
                                           "; complete -C " + sh_quote(line)),
                              &out, &err), 0) << err;
        std::vector<std::string> offered;
        for (const auto& l : split(out, '\n')) offered.push_back(l.substr(0, l.find('\t')));
        EXPECT_EQ(sorted(offered), sorted(c.values)) << "fish: " << line;
    }
    if (run_command("command -v zsh >/dev/null") == 0) {
        std::string out;
        EXPECT_EQ(run_command("zsh -n " + sh_quote((source_ / "completions/_harperrt").string()) + " 2>&1", &out), 0) << out;
    }
}

// completions/generate.py, run on the binary under test, writes the scripts as they are in
// the tree (the man pages it also writes are checked by cli_test.cpp).
TEST_F(Completion, ScriptsAreWhatTheGeneratorWrites) {
    if (run_command("command -v python3 >/dev/null") != 0) GTEST_SKIP() << "no python3";
    fs::create_directories(dir_ / "gen/completions");
    fs::create_directories(dir_ / "gen/man");
    fs::copy_file(source_ / "completions/generate.py", dir_ / "gen/completions/generate.py");
    std::string out, err;
    ASSERT_EQ(run_command("python3 " + sh_quote((dir_ / "gen/completions/generate.py").string()) + " " +
                              sh_quote(harperrt_binary().string()), &out, &err), 0) << err;
    for (const auto* name : {"harperrt.bash", "_harperrt", "harperrt.fish"})
        EXPECT_EQ(slurp(dir_ / "gen/completions" / name), slurp(source_ / "completions" / name))
            << "completions/" << name << " is out of date: run completions/generate.py path/to/harperrt";
}

}  // namespace
}  // namespace harperrt::test
