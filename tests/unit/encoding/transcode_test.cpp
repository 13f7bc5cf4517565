// encoding::transcode_to: the one-pass MessagePack -> JSON path must write exactly what
// decoding into a Value and encoding that as JSON writes, and fail exactly as decode() does.
#include "common/encoding/codec.hpp"
#include "tests/unit/encoding/hex.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <string>

namespace harperrt::encoding {
namespace {

using test::hex;
using test::to_hex;

// What transcode_to must equal: encode_to(decode(...)), or decode's error.
struct Expected {
    bool ok;
    std::string text;
    error_code error;
};
Expected via_value(std::string_view msgpack) {
    auto v = decode(msgpack, Format::msgpack);
    if (!v) return {false, {}, v.error()};
    return {true, encode(*v, Format::json), {}};
}

void expect_same_as_value_path(std::string_view msgpack) {
    const auto want = via_value(msgpack);
    std::string out = "prefix:";
    auto r = transcode_to(msgpack, Format::msgpack, Format::json, out);
    ASSERT_EQ(r.has_value(), want.ok) << to_hex(msgpack);
    if (want.ok) {
        EXPECT_EQ(out, std::string("prefix:").append(want.text)) << to_hex(msgpack);
    } else {
        EXPECT_EQ(r.error(), want.error) << to_hex(msgpack);
        EXPECT_EQ(out, "prefix:") << "nothing appended on error: " << to_hex(msgpack);
    }
}

TEST(EncodingTranscode, EveryTypeOfTheModel) {
    const Value v = Map{
        {"id", "dog/41"}, {"zero", 0}, {"neg", -1}, {"fix_neg", -32}, {"i8", -100}, {"i16", -30000},
        {"i32", -2000000000}, {"i64min", INT64_MIN}, {"i64max", INT64_MAX}, {"u8", 200}, {"u16", 60000},
        {"u32", 4000000000LL}, {"u64max", UINT64_MAX}, {"one_float", 1.0}, {"neg_zero", -0.0}, {"tenth", 0.1},
        {"big", 1e300}, {"tiny", std::numeric_limits<double>::denorm_min()},
        {"nan", std::numeric_limits<double>::quiet_NaN()}, {"inf", -std::numeric_limits<double>::infinity()},
        {"yes", true}, {"no", false}, {"nothing", nullptr},
        {"text", "h\u00e9llo \u6c34 \U0001F600 \"q\" \\ \n\t\x01"}, {"empty_text", ""},
        {"nul", std::string("a\0b", 3)}, {"long_text", std::string(300, 'x')},
        {"bytes", Bytes{std::byte{0}, std::byte{0xff}, std::byte{7}}}, {"empty_bytes", Bytes{}},
        {"list", Array{1, -2, 3.5, "x", Array{}, Map{}}},
        {"nested", Map{{"b", Map{{"c", Array{Map{{"d", nullptr}}}}}}}},
        {std::string(40, 'k'), "a key in str8"},
    };
    const std::string msgpack = encode(v, Format::msgpack);
    std::string out;
    ASSERT_TRUE(transcode_to(msgpack, Format::msgpack, Format::json, out));
    EXPECT_EQ(out, encode(v, Format::json));
    expect_same_as_value_path(msgpack);
}

TEST(EncodingTranscode, FormsOurEncoderNeverWrites) {
    expect_same_as_value_path(hex("ca 3fc00000"));              // float 32: 1.5
    expect_same_as_value_path(hex("ca 3dcccccd"));              // float 32: 0.1f
    expect_same_as_value_path(hex("d0 05"));                    // int 8 holding a positive
    expect_same_as_value_path(hex("cf 0000000000000001"));      // uint 64 holding 1
    expect_same_as_value_path(hex("82 01 a1 61 ff a1 62"));     // integer keys {1: "a", -1: "b"}
    expect_same_as_value_path(hex("83 a1 61 01 a1 62 02 a1 61 03"));  // {"a":1,"b":2,"a":3}: last wins, first place
    expect_same_as_value_path(hex("81 a1 61 82 a1 78 01 a1 78 02"));  // repeated key one level down
    expect_same_as_value_path(hex("82 a1 61 81 a1 62 01 a1 62 02"));  // same key in different maps: fine
    expect_same_as_value_path(hex("dc 0002 01 02"));            // array 16
    expect_same_as_value_path(hex("de 0001 a1 61 c0"));         // map 16
    expect_same_as_value_path(hex("c5 0001 41"));               // bin 16
    // A map of more keys than the pairwise duplicate check takes.
    Map big;
    for (int i = 0; i < 100; ++i) big.set("k" + std::to_string(i), Value(i));
    expect_same_as_value_path(encode(Value(big), Format::msgpack));
}

TEST(EncodingTranscode, ErrorsAreDecodesErrors) {
    for (const char* h : {"", "cc", "a2 61", "db ffffffff", "92 01", "81 a161", "df ffffffff 00", "c1", "01 02",
                          "a1 ff", "81 a1 ff 00", "81 c0 01", "81 90 01", "d4 01 00", "91 d5 01 0000", "c7 00 05"})
        expect_same_as_value_path(hex(h));
    // Nesting: the limit and one past it.
    expect_same_as_value_path(std::string(max_depth, '\x91') + '\0');
    expect_same_as_value_path(std::string(max_depth + 1, '\x91') + '\0');
    expect_same_as_value_path(std::string(max_depth + 1, '\x81') + std::string(1, '\0'));
}

// Mutated records: whatever the bytes, both paths agree (and ASan checks the reads).
TEST(EncodingTranscode, RandomMutationsAgreeWithTheValuePath) {
    const Value v = Map{{"id", "dog/41"}, {"n", -123456789}, {"f", 1.1}, {"u", UINT64_MAX},
                        {"b", Bytes{std::byte{1}, std::byte{2}}}, {"a", Array{true, nullptr, "\u6c34", 0.5}},
                        {"m", Map{{"x", Array{Array{}, Map{}}}, {"y", -1.5e300}, {"z", "zz"}}}};
    const std::string wire = encode(v, Format::msgpack);
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    auto next = [&x] {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
        return x;
    };
    int decodable = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string m = wire;
        for (int edits = 1 + static_cast<int>(next() % 3); edits > 0; --edits) {
            const std::size_t at = next() % m.size();
            switch (next() % 4) {
            case 0: m[at] = static_cast<char>(next()); break;
            case 1: m[at] = static_cast<char>(m[at] ^ (1 << (next() % 8))); break;
            case 2: m.insert(at, 1, static_cast<char>(next())); break;
            default: m.resize(std::max<std::size_t>(1, at)); break;
            }
        }
        decodable += via_value(m).ok ? 1 : 0;
        expect_same_as_value_path(m);
        if (HasFatalFailure()) return;
    }
    EXPECT_GT(decodable, 1000) << "the mutations should leave many inputs decodable";
}

TEST(EncodingTranscode, OtherPairsGoThroughTheModel) {
    const Value v = Map{{"a", Array{1, 2.5, "x"}}, {"b", Bytes{std::byte{9}}}};
    for (Format from : {Format::json, Format::cbor, Format::msgpack})
        for (Format to : {Format::json, Format::cbor, Format::msgpack}) {
            const std::string in = encode(v, from);
            std::string out;
            ASSERT_TRUE(transcode_to(in, from, to, out));
            EXPECT_EQ(to_hex(out), to_hex(encode(*decode(in, from), to))) << int(from) << "->" << int(to);
        }
    std::string out = "x";
    auto r = transcode_to("{", Format::json, Format::cbor, out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::truncated);
    EXPECT_EQ(out, "x");
}

}  // namespace
}  // namespace harperrt::encoding
