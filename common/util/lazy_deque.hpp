// util::LazyDeque: a std::deque that allocates nothing until first used. An empty
// std::deque allocates about 1 KiB; a connection or session that never defers, pipelines
// or queues anything (most of 10k idle ones) should not pay for it.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <utility>

namespace harperrt::util {

template <class T>
class LazyDeque {
public:
    bool empty() const noexcept { return !d_ || d_->empty(); }
    std::size_t size() const noexcept { return d_ ? d_->size() : 0; }
    T& front() { return d_->front(); }
    T& operator[](std::size_t i) { return (*d_)[i]; }
    void pop_front() { d_->pop_front(); }
    template <class... A>
    T& emplace_back(A&&... args) {
        if (!d_) d_ = std::make_unique<std::deque<T>>();
        return d_->emplace_back(std::forward<A>(args)...);
    }
    void push_back(T v) { emplace_back(std::move(v)); }
    void clear() noexcept { d_.reset(); }

    // Iteration (an empty range before first use).
    auto begin() const noexcept { return d_ ? d_->cbegin() : typename std::deque<T>::const_iterator{}; }
    auto end() const noexcept { return d_ ? d_->cend() : typename std::deque<T>::const_iterator{}; }

private:
    std::unique_ptr<std::deque<T>> d_;
};

}  // namespace harperrt::util
