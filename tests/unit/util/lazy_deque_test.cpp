// util::LazyDeque: first in, first out across wrap-around and growth (push, pop, index and
// iterate), move-only elements, each element destroyed exactly once, one pointer in size,
// no allocation before first use nor in a bounded push/pop steady state, and the block
// policy of lazy_deque.hpp design note 3 (freed when a big one drains, kept when small).
#include "common/util/lazy_deque.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

// Counts this thread's calls of the global operator new, to check that the steady state
// does not allocate. Replacing it would hide the sanitizers' own new/delete checks from the
// whole test binary, so sanitized builds skip those tests.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HARPERRT_LAZY_DEQUE_COUNT_NEW 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define HARPERRT_LAZY_DEQUE_COUNT_NEW 0
#endif
#endif
#ifndef HARPERRT_LAZY_DEQUE_COUNT_NEW
#define HARPERRT_LAZY_DEQUE_COUNT_NEW 1
#endif

namespace {
thread_local std::size_t new_calls = 0;
}  // namespace

#if HARPERRT_LAZY_DEQUE_COUNT_NEW
// The other forms (nothrow, array) forward to these in libstdc++ and libc++. Not inlined,
// or gcc sees the new of a call site freed with free() (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t n) {
    ++new_calls;
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace harperrt::util {
namespace {

// False in sanitized builds, and under Valgrind (which replaces operator new itself).
bool new_is_counted() {
    if (!HARPERRT_LAZY_DEQUE_COUNT_NEW) return false;
    const std::size_t before = new_calls;
    ::operator delete(::operator new(1));  // a call, not a new-expression: not elided
    return new_calls == before + 1;
}

static_assert(sizeof(LazyDeque<int>) == sizeof(void*));
static_assert(sizeof(LazyDeque<std::string>) == sizeof(void*));
static_assert(std::forward_iterator<LazyDeque<int>::const_iterator>);

// Counts live instances, so that a missing or double destruction shows.
struct Counted {
    static inline int live = 0;
    int value;
    explicit Counted(int v) : value(v) { ++live; }
    Counted(Counted&& o) noexcept : value(o.value) { ++live; }
    Counted& operator=(Counted&&) = delete;
    ~Counted() { --live; }
};

// 1.5 KiB: more than the 1 KiB kept when drained, even at the first capacity (1).
struct Big {
    int value;
    char pad[1532];
};

std::vector<int> contents(const LazyDeque<int>& q) {
    std::vector<int> out;
    for (const int& v : q) out.push_back(v);
    return out;
}

TEST(LazyDeque, EmptyBeforeFirstUseAllocatesNothing) {
    const bool counted = new_is_counted();
    const std::size_t before = new_calls;
    LazyDeque<std::string> q;
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.size(), 0u);
    EXPECT_EQ(q.capacity(), 0u);
    EXPECT_EQ(q.begin(), q.end());
    q.clear();
    EXPECT_EQ(q.capacity(), 0u);
    if (counted) {
        EXPECT_EQ(new_calls, before);
    }
    q.emplace_back();  // one block (an empty std::string allocates nothing)
    EXPECT_EQ(q.capacity(), 8u);
    if (counted) {
        EXPECT_EQ(new_calls, before + 1);
    }
}

TEST(LazyDeque, FifoAcrossWrapAroundAndGrowth) {
    LazyDeque<int> q;
    int next_in = 0, next_out = 0;
    // Keep 3 in it, so the front moves round the first block many times.
    for (int i = 0; i < 3; ++i) q.push_back(next_in++);
    for (int i = 0; i < 20; ++i) {
        q.push_back(next_in++);
        EXPECT_EQ(q.front(), next_out++);
        q.pop_front();
    }
    EXPECT_EQ(q.capacity(), 8u);
    // Now grow while wrapped: the elements must come over in order.
    for (int i = 0; i < 40; ++i) q.push_back(next_in++);
    EXPECT_EQ(q.size(), 43u);
    EXPECT_EQ(q.capacity(), 64u);
    while (!q.empty()) {
        EXPECT_EQ(q.front(), next_out++);
        q.pop_front();
    }
    EXPECT_EQ(next_out, next_in);
}

TEST(LazyDeque, IndexAndIterationCountFromTheFrontAfterWrapping) {
    LazyDeque<int> q;
    for (int i = 0; i < 6; ++i) q.push_back(i);
    for (int i = 0; i < 5; ++i) q.pop_front();
    for (int i = 6; i < 12; ++i) q.push_back(i);  // slots 5..7 then 0..3 of 8
    ASSERT_EQ(q.capacity(), 8u);
    ASSERT_EQ(q.size(), 7u);
    for (std::size_t i = 0; i < q.size(); ++i) EXPECT_EQ(q[i], static_cast<int>(5 + i));
    EXPECT_EQ(contents(q), (std::vector<int>{5, 6, 7, 8, 9, 10, 11}));
    q[2] = 70;
    const auto& cq = q;
    EXPECT_EQ(cq[2], 70);
    EXPECT_EQ(cq.front(), 5);
    EXPECT_EQ(std::distance(cq.begin(), cq.end()), 7);
}

TEST(LazyDeque, HoldsMoveOnlyElements) {
    LazyDeque<std::unique_ptr<int>> q;
    for (int i = 0; i < 20; ++i) q.push_back(std::make_unique<int>(i));  // grows past 8 and 16
    q.emplace_back(std::make_unique<int>(20));
    for (int i = 0; i <= 20; ++i) {
        ASSERT_TRUE(q.front());
        EXPECT_EQ(*q.front(), i);
        auto taken = std::move(q.front());
        q.pop_front();
    }
    EXPECT_TRUE(q.empty());
}

TEST(LazyDeque, DestroysEachElementOnce) {
    {
        LazyDeque<Counted> q;
        for (int i = 0; i < 30; ++i) q.emplace_back(i);  // two growths move them
        EXPECT_EQ(Counted::live, 30);
        for (int i = 0; i < 10; ++i) q.pop_front();
        EXPECT_EQ(Counted::live, 20);
        q.clear();
        EXPECT_EQ(Counted::live, 0);
        for (int i = 0; i < 5; ++i) q.emplace_back(i);  // usable after clear()
        EXPECT_EQ(Counted::live, 5);
        LazyDeque<Counted> other = std::move(q);
        EXPECT_EQ(Counted::live, 5);
        EXPECT_TRUE(q.empty());
        q = std::move(other);
        EXPECT_EQ(q.size(), 5u);
        for (int i = 0; i < 9; ++i) q.emplace_back(i);
    }  // the destructor takes the rest
    EXPECT_EQ(Counted::live, 0);
}

TEST(LazyDeque, ElementsAreTheirOwnObjects) {
    LazyDeque<std::string> q;
    const std::string long_text(100, 'x');  // not in the small-string buffer
    for (int i = 0; i < 8; ++i) q.push_back(long_text + std::to_string(i));
    q.emplace_back(q.front());  // a copy of an element, made while the block grows
    ASSERT_EQ(q.size(), 9u);
    EXPECT_EQ(q.capacity(), 16u);
    EXPECT_EQ(q[8], long_text + "0");
    EXPECT_EQ(q[0], long_text + "0");
}

TEST(LazyDeque, AThrowingConstructorLeavesTheQueueAsItWas) {
    struct Picky {
        explicit Picky(int v) : value(v) {
            if (v < 0) throw std::invalid_argument("negative");
        }
        int value;
    };
    LazyDeque<Picky> q;
    for (int i = 0; i < 8; ++i) q.emplace_back(i);
    ASSERT_EQ(q.capacity(), 8u);
    EXPECT_THROW(q.emplace_back(-1), std::invalid_argument);  // while growing
    EXPECT_EQ(q.size(), 8u);
    EXPECT_EQ(q.capacity(), 8u);
    for (std::size_t i = 0; i < q.size(); ++i) EXPECT_EQ(q[i].value, static_cast<int>(i));
    q.emplace_back(8);
    EXPECT_THROW(q.emplace_back(-1), std::invalid_argument);  // with room
    EXPECT_EQ(q.size(), 9u);
    EXPECT_EQ(q[8].value, 8);
}

TEST(LazyDeque, BoundedPushPopDoesNotAllocateAfterWarmUp) {
    if (!new_is_counted()) GTEST_SKIP() << "operator new is not counted (sanitizers, Valgrind)";
    struct Outbound {  // about the size of session::Session::Outbound
        std::uint64_t words[9];
    };
    LazyDeque<Outbound> q;
    // Warm up to the bound (100), then drain to 1 and refill many times; 1 never empties
    // it, so the block (128 slots, 9 KiB) is kept.
    for (std::uint64_t i = 0; i < 100; ++i) q.push_back({{i}});
    const std::size_t capacity = q.capacity();
    const std::size_t before = new_calls;
    std::uint64_t next_in = 100, next_out = 0;
    for (int round = 0; round < 100; ++round) {
        while (q.size() > 1) {
            ASSERT_EQ(q.front().words[0], next_out++);
            q.pop_front();
        }
        while (q.size() < 100) q.push_back({{next_in++}});
    }
    EXPECT_EQ(new_calls, before);
    EXPECT_EQ(q.capacity(), capacity);
}

TEST(LazyDeque, SmallQueueKeepsItsBlockWhenDrained) {
    const bool counted = new_is_counted();
    LazyDeque<int> q;
    for (int round = 0; round < 3; ++round) {
        const std::size_t before = new_calls;
        for (int i = 0; i < 8; ++i) q.push_back(i);
        for (int i = 0; i < 8; ++i) q.pop_front();
        EXPECT_TRUE(q.empty());
        EXPECT_EQ(q.capacity(), 8u);  // 32 bytes: kept
        if (counted && round > 0) {
            EXPECT_EQ(new_calls, before);
        }
    }
    q.clear();  // clear() frees even a small block
    EXPECT_EQ(q.capacity(), 0u);
}

TEST(LazyDeque, BigBlockIsFreedWhenDrained) {
    LazyDeque<int> q;
    for (int i = 0; i < 1000; ++i) q.push_back(i);
    EXPECT_EQ(q.capacity(), 1024u);
    for (int i = 0; i < 999; ++i) q.pop_front();
    EXPECT_EQ(q.capacity(), 1024u);  // not empty yet
    q.pop_front();
    EXPECT_EQ(q.capacity(), 0u);  // 4 KiB of slots: freed
    q.push_back(7);               // and allocated afresh, small
    EXPECT_EQ(q.capacity(), 8u);
    EXPECT_EQ(q.front(), 7);

    LazyDeque<Big> packets;  // one 1.5 KiB slot is already above the limit
    packets.push_back(Big{1, {}});
    EXPECT_EQ(packets.capacity(), 1u);
    packets.pop_front();
    EXPECT_EQ(packets.capacity(), 0u);
}

TEST(LazyDeque, KeepBytesSetsTheLimit) {
    LazyDeque<int, 4096> q;  // 1024 ints: 4 KiB of slots, kept
    for (int i = 0; i < 1000; ++i) q.push_back(i);
    for (int i = 0; i < 1000; ++i) q.pop_front();
    EXPECT_EQ(q.capacity(), 1024u);
    for (int i = 0; i < 1025; ++i) q.push_back(i);  // 8 KiB: freed when drained
    for (int i = 0; i < 1025; ++i) q.pop_front();
    EXPECT_EQ(q.capacity(), 0u);
}

}  // namespace
}  // namespace harperrt::util
