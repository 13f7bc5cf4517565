// util::SharedString: an immutable string that copies share, in one pointer. A client id is
// held by the broker's client registry, by the session and by the connection; as three
// std::strings that is 96 bytes inline and, past 15 characters (what most clients send:
// "mosq-" or "paho" and a random tail), three heap blocks per client. Shared, it is 8
// bytes per holder and one block of an 8-byte header and the characters.
//
// Design notes
//   1. The count is atomic: sessions and their ids are used from every I/O thread. A copy
//      is an increment (relaxed: the block is already visible to whoever holds a copy);
//      the last release frees the block (acq_rel, so every use happens before the free).
//   2. Empty is a null pointer: no block for "", the id of a connection before CONNECT.
//   3. Not null-terminated: it is read as a std::string_view; str() makes a std::string for
//      the interfaces that need one.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace harperrt::util {

class SharedString {
public:
    SharedString() noexcept = default;
    explicit SharedString(std::string_view s) {
        if (s.empty()) return;
        if (s.size() > UINT32_MAX) throw std::length_error("SharedString too long");
        rep_ = static_cast<Rep*>(::operator new(sizeof(Rep) + s.size()));
        new (rep_) Rep{{1}, static_cast<std::uint32_t>(s.size())};
        std::memcpy(rep_->chars(), s.data(), s.size());
    }
    SharedString(const SharedString& o) noexcept : rep_(o.rep_) {
        if (rep_) rep_->refs.fetch_add(1, std::memory_order_relaxed);
    }
    SharedString(SharedString&& o) noexcept : rep_(std::exchange(o.rep_, nullptr)) {}
    SharedString& operator=(SharedString o) noexcept {
        std::swap(rep_, o.rep_);
        return *this;
    }
    ~SharedString() { release(); }

    std::string_view view() const noexcept {
        return rep_ ? std::string_view(rep_->chars(), rep_->size) : std::string_view{};
    }
    operator std::string_view() const noexcept { return view(); }
    std::string str() const { return std::string(view()); }
    bool empty() const noexcept { return rep_ == nullptr; }
    std::size_t size() const noexcept { return rep_ ? rep_->size : 0; }

    friend bool operator==(const SharedString& a, const SharedString& b) noexcept {
        return a.rep_ == b.rep_ || a.view() == b.view();
    }
    friend bool operator==(const SharedString& a, std::string_view b) noexcept { return a.view() == b; }

    // For unordered containers keyed by SharedString and searched with a std::string_view
    // (transparent). A hasher of our own, noexcept: libstdc++ then keeps no hash code in
    // each node (it does for std::hash<std::string>); a rehash hashes the keys again.
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct Equal {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
    };

private:
    struct Rep {
        std::atomic<std::uint32_t> refs;
        std::uint32_t size;
        char* chars() noexcept { return reinterpret_cast<char*>(this + 1); }
    };
    void release() noexcept {
        if (rep_ && rep_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            rep_->~Rep();
            ::operator delete(rep_);
        }
    }
    Rep* rep_ = nullptr;
};

}  // namespace harperrt::util

template <>
struct std::hash<harperrt::util::SharedString> {
    std::size_t operator()(const harperrt::util::SharedString& s) const noexcept {
        return std::hash<std::string_view>{}(s.view());
    }
};

// Formats as its characters (logs: "client {}").
template <>
struct fmt::formatter<harperrt::util::SharedString> : fmt::formatter<std::string_view> {
    template <class Context>
    auto format(const harperrt::util::SharedString& s, Context& ctx) const {
        return fmt::formatter<std::string_view>::format(s.view(), ctx);
    }
};
