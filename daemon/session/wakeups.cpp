#include "daemon/session/wakeups.hpp"

#include "daemon/session/connection.hpp"

#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>

#include <utility>

namespace harperrt::daemon::session {

namespace asio = boost::asio;

namespace {
// Owns the Wakeups of one io_context; its shutdown drops what is due, as the io_context
// drops the handler that would have run it.
class WakeupsService : public asio::execution_context::service {
public:
    static asio::execution_context::id id;
    explicit WakeupsService(asio::io_context& io) : asio::execution_context::service(io), wakeups(io) {}
    Wakeups wakeups;

private:
    void shutdown() override { wakeups.clear(); }
};
asio::execution_context::id WakeupsService::id;
}  // namespace

Wakeups& wakeups(asio::io_context& io) { return asio::use_service<WakeupsService>(io).wakeups; }

void Wakeups::wake_writer(std::shared_ptr<Connection> conn) {
    writers_.push_back(std::move(conn));
    post_once();
}

void Wakeups::wake_room(std::shared_ptr<Connection> conn) {
    rooms_.push_back(std::move(conn));
    post_once();
}

void Wakeups::post_once() {
    if (posted_) return;
    posted_ = true;
    asio::post(io_, [this] { run(); });
}

void Wakeups::run() {
    posted_ = false;
    // What runs here may wake others: they go to the next round.
    std::swap(writers_, running_writers_);
    std::swap(rooms_, running_rooms_);
    for (const auto& conn : running_writers_) conn->write_next();
    for (const auto& conn : running_rooms_) conn->end_room_wait();
    running_writers_.clear();
    running_rooms_.clear();
}

void Wakeups::clear() noexcept {
    writers_.clear();
    rooms_.clear();
    running_writers_.clear();
    running_rooms_.clear();
    posted_ = false;
}

}  // namespace harperrt::daemon::session
