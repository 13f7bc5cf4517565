// Logging: one line per event on stderr, human text on a terminal and JSON lines otherwise
// (or as configured). Thread-safe; a disabled level costs one relaxed atomic load.
// Passwords and payloads are never logged above debug (callers' rule, DESIGN.md §7).
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <optional>
#include <string_view>

namespace harperrt::log {

enum class Level : int { trace = 0, debug, info, warn, error, off };
enum class Format { text, json };

// Parses "trace|debug|info|warn|error|off"; nullopt for anything else.
std::optional<Level> parse_level(std::string_view);
std::string_view name(Level);

// Sets the threshold and the line format. `format` nullopt: text when stderr is a
// terminal, JSON lines otherwise.
void configure(Level level, std::optional<Format> format = std::nullopt);
void set_level(Level level);

namespace detail {
extern std::atomic<int> threshold;
void write(Level level, std::string_view message);
}  // namespace detail

inline bool enabled(Level level) {
    return static_cast<int>(level) >= detail::threshold.load(std::memory_order_relaxed);
}

template <class... Args>
void log(Level level, fmt::format_string<Args...> fmt, Args&&... args) {
    if (!enabled(level)) return;
    detail::write(level, fmt::format(fmt, std::forward<Args>(args)...));
}

template <class... Args>
void trace(fmt::format_string<Args...> f, Args&&... a) { log(Level::trace, f, std::forward<Args>(a)...); }
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... a) { log(Level::debug, f, std::forward<Args>(a)...); }
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... a) { log(Level::info, f, std::forward<Args>(a)...); }
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... a) { log(Level::warn, f, std::forward<Args>(a)...); }
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... a) { log(Level::error, f, std::forward<Args>(a)...); }

}  // namespace harperrt::log
