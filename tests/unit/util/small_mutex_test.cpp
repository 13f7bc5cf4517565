// util::SmallMutex: mutual exclusion under contention (threads incrementing a plain counter
// lose no increment), a waiter sleeps until the holder unlocks, and it takes 4 bytes
// outside ThreadSanitizer builds (where it is std::mutex).
#include "common/util/small_mutex.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace harperrt::util {
namespace {

TEST(SmallMutex, ContendedIncrementsAreNotLost) {
    SmallMutex mu;
    std::uint64_t counter = 0;  // not atomic: only the lock protects it
    constexpr int threads = 4;
    constexpr int per_thread = 200000;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                std::scoped_lock lock(mu);
                ++counter;
            }
        });
    for (auto& w : workers) w.join();
    EXPECT_EQ(counter, static_cast<std::uint64_t>(threads) * per_thread);
}

TEST(SmallMutex, AWaiterProceedsOnlyAfterTheHolderUnlocks) {
    SmallMutex mu;
    std::atomic<bool> released{false};
    std::atomic<bool> entered{false};
    bool saw_release = false;
    mu.lock();
    std::thread waiter([&] {
        std::scoped_lock lock(mu);
        saw_release = released.load();
        entered = true;
    });
    // The waiter cannot get in while we hold the lock, however long that is; give it time
    // to block (it may not have started yet: the check after unlock is what matters).
    for (int i = 0; i < 1000 && !entered.load(); ++i) std::this_thread::yield();
    EXPECT_FALSE(entered.load());
    released = true;
    mu.unlock();
    waiter.join();
    EXPECT_TRUE(entered.load());
    EXPECT_TRUE(saw_release);
}

#if !defined(__SANITIZE_THREAD__)
TEST(SmallMutex, TakesFourBytes) { EXPECT_EQ(sizeof(SmallMutex), 4u); }
#endif

}  // namespace
}  // namespace harperrt::util
