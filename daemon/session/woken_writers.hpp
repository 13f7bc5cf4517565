// WokenWriters: the connections whose writers were woken by handlers of an io_context run
// by one thread, run together by one posted handler (connection.hpp, design note 9), so a
// PUBLISH to 100 subscribers posts once, not 100 times.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <vector>

namespace harperrt::daemon::session {

class Connection;

// One per io_context (woken_writers()); only the io_context's one thread uses it.
class WokenWriters {
public:
    explicit WokenWriters(boost::asio::io_context& io) : io_(io) {}
    WokenWriters(const WokenWriters&) = delete;
    WokenWriters& operator=(const WokenWriters&) = delete;

    // Runs `conn`'s writer from the next round's handler. On the io_context's thread.
    void add(std::shared_ptr<Connection> conn);
    // Forgets what is due (io_context shutdown: its handler will not run).
    void clear() noexcept;

private:
    void run();
    boost::asio::io_context& io_;
    std::vector<std::shared_ptr<Connection>> due_;
    std::vector<std::shared_ptr<Connection>> running_;  // the batch being run; kept for its capacity
    bool posted_ = false;
};

// The list of `io` (created on first use; it lives as long as `io`).
WokenWriters& woken_writers(boost::asio::io_context& io);

}  // namespace harperrt::daemon::session
