// util::SmallMutex: a mutex in 4 bytes (std::mutex is 40 on glibc), for objects there are
// many of: every connection and every session holds one, and 10k idle clients should not
// pay 80 bytes each for locks nobody contends. Meets BasicLockable (std::scoped_lock).
//
// Design notes
//   1. States: 0 unlocked, 1 locked, 2 locked and maybe waited for. lock() takes 0 -> 1
//      with one compare-exchange; when that fails it marks the lock 2 and sleeps in
//      std::atomic::wait (a futex on Linux) until unlock() stores 0, which wakes a waiter
//      only when the state was 2 (U. Drepper, "Futexes Are Tricky", mutex 2). A waiter
//      that wakes takes the lock as 2 again, since others may still wait.
//   2. Under ThreadSanitizer it is std::mutex: TSan's lock-order (deadlock) detector
//      follows pthread mutexes, not atomics, and it has found an inversion between these
//      very locks before (connection.cpp, async_wait_drained).
//   3. Not recursive, no try_lock, not fair: what these locks guard are short sections
//      (append to an output buffer, update a session's queues).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

namespace harperrt::util {

#if defined(__SANITIZE_THREAD__)
using SmallMutex = std::mutex;
#else
class SmallMutex {
public:
    SmallMutex() = default;
    SmallMutex(const SmallMutex&) = delete;
    SmallMutex& operator=(const SmallMutex&) = delete;

    void lock() noexcept {
        std::uint32_t seen = 0;
        if (state_.compare_exchange_strong(seen, 1, std::memory_order_acquire, std::memory_order_relaxed)) return;
        if (seen != 2) seen = state_.exchange(2, std::memory_order_acquire);
        while (seen != 0) {
            state_.wait(2, std::memory_order_relaxed);
            seen = state_.exchange(2, std::memory_order_acquire);
        }
    }

    void unlock() noexcept {
        if (state_.exchange(0, std::memory_order_release) == 2) state_.notify_one();
    }

private:
    std::atomic<std::uint32_t> state_{0};
};
#endif

}  // namespace harperrt::util
