// util::RecyclingAllocator: an allocator for what is allocated and freed again for every
// write, as Asio's write operations are: blocks of up to 512 bytes come from a per-thread
// cache of freed ones. Asio 1.18 recycles one block per thread for all handlers, so on a
// thread with many connections writing at once all but one write allocated (0.1 heap
// allocations per message on QoS 1 fan-in).
//
// Design notes
//   1. Size classes of 64 bytes (64, 128, ..., 512); at most 32 spare blocks per class and
//      thread. A block freed on another thread than its allocator's goes to that thread's
//      cache (or to the heap when full), so no thread holds more than 8 * 32 blocks.
//   2. The cache is trivially destructible, so it stays usable while the thread (or, on the
//      main thread, the program) exits. A thread_local Drain, armed by the first block
//      kept, frees the spares at thread exit and closes the cache: blocks freed after that
//      go straight back to the heap (nothing leaks, for LeakSanitizer either).
//   3. Under AddressSanitizer it is plain operator new and delete: a recycled block would
//      hide a use after free from it.
//   4. Stateless: any two instances compare equal, so memory from one may be freed by
//      another (Asio rebinds and copies allocators freely).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace harperrt::util {

namespace detail {

class BlockCache {
public:
    static constexpr std::size_t step = 64;
    static constexpr std::size_t classes = 8;  // up to 512 bytes
    static constexpr std::size_t per_class = 32;

    static void* allocate(std::size_t bytes) {
        if (!recycles(bytes)) return ::operator new(bytes);
        auto& c = cache_;
        const std::size_t k = class_of(bytes);
        if (c.count[k] > 0) return c.blocks[k][--c.count[k]];
        return ::operator new((k + 1) * step);
    }

    static void deallocate(void* p, std::size_t bytes) noexcept {
        if (!recycles(bytes)) {
            ::operator delete(p);
            return;
        }
        auto& c = cache_;
        const std::size_t k = class_of(bytes);
        if (c.closed || c.count[k] == per_class) {
            ::operator delete(p);
            return;
        }
        if (!c.armed) {
            static thread_local Drain drain;  // frees the spares at this thread's exit
            c.armed = true;
        }
        c.blocks[k][c.count[k]++] = p;
    }

    // Spare blocks of the class of `bytes` held by the calling thread (for tests).
    static std::size_t spares(std::size_t bytes) noexcept {
        return recycles(bytes) ? cache_.count[class_of(bytes)] : 0;
    }

    static constexpr bool enabled() noexcept {
#if defined(__SANITIZE_ADDRESS__)
        return false;  // design note 3
#else
        return true;
#endif
    }

private:
    static constexpr bool recycles(std::size_t bytes) noexcept {
        return enabled() && bytes > 0 && bytes <= step * classes;
    }
    static constexpr std::size_t class_of(std::size_t bytes) noexcept { return (bytes - 1) / step; }

    struct Cache {  // trivially destructible (design note 2)
        void* blocks[classes][per_class];
        std::uint8_t count[classes];
        bool armed;
        bool closed;
    };
    struct Drain {
        ~Drain() {
            auto& c = cache_;
            c.closed = true;
            for (std::size_t k = 0; k < classes; ++k)
                while (c.count[k] > 0) ::operator delete(c.blocks[k][--c.count[k]]);
        }
    };
    static inline thread_local Cache cache_{};
};

}  // namespace detail

template <class T>
class RecyclingAllocator {
public:
    using value_type = T;

    RecyclingAllocator() noexcept = default;
    template <class U>
    RecyclingAllocator(const RecyclingAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "over-aligned types are not recycled");
        if (n > SIZE_MAX / sizeof(T)) throw std::bad_array_new_length();
        return static_cast<T*>(detail::BlockCache::allocate(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept { detail::BlockCache::deallocate(p, n * sizeof(T)); }

    template <class U>
    friend bool operator==(const RecyclingAllocator&, const RecyclingAllocator<U>&) noexcept {
        return true;
    }
};

}  // namespace harperrt::util
