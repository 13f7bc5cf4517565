// util::LazyMap: a std::unordered_map that allocates nothing until first used. An empty
// std::unordered_map is 56 bytes; a pointer is 8, and most connections never use topic
// aliases, for example.
#pragma once

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <utility>

namespace harperrt::util {

template <class K, class V>
class LazyMap {
public:
    using map_type = std::unordered_map<K, V>;
    using iterator = typename map_type::iterator;

    bool empty() const noexcept { return !m_ || m_->empty(); }
    std::size_t size() const noexcept { return m_ ? m_->size() : 0; }
    // Before first use, find() and end() both return a value-initialized iterator, and
    // those compare equal (forward iterators, [forward.iterators]/2).
    iterator find(const K& key) { return m_ ? m_->find(key) : iterator{}; }
    iterator end() noexcept { return m_ ? m_->end() : iterator{}; }
    V& operator[](const K& key) { return map()[key]; }
    template <class... A>
    std::pair<iterator, bool> emplace(A&&... args) {
        return map().emplace(std::forward<A>(args)...);
    }
    void clear() noexcept { m_.reset(); }

private:
    map_type& map() {
        if (!m_) m_ = std::make_unique<map_type>();
        return *m_;
    }
    std::unique_ptr<map_type> m_;
};

}  // namespace harperrt::util
