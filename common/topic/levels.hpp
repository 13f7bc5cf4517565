// Levels: the '/'-separated levels of a topic name or filter, as string_views into the
// caller's string, without allocating. "a//b" has levels "a", "", "b"; "/" has "", "";
// a string always has one level more than it has '/' (so "" has one empty level).
#pragma once

#include <cstddef>
#include <iterator>
#include <ranges>
#include <string_view>

namespace harperrt::topic {

// Forward iterator over the levels of one string. Iterators compare equal only when they
// walk the same string. A default-constructed iterator is the end.
class LevelIterator {
public:
    using iterator_concept = std::forward_iterator_tag;
    using iterator_category = std::input_iterator_tag;  // operator* returns a prvalue
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;

    LevelIterator() = default;
    explicit LevelIterator(std::string_view s) noexcept : s_(s), begin_(0), end_(level_end(0)) {}

    std::string_view operator*() const noexcept { return s_.substr(begin_, end_ - begin_); }

    LevelIterator& operator++() noexcept {
        if (end_ == s_.size()) {
            begin_ = end_ = npos;
        } else {
            begin_ = end_ + 1;
            end_ = level_end(begin_);
        }
        return *this;
    }
    LevelIterator operator++(int) noexcept {
        auto copy = *this;
        ++*this;
        return copy;
    }
    friend bool operator==(const LevelIterator& a, const LevelIterator& b) noexcept {
        return a.begin_ == b.begin_;
    }

    // True if the current level is the last one. Requires: not the end.
    bool is_last() const noexcept { return end_ == s_.size(); }
    // The current level and everything after it ("b/c" at level "b" of "a/b/c").
    // Requires: not the end.
    std::string_view rest() const noexcept { return s_.substr(begin_); }
    // Byte offset of the current level in the string. Requires: not the end.
    std::size_t offset() const noexcept { return begin_; }

private:
    static constexpr std::size_t npos = std::string_view::npos;
    std::size_t level_end(std::size_t from) const noexcept {
        const auto slash = s_.find('/', from);
        return slash == npos ? s_.size() : slash;
    }

    std::string_view s_;
    std::size_t begin_ = npos;  // npos at the end
    std::size_t end_ = npos;    // position of the '/' after the level, or s_.size()
};

// `for (std::string_view level : Levels(topic))`. Holds a view: `topic` must outlive it.
// A std::ranges::forward_range (not derived from view_interface, which clang 14 cannot
// instantiate with libstdc++ 12).
class Levels {
public:
    Levels() = default;
    explicit Levels(std::string_view s) noexcept : s_(s) {}
    LevelIterator begin() const noexcept { return LevelIterator(s_); }
    LevelIterator end() const noexcept { return {}; }

private:
    std::string_view s_;
};

// Number of levels: one more than the number of '/'.
inline std::size_t level_count(std::string_view s) noexcept {
    std::size_t n = 1;
    for (char c : s) n += c == '/' ? 1U : 0U;
    return n;
}

}  // namespace harperrt::topic

template <>
inline constexpr bool std::ranges::enable_borrowed_range<harperrt::topic::Levels> = true;
