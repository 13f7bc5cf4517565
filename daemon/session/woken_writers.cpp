#include "daemon/session/woken_writers.hpp"

#include "daemon/session/connection.hpp"

#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>

#include <utility>

namespace harperrt::daemon::session {

namespace asio = boost::asio;

namespace {
// Owns the WokenWriters of one io_context; its shutdown drops what is due, as the
// io_context drops the handler that would have run it.
class WokenWritersService : public asio::execution_context::service {
public:
    static asio::execution_context::id id;
    explicit WokenWritersService(asio::io_context& io) : asio::execution_context::service(io), writers(io) {}
    WokenWriters writers;

private:
    void shutdown() override { writers.clear(); }
};
asio::execution_context::id WokenWritersService::id;
}  // namespace

WokenWriters& woken_writers(asio::io_context& io) { return asio::use_service<WokenWritersService>(io).writers; }

void WokenWriters::add(std::shared_ptr<Connection> conn) {
    due_.push_back(std::move(conn));
    if (posted_) return;
    posted_ = true;
    asio::post(io_, [this] { run(); });
}

void WokenWriters::run() {
    posted_ = false;
    // A writer run here may wake others: they go to due_ and the next round.
    std::swap(due_, running_);
    for (const auto& conn : running_) conn->write_next();
    running_.clear();
}

void WokenWriters::clear() noexcept {
    due_.clear();
    running_.clear();
    posted_ = false;
}

}  // namespace harperrt::daemon::session
