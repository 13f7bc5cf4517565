// util::RecyclingAllocator: a freed block comes back for the next allocation of its size
// class on the same thread, the cache per class is bounded, large blocks bypass it, a
// block freed on another thread joins that thread's cache, and a thread's spares are freed
// when it exits (LeakSanitizer would report them). Recycling is off under ASan (design note
// 3), where only the plain allocate/free behaviour is checked.
#include "common/util/recycling_allocator.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <thread>
#include <vector>

namespace harperrt::util {
namespace {

using Cache = detail::BlockCache;

struct Op {
    std::array<std::byte, 200> bytes;  // about a write operation's size
};

TEST(RecyclingAllocator, AFreedBlockIsReusedForItsSizeClass) {
    RecyclingAllocator<Op> alloc;
    Op* first = alloc.allocate(1);
    first->bytes[199] = std::byte{1};  // the whole object is usable
    alloc.deallocate(first, 1);
    if (!Cache::enabled()) GTEST_SKIP() << "no recycling under AddressSanitizer";
    EXPECT_EQ(Cache::spares(sizeof(Op)), 1u);
    Op* again = alloc.allocate(1);
    EXPECT_EQ(again, first);
    EXPECT_EQ(Cache::spares(sizeof(Op)), 0u);
    // Another class (here 64 bytes) does not take it.
    RecyclingAllocator<std::byte> bytes;
    alloc.deallocate(again, 1);
    std::byte* small = bytes.allocate(40);
    EXPECT_NE(static_cast<void*>(small), static_cast<void*>(again));
    bytes.deallocate(small, 40);
}

TEST(RecyclingAllocator, TheCacheIsBoundedAndLargeBlocksBypassIt) {
    if (!Cache::enabled()) GTEST_SKIP() << "no recycling under AddressSanitizer";
    RecyclingAllocator<Op> alloc;
    std::vector<Op*> ops;
    for (std::size_t i = 0; i < Cache::per_class + 8; ++i) ops.push_back(alloc.allocate(1));
    for (auto* p : ops) alloc.deallocate(p, 1);
    EXPECT_EQ(Cache::spares(sizeof(Op)), Cache::per_class);  // the other 8 went to the heap
    for (auto*& p : ops) p = alloc.allocate(1);  // drains the cache again
    for (auto* p : ops) alloc.deallocate(p, 1);

    RecyclingAllocator<std::byte> bytes;
    std::byte* big = bytes.allocate(4096);
    bytes.deallocate(big, 4096);
    EXPECT_EQ(Cache::spares(4096), 0u);
}

TEST(RecyclingAllocator, ABlockFreedOnAnotherThreadJoinsThatThreadsCache) {
    RecyclingAllocator<Op> alloc;
    Op* here = alloc.allocate(1);
    std::size_t spares_there = 0;
    std::thread([&] {
        alloc.deallocate(here, 1);
        spares_there = Cache::spares(sizeof(Op));
    }).join();  // its spares are freed as it exits
    if (!Cache::enabled()) GTEST_SKIP() << "no recycling under AddressSanitizer";
    EXPECT_EQ(spares_there, 1u);
}

TEST(RecyclingAllocator, InstancesAreInterchangeable) {
    RecyclingAllocator<Op> a;
    RecyclingAllocator<int> b;
    EXPECT_TRUE(a == b);
    RecyclingAllocator<Op> c(b);
    Op* p = a.allocate(1);
    c.deallocate(p, 1);  // freed through another instance
}

}  // namespace
}  // namespace harperrt::util
