// cmd/stdin_lines.cpp: see stdin_lines.hpp.
#include "cmd/stdin_lines.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace harperrt::cmd {

namespace asio = boost::asio;

// What the reader thread and the StdinLines share. The thread holds no Asio object but the
// executor, and posts to it only while `abandoned` is false (under `mu`), that is while the
// StdinLines and so its io_context exist.
struct StdinLines::Shared {
    std::mutex mu;
    std::condition_variable room;       // signalled when a line is taken or abandoned is set
    std::deque<std::string> lines;      // guarded by mu
    bool eof = false;                   // guarded by mu
    int error = 0;                      // guarded by mu
    bool abandoned = false;             // guarded by mu
    std::size_t max_queued = 0;         // const after construction
    asio::any_io_executor executor;     // const after construction
    std::weak_ptr<asio::steady_timer> ready;  // const; locked only on the executor's thread
};

namespace {

void strip_cr(std::string& line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
}

}  // namespace

void StdinLines::read_loop(const std::shared_ptr<Shared>& s) {
    std::vector<char> chunk(64 * 1024);
    std::string partial;
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        const int read_error = n < 0 ? errno : 0;
        std::unique_lock lock(s->mu);
        if (n <= 0) {
            strip_cr(partial);
            if (!partial.empty()) s->lines.push_back(std::move(partial));
            s->eof = true;
            s->error = read_error;
        } else {
            partial.append(chunk.data(), static_cast<std::size_t>(n));
            std::size_t start = 0;
            for (std::size_t nl; (nl = partial.find('\n', start)) != std::string::npos; start = nl + 1) {
                s->lines.push_back(partial.substr(start, nl - start));
                strip_cr(s->lines.back());
            }
            partial.erase(0, start);
        }
        if (s->abandoned) return;
        if (!s->lines.empty() || s->eof) {
            asio::post(s->executor, [ready = s->ready] {
                if (auto timer = ready.lock()) timer->cancel();
            });
        }
        if (s->eof) return;
        s->room.wait(lock, [&] { return s->lines.size() < s->max_queued || s->abandoned; });
        if (s->abandoned) return;
    }
}

StdinLines::StdinLines(asio::any_io_executor executor, std::size_t max_queued)
    : shared_(std::make_shared<Shared>()), ready_(std::make_shared<asio::steady_timer>(executor)) {
    shared_->max_queued = max_queued == 0 ? 1 : max_queued;
    shared_->executor = std::move(executor);
    shared_->ready = ready_;
    std::thread([s = shared_] { read_loop(s); }).detach();
}

StdinLines::~StdinLines() {
    {
        const std::lock_guard lock(shared_->mu);
        shared_->abandoned = true;
    }
    shared_->room.notify_all();
}

int StdinLines::error() const {
    const std::lock_guard lock(shared_->mu);
    return shared_->error;
}

asio::awaitable<std::optional<std::string>> StdinLines::async_next() {
    for (;;) {
        {
            const std::lock_guard lock(shared_->mu);
            if (!shared_->lines.empty()) {
                std::optional<std::string> line(std::move(shared_->lines.front()));
                shared_->lines.pop_front();
                shared_->room.notify_one();
                co_return line;
            }
            if (shared_->eof) co_return std::nullopt;
        }
        // The thread's wake-up is posted to this (single) thread, so it runs only once this
        // coroutine is suspended below: a line pushed after the check above is not missed.
        boost::system::error_code ignored;
        ready_->expires_at(asio::steady_timer::time_point::max());
        co_await ready_->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
}

}  // namespace harperrt::cmd
