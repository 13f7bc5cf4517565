// Wakeups: what handlers of an io_context run by one thread wake in connections (a writer
// with something to send, a publisher waiting for room in a subscriber's queue), run
// together by one posted handler (connection.hpp, design note 9). A PUBLISH to 100
// subscribers then posts once, not 100 times, and a post whose handler is not yet run is
// a heap allocation (Asio recycles one handler block per thread).
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <vector>

namespace harperrt::daemon::session {

class Connection;

// One per io_context (wakeups()); only the io_context's one thread uses it.
class Wakeups {
public:
    explicit Wakeups(boost::asio::io_context& io) : io_(io) {}
    Wakeups(const Wakeups&) = delete;
    Wakeups& operator=(const Wakeups&) = delete;

    // From the next round's handler: runs `conn`'s writer (Connection::write_next), or ends
    // its wait for room (Connection::async_wait_room). On the io_context's thread.
    void wake_writer(std::shared_ptr<Connection> conn);
    void wake_room(std::shared_ptr<Connection> conn);
    // Forgets what is due (io_context shutdown: its handler will not run).
    void clear() noexcept;

private:
    void post_once();
    void run();
    boost::asio::io_context& io_;
    std::vector<std::shared_ptr<Connection>> writers_;
    std::vector<std::shared_ptr<Connection>> rooms_;
    // The batch being run; kept for their capacity.
    std::vector<std::shared_ptr<Connection>> running_writers_;
    std::vector<std::shared_ptr<Connection>> running_rooms_;
    bool posted_ = false;
};

// The Wakeups of `io` (created on first use; it lives as long as `io`).
Wakeups& wakeups(boost::asio::io_context& io);

}  // namespace harperrt::daemon::session
