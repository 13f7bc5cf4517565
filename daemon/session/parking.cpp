#include "daemon/session/parking.hpp"

#include <boost/asio/execution_context.hpp>
#include <boost/asio/post.hpp>

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace harperrt::daemon::session {

namespace asio = boost::asio;

namespace {

// Owns the lot of one io_context, so that it lives exactly as long as the io_context and
// lets its connections go when the io_context shuts down (design note 5).
class ParkingService : public asio::execution_context::service {
public:
    static asio::execution_context::id id;
    explicit ParkingService(asio::io_context& io) : asio::execution_context::service(io), lot(io) {}
    Parking lot;

private:
    void shutdown() override { lot.shutdown(); }
};

asio::execution_context::id ParkingService::id;

int make_epoll() {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    return fd;
}

constexpr std::uint32_t parked_events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;

}  // namespace

Parking& parking(asio::io_context& io) { return asio::use_service<ParkingService>(io).lot; }

Parking::Parking(asio::io_context& io) : epfd_(make_epoll()), watch_(io) {
    boost::system::error_code ec;
    watch_.assign(epfd_, ec);
    if (ec) {
        ::close(epfd_);
        throw std::system_error(ec, "watching the parking epoll set");
    }
}

Parking::~Parking() { shutdown(); }

std::optional<std::uint32_t> Parking::park(std::shared_ptr<Owner> owner, int fd) {
    std::scoped_lock lock(mu_);
    if (shut_) return std::nullopt;
    std::uint32_t index = 0;
    if (free_ != 0) {
        index = free_ - 1;
    } else {
        index = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
    }
    auto& slot = slots_[index];
    if (free_ != 0) free_ = slot.next_free;
    epoll_event ev{};
    ev.events = parked_events;
    ev.data.u64 = index;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        slot.next_free = free_;
        free_ = index + 1;
        return std::nullopt;
    }
    slot.owner = std::move(owner);
    slot.fd = fd;
    ++size_;
    if (!waiting_) wait();
    return index;
}

bool Parking::unpark(std::uint32_t index) {
    std::shared_ptr<Owner> owner;  // dropped after the lock is released
    std::scoped_lock lock(mu_);
    if (shut_ || index >= slots_.size() || !slots_[index].owner) return false;
    auto& slot = slots_[index];
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, slot.fd, nullptr);
    owner = std::move(slot.owner);
    slot.fd = -1;
    slot.next_free = free_;
    free_ = index + 1;
    if (--size_ == 0 && waiting_) {
        // An empty lot holds no work (io_context::run() may return); on_ready sees the
        // cancellation and waits again only if something was parked meanwhile.
        boost::system::error_code ignored;
        watch_.cancel(ignored);
    }
    return true;
}

std::size_t Parking::size() const {
    std::scoped_lock lock(mu_);
    return size_;
}

void Parking::shutdown() {
    std::vector<std::shared_ptr<Owner>> owners;
    {
        std::scoped_lock lock(mu_);
        if (shut_) return;
        shut_ = true;
        for (auto& slot : slots_) {
            if (!slot.owner) continue;
            ::close(slot.fd);
            owners.push_back(std::move(slot.owner));
        }
        slots_.clear();
        size_ = 0;
        boost::system::error_code ignored;
        watch_.close(ignored);  // closes epfd_
    }
}

void Parking::wait() {
    waiting_ = true;
    watch_.async_wait(asio::posix::stream_descriptor::wait_read,
                      [this](const boost::system::error_code& ec) { on_ready(ec); });
}

void Parking::on_ready(const boost::system::error_code& ec) {
    {
        std::scoped_lock lock(mu_);
        waiting_ = false;
        if (shut_) return;
        if (ec) {  // cancelled when the lot emptied; something may have been parked since
            if (size_ > 0 && !draining_) wait();
            return;
        }
    }
    drain();
}

void Parking::drain() {
    std::vector<std::shared_ptr<Owner>> ready;
    {
        std::scoped_lock lock(mu_);
        draining_ = false;
        if (shut_) return;
        bool more = take_ready_locked(ready);
        if (!more && size_ > ready.size() && !waiting_) {
            wait();
            more = take_ready_locked(ready);  // design note 4
        }
        if (more) {
            // A full batch: the rest after the handlers these owners post (design note 6).
            draining_ = true;
            asio::post(watch_.get_executor(), [this] { drain(); });
        }
    }
    for (const auto& owner : ready) owner->parked_ready();
}

bool Parking::take_ready_locked(std::vector<std::shared_ptr<Owner>>& ready) {
    std::array<epoll_event, batch> events{};
    int n = 0;
    do {
        n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), 0);
    } while (n < 0 && errno == EINTR);
    for (int i = 0; i < n; ++i) {
        const auto index = events[static_cast<std::size_t>(i)].data.u64;
        if (index < slots_.size() && slots_[index].owner) ready.push_back(slots_[index].owner);
    }
    return n == static_cast<int>(events.size());
}

}  // namespace harperrt::daemon::session
