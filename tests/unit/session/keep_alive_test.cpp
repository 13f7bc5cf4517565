// KeepAliveWheel: deadlines are told at or after their time (never before), in order,
// once; cancel and reschedule replace them; a deadline more than one revolution away waits
// for its round; an owner re-armed by traffic survives and one without is told after its
// limit; the wheel holds no work once empty (io_context::run returns). Real time with a
// short tick: each test waits for events (run() returning), never for a fixed time.
#include "daemon/session/keep_alive.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace harperrt::daemon::session {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock = KeepAliveWheel::clock;

// Generous: a loaded machine may run a timer late, never early.
constexpr auto late_slack = 500ms;

// Records when it was told; `on_due` (posted, never under the wheel's lock) may reschedule.
class Probe final : public KeepAliveWheel::Entry {
public:
    Probe(asio::io_context& io, KeepAliveWheel& wheel) : io_(io), wheel_(wheel) {}
    ~Probe() { wheel_.cancel(*this); }
    KeepAliveWheel& wheel() { return wheel_; }
    std::vector<clock::time_point> told;
    std::function<void()> on_due;

private:
    void keep_alive_due() noexcept override {
        told.push_back(clock::now());
        if (on_due) asio::post(io_, on_due);
    }
    asio::io_context& io_;
    KeepAliveWheel& wheel_;
};

TEST(KeepAliveWheel, TellsEachEntryOnceAtItsDeadlineInOrder) {
    asio::io_context io;
    KeepAliveWheel wheel(io.get_executor(), 5ms);
    Probe a(io, wheel), b(io, wheel), c(io, wheel);
    const auto start = clock::now();
    wheel.schedule(a, start + 60ms);
    wheel.schedule(b, start + 10ms);
    wheel.schedule(c, start + 30ms);
    EXPECT_EQ(wheel.size(), 3u);
    io.run();  // returns once the wheel is empty: no wait is left pending
    ASSERT_EQ(a.told.size(), 1u);
    ASSERT_EQ(b.told.size(), 1u);
    ASSERT_EQ(c.told.size(), 1u);
    EXPECT_GE(b.told[0], start + 10ms);
    EXPECT_GE(c.told[0], start + 30ms);
    EXPECT_GE(a.told[0], start + 60ms);
    EXPECT_LE(b.told[0], c.told[0]);
    EXPECT_LE(c.told[0], a.told[0]);
    EXPECT_LT(a.told[0], start + 60ms + late_slack);
    EXPECT_EQ(wheel.size(), 0u);
}

TEST(KeepAliveWheel, CancelAndRescheduleReplaceTheDeadline) {
    asio::io_context io;
    KeepAliveWheel wheel(io.get_executor(), 5ms);
    Probe cancelled(io, wheel), moved(io, wheel), earlier(io, wheel);
    const auto start = clock::now();
    wheel.schedule(cancelled, start + 20ms);
    wheel.schedule(moved, start + 20ms);
    wheel.schedule(earlier, start + 200ms);
    wheel.cancel(cancelled);
    wheel.cancel(cancelled);  // twice: nothing
    wheel.schedule(moved, start + 80ms);
    wheel.schedule(earlier, start + 40ms);  // earlier than the wait the wheel had started
    io.run();
    EXPECT_TRUE(cancelled.told.empty());
    ASSERT_EQ(moved.told.size(), 1u);
    EXPECT_GE(moved.told[0], start + 80ms);
    ASSERT_EQ(earlier.told.size(), 1u);
    EXPECT_GE(earlier.told[0], start + 40ms);
    EXPECT_LT(earlier.told[0], start + 40ms + late_slack);
}

TEST(KeepAliveWheel, AnEmptyWheelHoldsNoWork) {
    asio::io_context io;
    KeepAliveWheel wheel(io.get_executor(), 5ms);
    Probe p(io, wheel);
    wheel.schedule(p, clock::now() + 10s);
    wheel.cancel(p);
    const auto start = clock::now();
    io.run();  // the last cancel ended the wait: run() returns at once
    EXPECT_TRUE(p.told.empty());
    EXPECT_LT(clock::now() - start, 5s);
}

TEST(KeepAliveWheel, ADeadlineBeyondOneRevolutionWaitsForItsRound) {
    asio::io_context io;
    const auto tick = 1ms;
    KeepAliveWheel wheel(io.get_executor(), tick);
    Probe near(io, wheel), far(io, wheel);
    const auto start = clock::now();
    // Exactly one revolution apart: the same slot.
    wheel.schedule(near, start + 50ms);
    wheel.schedule(far, start + 50ms + KeepAliveWheel::slots * tick);
    io.run();
    ASSERT_EQ(near.told.size(), 1u);
    ASSERT_EQ(far.told.size(), 1u);
    EXPECT_GE(near.told[0], start + 50ms);
    EXPECT_GE(far.told[0], start + 50ms + KeepAliveWheel::slots * tick);
}

TEST(KeepAliveWheel, ADeadlineAlreadyPastIsToldAtTheNextTick) {
    asio::io_context io;
    KeepAliveWheel wheel(io.get_executor(), 5ms);
    Probe p(io, wheel);
    wheel.schedule(p, clock::now() - 1s);
    io.run();
    EXPECT_EQ(p.told.size(), 1u);
}

// The Connection's use (connection.cpp, watch_keep_alive): the deadline is the last
// activity plus the limit; traffic only records the time, and when told the owner either
// times out or schedules its moved deadline.
struct Watched {
    Watched(asio::io_context& io, KeepAliveWheel& wheel, clock::duration max_idle) : probe(io, wheel), limit(max_idle) {
        probe.on_due = [this] { check(); };
    }
    void start() {
        last_activity = clock::now();
        probe.wheel().schedule(probe, last_activity + limit);
    }
    void check() {
        const auto now = clock::now();
        if (now >= last_activity + limit) timed_out_at = now;
        else probe.wheel().schedule(probe, last_activity + limit);
    }
    Probe probe;
    clock::duration limit;
    clock::time_point last_activity;
    std::optional<clock::time_point> timed_out_at;
};

TEST(KeepAliveWheel, TrafficKeepsAnOwnerAliveAndSilenceTimesItOut) {
    asio::io_context io;
    KeepAliveWheel wheel(io.get_executor(), 5ms);
    const auto limit = 60ms;
    Watched busy(io, wheel, limit), silent(io, wheel, limit);
    busy.start();
    silent.start();
    // Traffic every 40 ms (less than the limit) for 8 rounds, then silence.
    asio::steady_timer traffic(io);
    int rounds = 0;
    clock::time_point last_traffic;
    std::function<void()> next = [&] {
        traffic.expires_after(40ms);
        traffic.async_wait([&](const boost::system::error_code&) {
            if (busy.timed_out_at) return;
            busy.last_activity = last_traffic = clock::now();
            if (++rounds < 8) next();
        });
    };
    next();
    io.run();
    ASSERT_TRUE(silent.timed_out_at);
    EXPECT_GE(*silent.timed_out_at, silent.last_activity + limit);
    ASSERT_TRUE(busy.timed_out_at);
    EXPECT_EQ(rounds, 8) << "timed out while its traffic went on";
    EXPECT_GE(*busy.timed_out_at, last_traffic + limit);
    EXPECT_LT(*busy.timed_out_at, last_traffic + limit + late_slack);
    EXPECT_GT(busy.probe.told.size(), 1u);  // rescheduled at least once
}

// Owners on strands of several threads schedule and cancel concurrently (run it under
// TSan too): each is told exactly when expected, never early.
TEST(KeepAliveWheel, ManyOwnersOnSeveralThreads) {
    asio::io_context io(4);
    KeepAliveWheel wheel(io.get_executor(), 2ms);
    constexpr int owners = 200;
    constexpr int rounds = 3;
    struct Owner final : KeepAliveWheel::Entry {
        Owner(asio::io_context& io, KeepAliveWheel& w) : strand(asio::make_strand(io)), wheel(w) {}
        ~Owner() { wheel.cancel(*this); }
        void keep_alive_due() noexcept override {
            asio::post(strand, [this] { on_due(); });
        }
        void arm() {
            deadline = clock::now() + std::chrono::milliseconds(5 + (round * 7) % 13);
            wheel.schedule(*this, deadline);
        }
        void on_due() {
            if (clock::now() < deadline) early = true;
            if (++round < rounds) {
                // A cancel and a reschedule, as rearm_keep_alive and close do.
                wheel.cancel(*this);
                arm();
            }
        }
        asio::strand<asio::io_context::executor_type> strand;
        KeepAliveWheel& wheel;
        clock::time_point deadline;
        int round = 0;  // strand-only
        bool early = false;
    };
    std::vector<std::unique_ptr<Owner>> all;
    for (int i = 0; i < owners; ++i) all.push_back(std::make_unique<Owner>(io, wheel));
    for (auto& o : all) asio::post(o->strand, [p = o.get()] { p->arm(); });
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) threads.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : threads) t.join();
    for (const auto& o : all) {
        EXPECT_EQ(o->round, rounds);
        EXPECT_FALSE(o->early);
    }
    EXPECT_EQ(wheel.size(), 0u);
}

}  // namespace
}  // namespace harperrt::daemon::session
