#include "tests/support/daemon.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#ifndef HARPERRT_BINARY
#error "HARPERRT_BINARY must name the harperrt executable"
#endif

namespace harperrt::test {

namespace fs = std::filesystem;

fs::path harperrt_binary() { return HARPERRT_BINARY; }

namespace {

fs::path make_temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "harperrt-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// HARPERRT_TEST_THREADS, read before main (one thread) and taken out of the environment, so
// that no daemon or CLI a test starts warns about an unknown HARPERRT_ variable.
const std::string test_threads = [] {
    const char* v = std::getenv("HARPERRT_TEST_THREADS");
    std::string value = v != nullptr ? v : "";
    ::unsetenv("HARPERRT_TEST_THREADS");
    return value;
}();

std::optional<std::uint16_t> port_of(const nlohmann::json& j, const char* key) {
    if (!j.contains(key) || j[key].is_null()) return std::nullopt;
    return j[key].get<std::uint16_t>();
}

}  // namespace

Daemon::Daemon(const std::string& extra_yaml, std::vector<std::string> extra_args)
    : dir_(make_temp_dir()), extra_args_(std::move(extra_args)) {
    std::ofstream cfg(dir_ / "harperrt.yaml");
    cfg << "rootPath: " << (dir_ / "data").string() << "\n" << extra_yaml << "\n";
    cfg.close();
    start();
}

Daemon::~Daemon() {
    if (pid_ > 0) stop();
    std::error_code ec;
    if (std::getenv("HARPERRT_KEEP_TEST_DIRS") == nullptr) fs::remove_all(dir_, ec);
}

void Daemon::start() {
    const auto ready = dir_ / "ready.json";
    fs::remove(ready);
    // Watch the directory before starting, so the ready file's rename cannot be missed.
    const int fd = ::inotify_init1(IN_CLOEXEC);
    if (fd < 0 || ::inotify_add_watch(fd, dir_.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
        throw std::runtime_error("inotify failed");
    // Every listener on port 0 (flags win over the file, so extra_yaml may set the rest).
    std::vector<std::string> args{harperrt_binary().string(), "serve", "-c", (dir_ / "harperrt.yaml").string(),
                                  "--ready-file", ready.string(), "--set", "mqtt.network.port=0",
                                  "--set", "http.port=0"};
    // HARPERRT_TEST_THREADS=N runs every test daemon with N io_context threads (CI's TSan
    // stage uses 2); a test's own --set threads=... comes later and wins.
    if (!test_threads.empty()) {
        args.emplace_back("--set");
        args.emplace_back("threads=" + test_threads);
    }
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    pid_ = ::fork();
    if (pid_ == 0) {
        const auto log = (dir_ / "daemon.log").string();
        const int lfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (lfd >= 0) ::dup2(lfd, STDERR_FILENO);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!fs::exists(ready)) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            ::close(fd);
            throw std::runtime_error("harperrt serve exited before it was ready:\n" + log());
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            ::close(fd);
            throw std::runtime_error("harperrt serve was not ready within 30 s:\n" + log());
        }
        pollfd p{fd, POLLIN, 0};
        // Wakes on any change in the directory; the 200 ms cap only notices a crashed child.
        if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 200))) > 0) {
            std::array<char, 4096> buf{};
            [[maybe_unused]] auto n = ::read(fd, buf.data(), buf.size());
        }
    }
    ::close(fd);
    const auto j = nlohmann::json::parse(read_file(ready));
    ports_ = {port_of(j, "mqtt"), port_of(j, "mqtts"), port_of(j, "http"), port_of(j, "https")};
}

void Daemon::restart() {
    if (pid_ > 0) stop();
    start();
}

int Daemon::stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void Daemon::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

std::string Daemon::log() const { return read_file(dir_ / "daemon.log"); }

bool Daemon::reload() {
    const std::string done = "SIGHUP: reloaded";
    auto count = [&] {
        const auto text = log();
        std::size_t n = 0;
        for (auto at = text.find(done); at != std::string::npos; at = text.find(done, at + 1)) ++n;
        return n;
    };
    const auto before = count();
    if (::kill(pid_, SIGHUP) != 0) return false;
    for (int i = 0; i < 100; ++i) {  // the reload is asynchronous: poll the log, 5 s at most
        if (count() > before) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

int run_command(const std::string& command, std::string* out, std::string* err, std::chrono::seconds timeout) {
    const auto dir = make_temp_dir();
    const auto out_path = dir / "out", err_path = dir / "err";
    const std::string full = "timeout -s KILL " + std::to_string(timeout.count()) + " sh -c '" +
                             [&] {
                                 std::string q;
                                 for (char c : command) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
                                 return q;
                             }() +
                             "' >" + out_path.string() + " 2>" + err_path.string() + " </dev/null";
    const int status = std::system(full.c_str());
    if (out) *out = read_file(out_path);
    if (err) *err = read_file(err_path);
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (!WIFEXITED(status)) return -1;
    const int code = WEXITSTATUS(status);
    return code == 137 ? -1 : code;
}

}  // namespace harperrt::test

namespace harperrt::test {

ChildProcess::ChildProcess(const std::string& command) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(fds[1], STDOUT_FILENO);
        const int null = ::open("/dev/null", O_RDONLY);
        if (null >= 0) ::dup2(null, STDIN_FILENO);
        ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
            auto line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || fd_ < 0) return std::nullopt;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
        char buf[4096];
        const auto n = ::read(fd_, buf, sizeof buf);
        if (n <= 0) {
            ::close(fd_);
            fd_ = -1;
            if (buffer_.empty()) return std::nullopt;
            auto rest = std::move(buffer_);
            buffer_.clear();
            return rest;
        }
        buffer_.append(buf, static_cast<std::size_t>(n));
    }
}

int ChildProcess::wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace harperrt::test
