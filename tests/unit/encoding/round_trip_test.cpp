// Round trips through each format and across formats (JSON <-> CBOR <-> MessagePack) for
// the common model and its edges: 64-bit extremes, floats that must stay floats, NaN and
// Infinity, bytes, Unicode, empty containers, key order.
#include "common/encoding/codec.hpp"
#include "tests/unit/encoding/hex.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace harperrt::encoding {
namespace {

using test::to_hex;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// A record using every type of the model, in a deliberate (non-sorted) key order.
Value model() {
    return Map{
        {"id", "dog/41"},
        {"zero", 0},
        {"neg", -1},
        {"i64min", INT64_MIN},
        {"i64max", INT64_MAX},
        {"u64max", UINT64_MAX},
        {"u64min", std::uint64_t{1} << 63},
        {"one_float", 1.0},
        {"neg_zero", -0.0},
        {"tenth", 0.1},
        {"big", 1e300},
        {"tiny", std::numeric_limits<double>::denorm_min()},
        {"dmax", std::numeric_limits<double>::max()},
        {"half", 0.5},
        {"yes", true},
        {"no", false},
        {"nothing", nullptr},
        {"text", "h\u00e9llo \u6c34 \U0001F600 \"q\" \\ \n"},
        {"empty_text", ""},
        {"nul", std::string("a\0b", 3)},
        {"list", Array{1, -2, 3.5, "x", Array{}, Map{}}},
        {"nested", Map{{"b", Map{{"c", Array{Map{{"d", nullptr}}}}}}}},
        {"empty_list", Array{}},
        {"empty_map", Map{}},
    };
}

class EncodingRoundTrip : public ::testing::TestWithParam<Format> {};

TEST_P(EncodingRoundTrip, ModelSurvives) {
    const Format f = GetParam();
    const Value v = model();
    const std::string wire = encode(v, f);
    auto back = decode(wire, f);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(*back, v);
    // Types, not just values: integers stay integers, floats stay floats.
    EXPECT_TRUE(back->find("one_float")->is_double());
    EXPECT_TRUE(back->find("i64max")->is_int64());
    EXPECT_TRUE(back->find("u64max")->is_uint64());
    EXPECT_TRUE(std::signbit(back->find("neg_zero")->as_double()));
    // Encoding is deterministic: the decoded value encodes to the same bytes.
    EXPECT_EQ(encode(*back, f), wire);
}

INSTANTIATE_TEST_SUITE_P(EncodingAllFormats, EncodingRoundTrip,
                         ::testing::Values(Format::json, Format::cbor, Format::msgpack),
                         [](const auto& p) {
                             return std::string(p.param == Format::json ? "json"
                                                : p.param == Format::cbor ? "cbor" : "msgpack");
                         });

TEST(EncodingRoundTrip, BinaryFormatsKeepBytesNanAndInfinity) {
    const Value v = Array{Bytes{std::byte{0}, std::byte{0xff}}, Bytes{}, nan, inf, -inf};
    for (Format f : {Format::cbor, Format::msgpack}) {
        auto back = decode(encode(v, f), f);
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, v);
    }
}

TEST(EncodingRoundTrip, JsonShowsBytesAsBase64AndNonFiniteAsNull) {
    const Value v = Array{Bytes{std::byte{0}, std::byte{0xff}}, nan, inf};
    EXPECT_EQ(encode(v, Format::json), R"(["AP8=",null,null])");
    auto back = decode(encode(v, Format::json), Format::json);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, Value(Array{"AP8=", nullptr, nullptr}));  // JSON cannot say "bytes"
}

// JSON text -> CBOR -> MessagePack -> JSON text gives back the same text.
TEST(EncodingRoundTrip, JsonThroughCborAndMsgpack) {
    const char* texts[] = {
        R"({"id":"dog/41","n":-9223372036854775808,"u":18446744073709551615,"f":1.0,"g":0.1})",
        R"({"z":[1,2.5,-0.0,1e+300,5e-324,true,false,null],"a":{"k":"\u00fc\u6c34"}})",
        R"([{},[],"",0,-1,1.7976931348623157e+308])",
        R"("just a string")",
        R"(12)",
    };
    for (const char* text : texts) {
        auto v = decode(text, Format::json);
        ASSERT_TRUE(v) << text;
        auto c = decode(encode(*v, Format::cbor), Format::cbor);
        ASSERT_TRUE(c) << text;
        auto m = decode(encode(*c, Format::msgpack), Format::msgpack);
        ASSERT_TRUE(m) << text;
        const std::string out = encode(*m, Format::json);
        // \u00fc\u6c34 comes back as raw UTF-8; compare values, and text where no escapes.
        EXPECT_EQ(*m, *v) << text;
        if (std::string_view(text).find("\\u") == std::string_view::npos) {
            EXPECT_EQ(out, text);
        }
    }
}

TEST(EncodingRoundTrip, CborToMsgpackToCborIsByteExact) {
    const Value v = model();
    const std::string cbor = encode(v, Format::cbor);
    auto m = decode(encode(v, Format::msgpack), Format::msgpack);
    ASSERT_TRUE(m);
    EXPECT_EQ(to_hex(encode(*m, Format::cbor)), to_hex(cbor));
}

TEST(EncodingRoundTrip, OneFloatStaysFloatInEveryFormat) {
    EXPECT_EQ(to_hex(encode(Value(1.0), Format::cbor)), "f93c00");              // half 1.0
    EXPECT_EQ(to_hex(encode(Value(1.0), Format::msgpack)), "cb3ff0000000000000");  // float 64
    EXPECT_EQ(encode(Value(1.0), Format::json), "1.0");
    EXPECT_EQ(to_hex(encode(Value(1), Format::cbor)), "01");
    EXPECT_EQ(to_hex(encode(Value(1), Format::msgpack)), "01");
    EXPECT_EQ(encode(Value(1), Format::json), "1");
}

TEST(EncodingRoundTrip, ManyRandomDoublesSurviveJson) {
    // Shortest text must still read back to the same double, for all magnitudes.
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
        double d;
        static_assert(sizeof d == sizeof x);
        std::memcpy(&d, &x, sizeof d);
        if (!std::isfinite(d)) continue;
        auto back = decode(encode(Value(d), Format::json), Format::json);
        ASSERT_TRUE(back) << encode(Value(d), Format::json);
        ASSERT_TRUE(back->is_double()) << encode(Value(d), Format::json);
        const double got = back->as_double();
        ASSERT_EQ(std::memcmp(&d, &got, sizeof d), 0) << encode(Value(d), Format::json);
    }
}

}  // namespace
}  // namespace harperrt::encoding
