// ThreadCache: a small per-thread stack of spare objects of one type, so that the hot path
// of a publish (a Message, its list of targets) reuses memory instead of allocating it.
// Bounded, lock-free (each thread touches only its own stack) and safe at thread exit.
//
// Design notes
//   1. An object may be taken on one thread and given back on another (a message published
//      on one I/O thread is released by a subscriber's): it goes to the giving thread's
//      stack, or is deleted when that one is full. So no thread holds more than Max spares,
//      and a thread that only takes still works: it allocates.
//   2. The stack itself is trivially destructible, so it stays usable while the thread (or,
//      on the main thread, the program) is exiting. A thread_local Drain, armed by the first
//      give(), deletes the spares at thread exit and closes the stack: anything given back
//      after that is deleted at once (nothing leaks, for LeakSanitizer either).
//   3. Spares are whatever the giver made of them: callers reset an object before giving it
//      back (keeping only capacity, never content) and bound what that capacity may be.
#pragma once

#include <cstddef>
#include <memory>

namespace harperrt::daemon::broker {

template <typename T, std::size_t Max>
class ThreadCache {
public:
    // A spare from this thread's stack, or null when it has none. Any thread.
    static std::unique_ptr<T> take() noexcept {
        auto& s = stack_;
        if (s.size == 0) return nullptr;
        return std::unique_ptr<T>(s.items[--s.size]);
    }

    // Keeps `spare` on this thread's stack if it has room, else deletes it. Any thread.
    static void give(std::unique_ptr<T> spare) noexcept {
        auto& s = stack_;
        if (s.closed || s.size == Max) return;
        if (!s.armed) {
            static thread_local Drain drain;  // registers the cleanup at this thread's exit
            s.armed = true;
        }
        s.items[s.size++] = spare.release();
    }

    // Spares held by the calling thread (for tests).
    static std::size_t size() noexcept { return stack_.size; }

private:
    struct Stack {  // trivially destructible (design note 2)
        T* items[Max];
        std::size_t size;
        bool armed;   // a Drain is registered for this thread
        bool closed;  // this thread is exiting
    };
    struct Drain {
        ~Drain() {
            auto& s = stack_;
            s.closed = true;
            while (s.size > 0) delete s.items[--s.size];
        }
    };
    static inline thread_local Stack stack_{};
};

}  // namespace harperrt::daemon::broker
