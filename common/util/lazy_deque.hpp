// util::LazyDeque: a FIFO queue (push at the back, pop at the front, index from the front)
// in one pointer that allocates nothing until first used, and nothing per element once it
// has grown to its working size. Most of 10k idle connections and sessions never defer,
// pipeline or queue anything and should not pay for it (an empty std::deque allocates
// about 1 KiB), and a busy one should not allocate per message (std::deque allocates and
// frees a 512-byte block every few entries that pass through it).
//
// Design notes
//   1. The only member is a pointer to one heap block: a 12-byte header (head index, size,
//      capacity) followed by the element slots, a ring buffer. Null until first used and
//      after the block is freed (note 3): empty, capacity 0.
//   2. Capacity is a power of two, so that a slot index is (head + i) & (capacity - 1).
//      The first block holds 8 elements, or fewer for big T (at most about 512 bytes of
//      slots, at least 1); a full block is replaced by one twice its size, the elements
//      moved over in order. So a queue whose length stays bounded stops allocating once
//      it has grown to that bound.
//   3. Memory: the block stays allocated while the queue empties and fills again, so a
//      queue that holds a few messages at a time (slots up to KeepBytes, 1 KiB unless the
//      user says otherwise: a dozen or so of daemon/session's Outbounds) allocates nothing
//      in its steady state. But pop_front() frees the block when it empties one whose
//      slots take more than KeepBytes, so that a
//      burst (thousands queued for a slow subscriber, or one 1.2 KB mqtt::Packet deferred)
//      does not leave tens of KiB behind on a connection that is idle afterwards; growing
//      back to n entries costs log2(n) allocations, not one per message. clear() always
//      frees the block.
//   4. Exception safety: growth gives the strong guarantee when T's move constructor is
//      noexcept (the new element is constructed first, then the others moved), else the
//      basic one (a throwing move leaves the queue as it was, its elements valid but
//      possibly moved from). pop_front() and clear() do not throw.
//   5. Not thread-safe; the users guard it (a session's mu_, a connection's strand).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <new>
#include <stdexcept>
#include <utility>

namespace harperrt::util {

template <class T, std::size_t KeepBytes = 1024>
class LazyDeque {
    struct Header {
        std::uint32_t head;  // slot of the front element
        std::uint32_t size;
        std::uint32_t capacity;  // a power of two
    };

public:
    class const_iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = const T*;
        using reference = const T&;

        const_iterator() = default;
        reference operator*() const noexcept { return *slot(h_, i_); }
        pointer operator->() const noexcept { return slot(h_, i_); }
        const_iterator& operator++() noexcept {
            ++i_;
            return *this;
        }
        const_iterator operator++(int) noexcept {
            auto old = *this;
            ++i_;
            return old;
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept {
            return a.i_ == b.i_;  // comparable only within one range ([forward.iterators]/2)
        }

    private:
        friend class LazyDeque;
        const_iterator(Header* h, std::uint32_t i) noexcept : h_(h), i_(i) {}
        Header* h_ = nullptr;
        std::uint32_t i_ = 0;  // from the front
    };

    LazyDeque() = default;
    LazyDeque(LazyDeque&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    LazyDeque& operator=(LazyDeque&& other) noexcept {
        if (this != &other) {
            clear();
            h_ = std::exchange(other.h_, nullptr);
        }
        return *this;
    }
    LazyDeque(const LazyDeque&) = delete;
    LazyDeque& operator=(const LazyDeque&) = delete;
    ~LazyDeque() {
        static_assert(sizeof(LazyDeque) == sizeof(void*), "one pointer (design note 1)");
        clear();
    }

    bool empty() const noexcept { return size() == 0; }
    std::size_t size() const noexcept { return h_ ? h_->size : 0; }
    // Slots allocated: 0 before first use and after the block is freed (design note 3).
    std::size_t capacity() const noexcept { return h_ ? h_->capacity : 0; }

    // Requires: !empty(), and i < size() for operator[] (which counts from the front).
    T& front() noexcept { return *slot(h_, 0); }
    const T& front() const noexcept { return *slot(h_, 0); }
    T& operator[](std::size_t i) noexcept { return *slot(h_, static_cast<std::uint32_t>(i)); }
    const T& operator[](std::size_t i) const noexcept { return *slot(h_, static_cast<std::uint32_t>(i)); }

    // Requires: !empty(). Destroys the front element; may free the block (design note 3).
    void pop_front() noexcept {
        slot(h_, 0)->~T();
        h_->head = (h_->head + 1) & (h_->capacity - 1);
        if (--h_->size > 0) return;
        h_->head = 0;
        if (std::size_t{h_->capacity} * sizeof(T) > keep_bytes) release(std::exchange(h_, nullptr));
    }

    // References to elements stay valid until the block grows (or the element is popped).
    template <class... A>
    T& emplace_back(A&&... args) {
        if (!h_) h_ = allocate(first_capacity);
        if (h_->size == h_->capacity) return grow_and_emplace(std::forward<A>(args)...);
        T* p = ::new (raw_slot(h_, h_->size)) T(std::forward<A>(args)...);
        ++h_->size;
        return *p;
    }
    void push_back(T v) { emplace_back(std::move(v)); }

    // Destroys every element and frees the block.
    void clear() noexcept {
        if (!h_) return;
        destroy_all(h_);
        release(std::exchange(h_, nullptr));
    }

    // Front to back; an empty range before first use. Invalidated by any change.
    const_iterator begin() const noexcept { return {h_, 0}; }
    const_iterator end() const noexcept { return {h_, h_ ? h_->size : 0}; }

private:
    // Slots start after the header, aligned for T.
    static constexpr std::size_t slots_offset = (sizeof(Header) + alignof(T) - 1) / alignof(T) * alignof(T);
    static constexpr std::size_t block_align = alignof(T) > alignof(Header) ? alignof(T) : alignof(Header);
    static constexpr bool over_aligned = block_align > __STDCPP_DEFAULT_NEW_ALIGNMENT__;
    static constexpr std::size_t keep_bytes = KeepBytes;  // design note 3
    static constexpr std::uint32_t first_capacity = [] {
        std::uint32_t c = 8;
        while (c > 1 && c * sizeof(T) > 512) c /= 2;
        return c;
    }();
    static constexpr std::uint32_t max_capacity = std::uint32_t{1} << 31;

    // The storage of slot i (from the front), whether or not an element lives there.
    static void* raw_slot(Header* h, std::uint32_t i) noexcept {
        auto* slots = reinterpret_cast<std::byte*>(h) + slots_offset;
        const std::uint32_t at = (h->head + i) & (h->capacity - 1);
        return slots + std::size_t{at} * sizeof(T);
    }
    // The element in slot i.
    static T* slot(Header* h, std::uint32_t i) noexcept { return std::launder(static_cast<T*>(raw_slot(h, i))); }

    static Header* allocate(std::uint32_t capacity) {
        const std::size_t bytes = slots_offset + std::size_t{capacity} * sizeof(T);
        void* p = over_aligned ? ::operator new(bytes, std::align_val_t{block_align}) : ::operator new(bytes);
        return ::new (p) Header{0, 0, capacity};
    }
    static void release(Header* h) noexcept {
        if constexpr (over_aligned)
            ::operator delete(static_cast<void*>(h), std::align_val_t{block_align});
        else
            ::operator delete(static_cast<void*>(h));
    }
    static void destroy_all(Header* h) noexcept {
        for (std::uint32_t i = 0; i < h->size; ++i) slot(h, i)->~T();
        h->size = 0;
    }

    template <class... A>
    T& grow_and_emplace(A&&... args) {
        if (h_->capacity >= max_capacity) throw std::length_error("LazyDeque too long");
        Header* bigger = allocate(h_->capacity * 2);
        const std::uint32_t n = h_->size;
        std::uint32_t moved = 0;
        T* added = nullptr;
        try {
            // The new element first: `args` may refer to an element about to be moved.
            added = ::new (raw_slot(bigger, n)) T(std::forward<A>(args)...);
            for (; moved < n; ++moved)
                ::new (raw_slot(bigger, moved)) T(std::move(*slot(h_, moved)));
        } catch (...) {
            bigger->size = moved;
            destroy_all(bigger);
            if (added) added->~T();
            release(bigger);
            throw;
        }
        destroy_all(h_);
        release(std::exchange(h_, bigger));
        h_->size = n + 1;
        return *added;
    }

    Header* h_ = nullptr;
};

}  // namespace harperrt::util
