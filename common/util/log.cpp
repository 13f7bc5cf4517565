#include "common/util/log.hpp"

#include "common/util/text.hpp"

#include <fmt/chrono.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <unistd.h>

namespace harperrt::log {

namespace detail {
std::atomic<int> threshold{static_cast<int>(Level::info)};
}  // namespace detail

namespace {

std::atomic<Format> g_format{Format::text};
std::mutex g_mu;


}  // namespace

std::optional<Level> parse_level(std::string_view s) {
    for (int i = 0; i <= static_cast<int>(Level::off); ++i)
        if (name(static_cast<Level>(i)) == s) return static_cast<Level>(i);
    if (s == "warning") return Level::warn;
    return std::nullopt;
}

std::string_view name(Level level) {
    switch (level) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::off: return "off";
    }
    return "?";
}

void configure(Level level, std::optional<Format> format) {
    set_level(level);
    g_format.store(format.value_or(::isatty(STDERR_FILENO) ? Format::text : Format::json));
}

void set_level(Level level) { detail::threshold.store(static_cast<int>(level)); }

void detail::write(Level level, std::string_view message) {
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    std::string line;
    if (g_format.load() == Format::json) {
        line = fmt::format("{{\"ts\":\"{:%FT%T}Z\",\"level\":\"{}\",\"msg\":", now, name(level));
        util::append_json_string(line, message);
        line += "}\n";
    } else {
        line = fmt::format("{:%FT%T}Z {:<5} {}\n", now, name(level), message);
    }
    std::scoped_lock lock(g_mu);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace harperrt::log
