// config::Errc: the error_code category of the config module (STYLE.md §5). Loading
// reports its problems as Diagnostics with positions; these codes are for the functions
// that answer with a Result (get(), a lookup of one key).
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace harperrt::config {

enum class Errc {
    unknown_key = 1,  // no such key in the config (or no such table, role or user)
    invalid_config,   // the config did not load; the Diagnostics say why
};

const boost::system::error_category& config_category() noexcept;

inline boost::system::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), config_category()};
}

}  // namespace harperrt::config

template <>
struct boost::system::is_error_code_enum<harperrt::config::Errc> : std::true_type {};
