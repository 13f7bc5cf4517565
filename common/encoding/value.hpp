// Value: one structured datum, a record or anything inside one, in the data model common
// to JSON, CBOR and MessagePack (DESIGN.md §4). Decoders build Values and encoders write
// them, so a Value does not remember the format it came from and re-encodes losslessly
// into CBOR and MessagePack (JSON loses only what JSON cannot say, see codec.hpp).
//
// The model, one alternative per Type:
//   null     JSON null, CBOR null/undefined, MessagePack nil
//   boolean  true / false
//   int64    every integer in [-2^63, 2^63-1]
//   uint64   only integers in [2^63, 2^64-1]; constructors normalise, so each integer has
//            exactly one representation and equality stays simple
//   float64  every floating-point number (CBOR half/single/double, MessagePack float32/64,
//            JSON numbers written with a fraction or exponent), NaN and ±Infinity included
//   string   UTF-8 text. Decoders guarantee well-formedness; code that builds Values must
//            keep it (the JSON encoder replaces ill-formed bytes with U+FFFD)
//   bytes    an octet string (CBOR byte string, MessagePack bin); JSON shows it as base64
//   array    a sequence of Values
//   map      unique string keys in insertion order: a record keeps its keys in the order
//            they were received. A record is a map.
//
// A Value owns its children. Moving is cheap (noexcept, no allocation); copying is deep.
#pragma once

#include <cassert>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace harperrt::encoding {

class Value;
struct Member;

using Array = std::vector<Value>;
using Bytes = std::vector<std::byte>;

// Map: a map's members, keys unique, in insertion order. Lookups are linear scans, which
// beat hashing for records of tens of attributes; a map of thousands of keys still works,
// only each find/set costs O(n). Mutable iterators are for changing values: renaming a
// key through one must not create a duplicate.
class Map {
public:
    using const_iterator = std::vector<Member>::const_iterator;
    using iterator = std::vector<Member>::iterator;

    Map() noexcept = default;
    // Takes the members in order. A key seen again replaces the earlier value but keeps
    // the earlier position ("last wins", as JavaScript's JSON.parse does).
    explicit Map(std::vector<Member> members);
    Map(std::initializer_list<Member> members);

    // The value stored under `key`, or nullptr.
    const Value* find(std::string_view key) const noexcept;
    Value* find(std::string_view key) noexcept;
    bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }

    // Replaces the value under `key` in place, or appends `key` at the end when absent.
    // Returns the stored value. Used for the primary-key rule (DESIGN.md §1): the server
    // forces the primary-key attribute to the topic's ID without moving it.
    Value& set(std::string_view key, Value value);

    // Removes `key`; returns whether it was present. Later members keep their order.
    bool erase(std::string_view key);

    std::size_t size() const noexcept { return members_.size(); }
    bool empty() const noexcept { return members_.empty(); }
    void reserve(std::size_t n) { members_.reserve(n); }
    const std::vector<Member>& members() const noexcept { return members_; }
    const_iterator begin() const noexcept;
    const_iterator end() const noexcept;
    iterator begin() noexcept;
    iterator end() noexcept;

    // Same keys with equal values in the same order.
    friend bool operator==(const Map& a, const Map& b);

private:
    std::vector<Member> members_;
};

// GCC 12 reports -Wmaybe-uninitialized inside std::variant's move constructor when it
// inlines a move of a Value built from a scalar (it does not prune the string alternative
// of the visit), a known false positive. Suppressed only for code inlined from here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

enum class Type : std::uint8_t { null, boolean, int64, uint64, float64, string, bytes, array, map };

class Value {
public:
    Value() noexcept = default;  // null
    Value(std::nullptr_t) noexcept {}
    Value(bool b) noexcept : v_(std::in_place_index<1>, b) {}
    template <std::signed_integral I>
        requires(!std::same_as<I, bool>)
    Value(I i) noexcept : v_(std::in_place_index<2>, static_cast<std::int64_t>(i)) {}
    // Values up to INT64_MAX are stored as int64 (one representation per integer).
    template <std::unsigned_integral U>
        requires(!std::same_as<U, bool>)
    Value(U u) noexcept {
        if (static_cast<std::uint64_t>(u) > static_cast<std::uint64_t>(INT64_MAX))
            v_.emplace<3>(static_cast<std::uint64_t>(u));
        else
            v_.emplace<2>(static_cast<std::int64_t>(u));
    }
    template <std::floating_point F>
    Value(F d) noexcept : v_(std::in_place_index<4>, static_cast<double>(d)) {}
    Value(std::string s) noexcept : v_(std::in_place_index<5>, std::move(s)) {}
    Value(std::string_view s) : v_(std::in_place_index<5>, s) {}
    Value(const char* s) : v_(std::in_place_index<5>, s) {}
    Value(Bytes b) noexcept : v_(std::in_place_index<6>, std::move(b)) {}
    Value(Array a) noexcept : v_(std::in_place_index<7>, std::move(a)) {}
    Value(Map m) noexcept : v_(std::in_place_index<8>, std::move(m)) {}

    Type type() const noexcept { return static_cast<Type>(v_.index()); }
    bool is_null() const noexcept { return type() == Type::null; }
    bool is_bool() const noexcept { return type() == Type::boolean; }
    bool is_int64() const noexcept { return type() == Type::int64; }
    bool is_uint64() const noexcept { return type() == Type::uint64; }
    bool is_integer() const noexcept { return is_int64() || is_uint64(); }
    bool is_double() const noexcept { return type() == Type::float64; }
    bool is_number() const noexcept { return is_integer() || is_double(); }
    bool is_string() const noexcept { return type() == Type::string; }
    bool is_bytes() const noexcept { return type() == Type::bytes; }
    bool is_array() const noexcept { return type() == Type::array; }
    bool is_map() const noexcept { return type() == Type::map; }

    // Checked access: Requires: the matching is_*() (asserted).
    bool as_bool() const noexcept { return *get<1>(); }
    std::int64_t as_int64() const noexcept { return *get<2>(); }
    std::uint64_t as_uint64() const noexcept { return *get<3>(); }
    double as_double() const noexcept { return *get<4>(); }
    const std::string& as_string() const noexcept { return *get<5>(); }
    std::string& as_string() noexcept { return *get<5>(); }
    const Bytes& as_bytes() const noexcept { return *get<6>(); }
    Bytes& as_bytes() noexcept { return *get<6>(); }
    const Array& as_array() const noexcept { return *get<7>(); }
    Array& as_array() noexcept { return *get<7>(); }
    const Map& as_map() const noexcept { return *get<8>(); }
    Map& as_map() noexcept { return *get<8>(); }

    // Unchecked-type access: a pointer to the alternative, or nullptr if this is another type.
    const std::string* if_string() const noexcept { return std::get_if<5>(&v_); }
    const Bytes* if_bytes() const noexcept { return std::get_if<6>(&v_); }
    const Array* if_array() const noexcept { return std::get_if<7>(&v_); }
    const Map* if_map() const noexcept { return std::get_if<8>(&v_); }
    Map* if_map() noexcept { return std::get_if<8>(&v_); }

    // On a map: the value under `key`, or nullptr. On any other type: nullptr.
    const Value* find(std::string_view key) const noexcept;
    Value* find(std::string_view key) noexcept;
    // Map::set on this map. Requires: is_map().
    Value& set(std::string_view key, Value value);

    // Structural equality: same type and equal content, maps in the same key order. Two
    // NaNs compare equal (so round trips can be checked); 0.0 == -0.0 as in IEEE 754.
    // An int64 never equals a float64 (1 != 1.0).
    friend bool operator==(const Value& a, const Value& b);

private:
    // The order matches Type.
    using Storage =
        std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, Bytes, Array, Map>;

    template <std::size_t I>
    const std::variant_alternative_t<I, Storage>* get() const noexcept {
        assert(v_.index() == I);
        return std::get_if<I>(&v_);
    }
    template <std::size_t I>
    std::variant_alternative_t<I, Storage>* get() noexcept {
        assert(v_.index() == I);
        return std::get_if<I>(&v_);
    }

    Storage v_;
};

// One key/value pair of a Map.
struct Member {
    std::string key;
    Value value;

    friend bool operator==(const Member&, const Member&) = default;
};

#pragma GCC diagnostic pop

inline Map::const_iterator Map::begin() const noexcept { return members_.begin(); }
inline Map::const_iterator Map::end() const noexcept { return members_.end(); }
inline Map::iterator Map::begin() noexcept { return members_.begin(); }
inline Map::iterator Map::end() noexcept { return members_.end(); }

}  // namespace harperrt::encoding
