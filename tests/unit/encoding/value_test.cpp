#include "common/encoding/value.hpp"
#include "tests/unit/encoding/hex.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

namespace harperrt::encoding {
namespace {

static_assert(std::is_nothrow_move_constructible_v<Value>);
static_assert(std::is_nothrow_move_assignable_v<Value>);
static_assert(sizeof(Value) <= 48, "a Value is a small handle; children live on the heap");

TEST(EncodingValue, DefaultIsNull) {
    Value v;
    EXPECT_TRUE(v.is_null());
    EXPECT_EQ(v.type(), Type::null);
    EXPECT_EQ(v, Value(nullptr));
}

TEST(EncodingValue, IntegersHaveOneRepresentation) {
    EXPECT_EQ(Value(std::uint64_t{5}).type(), Type::int64);
    EXPECT_EQ(Value(std::uint64_t{5}), Value(5));
    EXPECT_EQ(Value(std::uint64_t{INT64_MAX}).type(), Type::int64);
    EXPECT_EQ(Value(std::uint64_t{INT64_MAX} + 1).type(), Type::uint64);
    EXPECT_EQ(Value(UINT64_MAX).as_uint64(), UINT64_MAX);
    EXPECT_EQ(Value(INT64_MIN).as_int64(), INT64_MIN);
    EXPECT_EQ(Value(-1).as_int64(), -1);
    EXPECT_EQ(Value(std::uint8_t{200}).as_int64(), 200);
    EXPECT_TRUE(Value(3u).is_integer());
}

TEST(EncodingValue, KindsAreDistinct) {
    EXPECT_TRUE(Value(true).is_bool());
    EXPECT_TRUE(Value(1.5).is_double());
    EXPECT_TRUE(Value(1.5f).is_double());
    EXPECT_TRUE(Value("text").is_string());  // not bool: const char* picks the string
    EXPECT_TRUE(Value(std::string_view("x")).is_string());
    EXPECT_TRUE(Value(Bytes{std::byte{1}}).is_bytes());
    EXPECT_TRUE(Value(Array{}).is_array());
    EXPECT_TRUE(Value(Map{}).is_map());
    EXPECT_NE(Value(1), Value(1.0));            // an integer is not a float
    EXPECT_NE(Value("1"), Value(1));
    EXPECT_NE(Value(Bytes{std::byte{'a'}}), Value("a"));
}

TEST(EncodingValue, FloatEquality) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(Value(nan), Value(nan));  // so round trips of NaN can be checked
    EXPECT_EQ(Value(0.0), Value(-0.0));
    EXPECT_NE(Value(0.1), Value(0.2));
}

TEST(EncodingValue, MapKeepsInsertionOrder) {
    Map m{{"z", 1}, {"a", 2}, {"m", 3}};
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m.members()[0].key, "z");
    EXPECT_EQ(m.members()[1].key, "a");
    EXPECT_EQ(m.members()[2].key, "m");
}

TEST(EncodingValue, SetReplacesInPlaceOrAppends) {
    // The primary-key rule: the server forces `id` to the topic's ID without moving it.
    Value record = Map{{"name", "Rex"}, {"id", "wrong"}, {"age", 3}};
    record.set("id", "41");
    const Map& m = record.as_map();
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m.members()[1].key, "id");
    EXPECT_EQ(m.members()[1].value, Value("41"));

    Value& added = record.set("owner", "ann");
    EXPECT_EQ(added, Value("ann"));
    EXPECT_EQ(record.as_map().members().back().key, "owner");
}

TEST(EncodingValue, FindOnMapAndOtherTypes) {
    Value record = Map{{"a", 1}};
    ASSERT_NE(record.find("a"), nullptr);
    EXPECT_EQ(*record.find("a"), Value(1));
    EXPECT_EQ(record.find("b"), nullptr);
    EXPECT_EQ(Value(5).find("a"), nullptr);
    EXPECT_EQ(Value(Array{1}).find("a"), nullptr);
    EXPECT_TRUE(record.as_map().contains("a"));
}

TEST(EncodingValue, Erase) {
    Map m{{"a", 1}, {"b", 2}, {"c", 3}};
    EXPECT_TRUE(m.erase("b"));
    EXPECT_FALSE(m.erase("b"));
    EXPECT_EQ(m, (Map{{"a", 1}, {"c", 3}}));
}

TEST(EncodingValue, DuplicateKeysLastWinsAtFirstPosition) {
    Map m{{"a", 1}, {"b", 2}, {"a", 3}};
    EXPECT_EQ(m, (Map{{"a", 3}, {"b", 2}}));
}

TEST(EncodingValue, DuplicateKeysInLargeMap) {
    // Above 16 members the duplicate check sorts an index instead of comparing pairs.
    std::vector<Member> members;
    for (int i = 0; i < 100; ++i) members.push_back({"k" + std::to_string(i), i});
    members.push_back({"k7", "last"});
    members.push_back({"k7", "really last"});
    Map m(std::move(members));
    ASSERT_EQ(m.size(), 100u);
    EXPECT_EQ(m.members()[7].key, "k7");
    EXPECT_EQ(m.members()[7].value, Value("really last"));
    EXPECT_EQ(m.members()[99].key, "k99");
}

TEST(EncodingValue, MapEqualityIsOrderSensitive) {
    EXPECT_NE((Map{{"a", 1}, {"b", 2}}), (Map{{"b", 2}, {"a", 1}}));
}

TEST(EncodingValue, CopyIsDeepMoveIsCheap) {
    Value a = Map{{"list", Array{1, "two", Map{{"x", nullptr}}}}};
    Value b = a;
    b.find("list")->as_array()[0] = 9;
    EXPECT_NE(a, b);
    Value c = std::move(b);
    EXPECT_EQ(c.find("list")->as_array()[0], Value(9));
}

}  // namespace
}  // namespace harperrt::encoding
