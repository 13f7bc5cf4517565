// StdinLines: the lines of stdin for `pub -l`, read on a thread of their own so the
// io_context stays free while stdin is quiet: the keep-alive pinger keeps sending PINGREQ
// however long `tail -f` waits for its next line.
//
// Design note: the alternative, asio::posix::stream_descriptor on fd 0, puts stdin's file
// description in O_NONBLOCK mode, which the shell and any other process sharing the terminal
// or pipe would see, and cannot wait for a regular file. A blocking read(2) on a thread has
// neither problem; the thread is detached, so a read that never returns does not keep the
// process alive.
#pragma once

#include <utility>  // before Asio: Boost 1.74 awaitable.hpp uses std::exchange without it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>

namespace harperrt::cmd {

class StdinLines {
public:
    // Starts the reader thread. It reads ahead at most `max_queued` lines.
    explicit StdinLines(boost::asio::any_io_executor executor, std::size_t max_queued = 1024);
    // Stops the reader thread from touching the io_context (it may stay blocked in read(2)
    // until the process exits).
    ~StdinLines();
    StdinLines(const StdinLines&) = delete;
    StdinLines& operator=(const StdinLines&) = delete;

    // The next line without its "\n" (and a "\r" before it); the last line need not end in
    // "\n". nullopt at the end of stdin or on a read error (see error()).
    // Call from the executor's thread, one call at a time.
    boost::asio::awaitable<std::optional<std::string>> async_next();

    // The errno of a failed read(2), 0 at a normal end of input.
    int error() const;

private:
    struct Shared;
    static void read_loop(const std::shared_ptr<Shared>& shared);  // the reader thread
    std::shared_ptr<Shared> shared_;
    std::shared_ptr<boost::asio::steady_timer> ready_;  // cancelled when a line or the end arrives
};

}  // namespace harperrt::cmd
