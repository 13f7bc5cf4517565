// KeepAliveWheel: the deadlines of every connection of an io_context (CONNECT timeout, keep
// alive, close grace) on one timer, so that a connection holds a 32-byte hook rather than a
// timer and a pending wait of its own (about 235 bytes per idle connection). Deadlines are
// rounded up to the next tick, never down: an entry is told at, or less than one tick
// after, its deadline. Thread-safe.
//
// Design notes
//   1. A hashed timing wheel: `slots` intrusive lists, an entry due at tick t sits in slot
//      t % slots; a sweep visits the slots of the ticks that have passed and takes the
//      entries whose tick has come (an entry due more than one revolution ahead stays
//      for a later round). Scheduling and cancelling are O(1) and allocate nothing.
//   2. The timer waits only for the next tick whose slot holds an entry (none when the
//      wheel is empty), so idle connections with long keep alives wake it rarely.
//   3. One mutex guards everything, the timer included (its wait is started and moved
//      only under it). Entry::keep_alive_due runs under the mutex, which is what makes it
//      safe against the owner's destructor: the owner cancels its entry first, which
//      waits for a running keep_alive_due to return.
//   4. Deadlines move lazily: traffic does not touch the wheel. The owner schedules the
//      deadline it knows; when told, it rechecks and schedules the later one if its
//      deadline has moved on (a busy connection: one reschedule per keep-alive period).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>

namespace harperrt::daemon::session {

class KeepAliveWheel {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::size_t slots = 512;
    static constexpr clock::duration default_tick = std::chrono::milliseconds(100);

    // The hook a watched object derives from. Not copyable; its owner must call cancel()
    // before the Entry is destroyed (first thing in its destructor, see design note 3).
    class Entry {
    public:
        Entry() = default;
        Entry(const Entry&) = delete;
        Entry& operator=(const Entry&) = delete;

    protected:
        virtual ~Entry() = default;  // virtual for -Wnon-virtual-dtor only: never deleted through

    private:
        friend class KeepAliveWheel;
        // The scheduled deadline has passed; the entry is no longer scheduled. Runs on the
        // wheel's timer (any thread) under the wheel's mutex: keep it short (post the work
        // to the owner's strand), do not call the wheel from it, and do not drop the last
        // reference to the owner in it (its destructor's cancel() would wait for itself).
        virtual void keep_alive_due() noexcept = 0;

        Entry* prev_ = nullptr;  // guarded by the wheel's mutex
        Entry* next_ = nullptr;  // guarded by the wheel's mutex
        std::int64_t due_ = -1;  // guarded by the wheel's mutex; its tick, -1: not scheduled
    };

    // Timer callbacks run on `executor` (any executor of the io_context; no strand needed).
    explicit KeepAliveWheel(const boost::asio::any_io_executor& executor, clock::duration tick = default_tick);
    KeepAliveWheel(const KeepAliveWheel&) = delete;
    KeepAliveWheel& operator=(const KeepAliveWheel&) = delete;
    ~KeepAliveWheel() = default;

    // (Re)schedules `e` to be told once `deadline` has passed (at the next tick when it
    // has passed already). Replaces a deadline scheduled before. Any thread.
    void schedule(Entry& e, clock::time_point deadline);
    // Unschedules `e`; nothing when it is not scheduled. Waits for a keep_alive_due of
    // `e` that is running. Any thread.
    void cancel(Entry& e);
    // How many entries are scheduled. Any thread.
    std::size_t size() const;

private:
    void on_timer(const boost::system::error_code& ec);
    // Requires mu_. Tells and unlinks every entry due at or before tick `now`.
    void sweep_locked(std::int64_t now);
    // Requires mu_. Starts the timer's wait for tick `t` (replacing the one pending).
    void arm_locked(std::int64_t t);
    // Requires mu_.
    void link_locked(Entry& e);
    void unlink_locked(Entry& e);
    std::int64_t tick_of(clock::time_point t) const;  // the last tick at or before t

    const clock::duration tick_;
    mutable std::mutex mu_;
    boost::asio::steady_timer timer_;              // guarded by mu_
    std::array<Entry*, slots> heads_{};            // guarded by mu_
    std::size_t size_ = 0;                         // guarded by mu_
    std::int64_t swept_;                           // guarded by mu_; ticks up to here are swept
    std::int64_t armed_ = std::numeric_limits<std::int64_t>::max();  // guarded by mu_; the wait's tick
};

// The wheel of `io` (one per io_context, created on first use; it lives as long as `io`).
KeepAliveWheel& keep_alive_wheel(boost::asio::io_context& io);

}  // namespace harperrt::daemon::session
