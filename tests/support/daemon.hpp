// Daemon: runs the real `harperrt serve` for an integration test, on port 0 with a ready
// file in a temp dir, so tests run in parallel without fixed ports, sleeps or polling.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace harperrt::test {

struct DaemonPorts {
    std::optional<std::uint16_t> mqtt, mqtts, http, https;
};

class Daemon {
public:
    // `extra_yaml` is appended to a config that sets the data directory to a temp dir; every
    // listener is put on port 0 with --set flags. Starts the daemon and waits for its ready file.
    explicit Daemon(const std::string& extra_yaml = {}, std::vector<std::string> extra_args = {});
    // Stops the daemon (SIGTERM) if it still runs; removes the temp dir.
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Starts again on the same data directory (after stop()).
    void restart();
    // SIGTERM and wait: returns the exit status (0 for a clean drain).
    int stop();
    // SIGKILL and wait.
    void kill();

    const DaemonPorts& ports() const { return ports_; }
    std::uint16_t mqtt_port() const { return ports_.mqtt.value_or(0); }
    const std::filesystem::path& dir() const { return dir_; }
    pid_t pid() const { return pid_; }
    // What the daemon wrote to stderr so far.
    std::string log() const;
    // Sends SIGHUP and waits (up to 5 s) until the daemon logs that it reloaded its config;
    // false if it did not.
    bool reload();

private:
    void start();

    std::filesystem::path dir_;
    std::vector<std::string> extra_args_;
    pid_t pid_ = -1;
    DaemonPorts ports_;
};

// The harperrt binary under test.
std::filesystem::path harperrt_binary();

// `s` as one /bin/sh word (single-quoted).
std::string shell_quote(const std::string& s);

// Runs a command line through /bin/sh with a time limit; captures stdout (and stderr
// into `err` if given). Returns the exit status, or -1 on timeout (the command is killed).
int run_command(const std::string& command, std::string* out = nullptr, std::string* err = nullptr,
                std::chrono::seconds timeout = std::chrono::seconds(30));

}  // namespace harperrt::test

namespace harperrt::test {

// A command started through /bin/sh whose stdout is read line by line as it runs, so a test
// can wait for a subscriber's first line before publishing (no sleeps).
class ChildProcess {
public:
    explicit ChildProcess(const std::string& command);
    ~ChildProcess();  // kills the process if it still runs
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // The next line of stdout without its newline; nullopt at EOF or after `timeout`.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Waits for the exit; returns the exit status (-1 if killed by a signal).
    int wait();

private:
    pid_t pid_ = -1;
    int fd_ = -1;
    std::string buffer_;
};

}  // namespace harperrt::test
