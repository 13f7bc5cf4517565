// StringHash: a transparent hash so unordered containers keyed by std::string can be
// searched with a std::string_view without building a std::string (C++20 heterogeneous
// lookup; pair it with std::equal_to<>).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace harperrt::topic {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    std::size_t operator()(const std::string& s) const noexcept { return std::hash<std::string_view>{}(s); }
    std::size_t operator()(const char* s) const noexcept { return std::hash<std::string_view>{}(s); }
};

}  // namespace harperrt::topic
