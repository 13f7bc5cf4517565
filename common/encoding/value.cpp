#include "common/encoding/value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <unordered_map>

namespace harperrt::encoding {
namespace {

// Below this size a pairwise scan is cheaper than sorting an index.
constexpr std::size_t small_map = 16;

bool has_duplicate_keys(const std::vector<Member>& m) {
    const std::size_t n = m.size();
    if (n < 2) return false;
    if (n <= small_map) {
        for (std::size_t i = 1; i < n; ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (m[i].key == m[j].key) return true;
        return false;
    }
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return m[a].key < m[b].key; });
    for (std::size_t i = 1; i < n; ++i)
        if (m[order[i]].key == m[order[i - 1]].key) return true;
    return false;
}

// Last value wins, at the position of the first occurrence. Hash-based so that a hostile
// payload of many repeated keys costs O(n), not O(n^2).
void merge_duplicate_keys(std::vector<Member>& m) {
    const std::size_t n = m.size();
    std::vector<std::size_t> first(n);   // index of the first member with the same key
    std::vector<std::size_t> last(n);    // for a first occurrence: index of the last one
    {
        std::unordered_map<std::string_view, std::size_t> seen;
        seen.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            auto [it, inserted] = seen.try_emplace(std::string_view(m[i].key), i);
            first[i] = it->second;
            last[it->second] = i;
        }
    }  // the string_views die here, before any key moves
    std::vector<Member> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        if (first[i] == i) out.push_back(Member{std::move(m[i].key), std::move(m[last[i]].value)});
    m = std::move(out);
}

}  // namespace

Map::Map(std::vector<Member> members) : members_(std::move(members)) {
    if (has_duplicate_keys(members_)) merge_duplicate_keys(members_);
}

Map::Map(std::initializer_list<Member> members) : Map(std::vector<Member>(members)) {}

const Value* Map::find(std::string_view key) const noexcept {
    for (const auto& m : members_)
        if (m.key == key) return &m.value;
    return nullptr;
}

Value* Map::find(std::string_view key) noexcept {
    for (auto& m : members_)
        if (m.key == key) return &m.value;
    return nullptr;
}

Value& Map::set(std::string_view key, Value value) {
    if (Value* v = find(key)) {
        *v = std::move(value);
        return *v;
    }
    members_.push_back(Member{std::string(key), std::move(value)});
    return members_.back().value;
}

bool Map::erase(std::string_view key) {
    auto it = std::find_if(members_.begin(), members_.end(), [&](const Member& m) { return m.key == key; });
    if (it == members_.end()) return false;
    members_.erase(it);
    return true;
}

bool operator==(const Map& a, const Map& b) { return a.members_ == b.members_; }

const Value* Value::find(std::string_view key) const noexcept {
    const Map* m = std::get_if<8>(&v_);
    return m ? m->find(key) : nullptr;
}

Value* Value::find(std::string_view key) noexcept {
    Map* m = std::get_if<8>(&v_);
    return m ? m->find(key) : nullptr;
}

Value& Value::set(std::string_view key, Value value) { return as_map().set(key, std::move(value)); }

bool operator==(const Value& a, const Value& b) {
    if (a.v_.index() != b.v_.index()) return false;
    switch (a.type()) {
    case Type::null: return true;
    case Type::boolean: return a.as_bool() == b.as_bool();
    case Type::int64: return a.as_int64() == b.as_int64();
    case Type::uint64: return a.as_uint64() == b.as_uint64();
    case Type::float64: {
        const double x = a.as_double(), y = b.as_double();
        return x == y || (std::isnan(x) && std::isnan(y));
    }
    case Type::string: return a.as_string() == b.as_string();
    case Type::bytes: return a.as_bytes() == b.as_bytes();
    case Type::array: return a.as_array() == b.as_array();
    case Type::map: return a.as_map() == b.as_map();
    }
    return false;
}

}  // namespace harperrt::encoding
