// Parking: a parked socket's owner is told when bytes or the end of the stream arrive, and
// only then; the lot keeps owners alive while parked and lets them go on unpark and at
// shutdown (closing what it still holds); it refuses what epoll cannot watch, keeping
// nothing; it holds no work once empty (io_context::run returns). Socket pairs stand in
// for TCP connections; each test waits for events (run() returning), never for a time.
#include "daemon/session/parking.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace harperrt::daemon::session {
namespace {

namespace asio = boost::asio;

// A connected pair: `parked` goes to the lot, the test writes to or closes `peer`.
struct Pair {
    int parked = -1;
    int peer = -1;
    Pair() {
        std::array<int, 2> fds{};
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds.data()) == 0) {
            parked = fds[0];
            peer = fds[1];
        }
    }
    Pair(const Pair&) = delete;
    Pair& operator=(const Pair&) = delete;
    ~Pair() {
        if (parked >= 0) ::close(parked);
        if (peer >= 0) ::close(peer);
    }
};

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

// Counts the lot's calls; `on_ready` runs posted (never inside the lot's call).
class Probe final : public Parking::Owner, public std::enable_shared_from_this<Probe> {
public:
    explicit Probe(asio::io_context& io) : io_(io) {}
    int told = 0;
    std::function<void()> on_ready;

private:
    void parked_ready() noexcept override {
        ++told;
        if (on_ready) asio::post(io_, on_ready);
    }
    asio::io_context& io_;
};

// One socket parked by one probe that unparks when told.
struct OneParked {
    asio::io_context io;
    Parking lot{io};
    Pair pair;
    std::shared_ptr<Probe> probe = std::make_shared<Probe>(io);
    std::optional<std::uint32_t> slot = lot.park(probe, pair.parked);
    OneParked() {
        probe->on_ready = [this] { EXPECT_TRUE(lot.unpark(*slot)); };
    }
};

TEST(Parking, TellsTheOwnerWhenBytesArriveAndLeavesThemToRead) {
    OneParked p;
    ASSERT_TRUE(p.slot);
    EXPECT_EQ(p.lot.size(), 1u);
    ASSERT_EQ(::write(p.pair.peer, "ab", 2), 2);
    p.io.run();  // returns once the owner has unparked: an empty lot holds no work
    EXPECT_EQ(p.probe->told, 1);
    EXPECT_EQ(p.lot.size(), 0u);
    std::array<char, 4> buf{};
    EXPECT_EQ(::recv(p.pair.parked, buf.data(), buf.size(), MSG_DONTWAIT), 2);  // the descriptor is the owner's again
}

TEST(Parking, TellsTheOwnerAtTheEndOfTheStream) {
    OneParked p;
    ASSERT_TRUE(p.slot);
    ::close(std::exchange(p.pair.peer, -1));
    p.io.run();
    EXPECT_EQ(p.probe->told, 1);
}

TEST(Parking, TellsOnlyTheOwnersWhoseSocketsAreReadable) {
    asio::io_context io;
    Parking lot(io);
    constexpr int count = 300;  // 150 readable: more than one batch of events (parking.hpp, design note 6)
    std::vector<std::unique_ptr<Pair>> pairs;
    std::vector<std::shared_ptr<Probe>> probes;
    std::vector<std::uint32_t> slots;
    for (int i = 0; i < count; ++i) {
        pairs.push_back(std::make_unique<Pair>());
        ASSERT_GE(pairs.back()->parked, 0);
        probes.push_back(std::make_shared<Probe>(io));
        const auto slot = lot.park(probes.back(), pairs.back()->parked);
        ASSERT_TRUE(slot);
        slots.push_back(*slot);
    }
    EXPECT_EQ(lot.size(), static_cast<std::size_t>(count));
    // Every other socket gets a byte; each of those owners unparks when told, and the last
    // of them unparks the quiet ones too, so that run() returns.
    int woken = 0;
    for (int i = 0; i < count; i += 2) {
        probes[static_cast<std::size_t>(i)]->on_ready = [&, i] {
            lot.unpark(slots[static_cast<std::size_t>(i)]);
            if (++woken == count / 2)
                for (int j = 1; j < count; j += 2) lot.unpark(slots[static_cast<std::size_t>(j)]);
        };
        ASSERT_EQ(::write(pairs[static_cast<std::size_t>(i)]->peer, "x", 1), 1);
    }
    io.run();
    for (int i = 0; i < count; ++i) EXPECT_EQ(probes[static_cast<std::size_t>(i)]->told, i % 2 == 0 ? 1 : 0) << i;
    EXPECT_EQ(lot.size(), 0u);
    // Freed slots are used again.
    Pair again;
    auto probe = std::make_shared<Probe>(io);
    const auto slot = lot.park(probe, again.parked);
    ASSERT_TRUE(slot);
    EXPECT_LT(*slot, static_cast<std::uint32_t>(count));
    EXPECT_TRUE(lot.unpark(*slot));
}

TEST(Parking, KeepsParkedOwnersAliveAndDropsThemOnUnpark) {
    asio::io_context io;
    Parking lot(io);
    Pair pair;
    std::weak_ptr<Probe> weak;
    std::optional<std::uint32_t> slot;
    {
        auto probe = std::make_shared<Probe>(io);
        weak = probe;
        slot = lot.park(std::move(probe), pair.parked);
        ASSERT_TRUE(slot);
    }
    EXPECT_FALSE(weak.expired());  // only the lot holds it
    EXPECT_TRUE(lot.unpark(*slot));
    EXPECT_TRUE(weak.expired());
    EXPECT_FALSE(lot.unpark(*slot));  // not parked any more
    EXPECT_TRUE(is_open(pair.parked));  // unpark hands the descriptor back open
    io.run();  // nothing pending
}

TEST(Parking, ShutdownClosesWhatItHoldsAndLetsTheOwnersGo) {
    asio::io_context io;
    Parking lot(io);
    Pair pair;
    const int fd = std::exchange(pair.parked, -1);  // the lot's from now on
    std::weak_ptr<Probe> weak;
    std::optional<std::uint32_t> slot;
    {
        auto probe = std::make_shared<Probe>(io);
        weak = probe;
        slot = lot.park(std::move(probe), fd);
        ASSERT_TRUE(slot);
    }
    lot.shutdown();
    EXPECT_TRUE(weak.expired());
    EXPECT_FALSE(is_open(fd));
    EXPECT_FALSE(lot.unpark(*slot));  // the caller must not take back a closed descriptor
    EXPECT_FALSE(lot.park(std::make_shared<Probe>(io), pair.peer));
}

TEST(Parking, RefusesWhatEpollCannotWatchAndKeepsNothing) {
    asio::io_context io;
    Parking lot(io);
    auto probe = std::make_shared<Probe>(io);
    EXPECT_FALSE(lot.park(probe, -1));
    const int file = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);  // a regular file: EPERM
    ASSERT_GE(file, 0);
    EXPECT_FALSE(lot.park(probe, file));
    ::close(file);
    EXPECT_EQ(lot.size(), 0u);
    EXPECT_EQ(probe.use_count(), 1);
    io.run();  // a refused park leaves no wait behind
}

}  // namespace
}  // namespace harperrt::daemon::session
