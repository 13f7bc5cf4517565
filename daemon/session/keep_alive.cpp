#include "daemon/session/keep_alive.hpp"

#include <boost/asio/execution_context.hpp>

#include <algorithm>

namespace harperrt::daemon::session {

namespace asio = boost::asio;

namespace {

// Owns the wheel of one io_context, so that it lives exactly as long as the io_context:
// created on first use, destroyed with the io_context's services (after every handler
// that could hold a Connection is gone).
class WheelService : public asio::execution_context::service {
public:
    static asio::execution_context::id id;
    explicit WheelService(asio::io_context& io) : asio::execution_context::service(io), wheel(io.get_executor()) {}
    KeepAliveWheel wheel;

private:
    void shutdown() override {}
};

asio::execution_context::id WheelService::id;

// Floor division (time points before the clock's epoch would be negative).
std::int64_t floor_div(std::int64_t n, std::int64_t d) { return n / d - ((n % d != 0) && ((n < 0) != (d < 0))); }

}  // namespace

KeepAliveWheel& keep_alive_wheel(asio::io_context& io) { return asio::use_service<WheelService>(io).wheel; }

KeepAliveWheel::KeepAliveWheel(const asio::any_io_executor& executor, clock::duration tick)
    : tick_(tick), timer_(executor), swept_(tick_of(clock::now())) {}

std::int64_t KeepAliveWheel::tick_of(clock::time_point t) const {
    return floor_div(t.time_since_epoch().count(), tick_.count());
}

void KeepAliveWheel::schedule(Entry& e, clock::time_point deadline) {
    // The first tick at or after the deadline: never early.
    std::int64_t due = -floor_div(-deadline.time_since_epoch().count(), tick_.count());
    std::scoped_lock lock(mu_);
    if (e.due_ >= 0) unlink_locked(e);
    due = std::max(due, swept_ + 1);  // a tick already swept: the next one
    e.due_ = due;
    link_locked(e);
    if (due < armed_) arm_locked(due);
}

void KeepAliveWheel::cancel(Entry& e) {
    std::scoped_lock lock(mu_);
    if (e.due_ < 0) return;
    unlink_locked(e);
    // Otherwise the timer keeps its wait, which may find nothing due.
    if (size_ == 0 && armed_ != std::numeric_limits<std::int64_t>::max()) {
        armed_ = std::numeric_limits<std::int64_t>::max();
        timer_.cancel();  // an empty wheel holds no work
    }
}

std::size_t KeepAliveWheel::size() const {
    std::scoped_lock lock(mu_);
    return size_;
}

void KeepAliveWheel::on_timer(const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // replaced by an earlier wait
    std::scoped_lock lock(mu_);
    const auto now = tick_of(clock::now());
    sweep_locked(now);
    armed_ = std::numeric_limits<std::int64_t>::max();
    if (size_ == 0) {
        timer_.cancel();  // a wait a schedule() started meanwhile; an empty wheel holds no work
        return;
    }
    // Design note 2: wake for the next tick whose slot holds anything (it may hold only
    // entries of a later revolution; that wake-up then finds nothing due).
    for (auto t = now + 1; t <= now + static_cast<std::int64_t>(slots); ++t) {
        if (heads_[static_cast<std::size_t>(t) % slots] != nullptr) {
            arm_locked(t);
            return;
        }
    }
}

void KeepAliveWheel::sweep_locked(std::int64_t now) {
    if (now <= swept_) return;
    // Every slot at most once, however long the wheel slept.
    const auto from = std::max(swept_ + 1, now - static_cast<std::int64_t>(slots) + 1);
    for (auto t = from; t <= now && size_ > 0; ++t) {
        Entry* e = heads_[static_cast<std::size_t>(t) % slots];
        while (e != nullptr) {
            Entry* next = e->next_;
            if (e->due_ <= now) {
                unlink_locked(*e);
                e->keep_alive_due();
            }
            e = next;
        }
    }
    swept_ = now;
}

void KeepAliveWheel::arm_locked(std::int64_t t) {
    armed_ = t;
    timer_.expires_at(clock::time_point(clock::duration(t * tick_.count())));
    timer_.async_wait([this](const boost::system::error_code& ec) { on_timer(ec); });
}

void KeepAliveWheel::link_locked(Entry& e) {
    auto& head = heads_[static_cast<std::size_t>(e.due_) % slots];
    e.prev_ = nullptr;
    e.next_ = head;
    if (head != nullptr) head->prev_ = &e;
    head = &e;
    ++size_;
}

void KeepAliveWheel::unlink_locked(Entry& e) {
    if (e.prev_ != nullptr) e.prev_->next_ = e.next_;
    else heads_[static_cast<std::size_t>(e.due_) % slots] = e.next_;
    if (e.next_ != nullptr) e.next_->prev_ = e.prev_;
    e.prev_ = e.next_ = nullptr;
    e.due_ = -1;
    --size_;
}

}  // namespace harperrt::daemon::session
