// Result<T>: the value of a fallible function, or the boost::system::error_code that says
// why there is none. Bad input is not exceptional in harperrt: codec, topic, encoding,
// config and store return Result and never throw on their input.
//
// Design note: STYLE.md asks for boost::system::result, which arrived in Boost 1.79.
// Debian 12's Boost is 1.74 (1.81 is packaged too, but msgpack-cxx pulls in 1.74's
// headers and the two conflict), so this is a small stand-in with the same spelling:
// has_value(), operator bool, *, ->, value(), error(); error(code) builds a failure.
#pragma once

#include <boost/system/error_code.hpp>

#include <cassert>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace harperrt {

using error_code = boost::system::error_code;

// The failure half of a Result, built by error(...).
struct Failure {
    error_code code;
};

inline Failure error(error_code code) { return Failure{code}; }

template <class E>
    requires boost::system::is_error_code_enum<E>::value
Failure error(E e) {
    return Failure{make_error_code(e)};
}

template <class T>
class [[nodiscard]] Result {
public:
    using value_type = T;

    Result(const T& v) : v_(std::in_place_index<0>, v) {}                // NOLINT: implicit by design
    Result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}          // NOLINT
    Result(Failure f) : v_(std::in_place_index<1>, f.code) { assert(f.code); }  // NOLINT
    template <class U>
        requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::decay_t<U>, T> &&
                 !std::is_same_v<std::decay_t<U>, Failure> && !std::is_same_v<std::decay_t<U>, Result>)
    Result(U&& u) : v_(std::in_place_index<0>, std::forward<U>(u)) {}    // NOLINT

    bool has_value() const noexcept { return v_.index() == 0; }
    bool has_error() const noexcept { return v_.index() == 1; }
    explicit operator bool() const noexcept { return has_value(); }

    // Requires: has_value().
    T& value() & { assert(has_value()); return std::get<0>(v_); }
    const T& value() const& { assert(has_value()); return std::get<0>(v_); }
    T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    // The error; a default (success) error_code when has_value().
    error_code error() const noexcept { return has_value() ? error_code{} : std::get<1>(v_); }

private:
    std::variant<T, error_code> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Failure f) : ec_(f.code) { assert(f.code); }                  // NOLINT
    bool has_value() const noexcept { return !ec_; }
    bool has_error() const noexcept { return static_cast<bool>(ec_); }
    explicit operator bool() const noexcept { return has_value(); }
    void value() const { assert(has_value()); }
    error_code error() const noexcept { return ec_; }

private:
    error_code ec_;
};

// Success value for Result<void>.
inline Result<void> ok() { return {}; }

}  // namespace harperrt
