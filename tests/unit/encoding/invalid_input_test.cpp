// Malformed and out-of-model inputs, one table per format; each row expects one Errc.
// Bytes are annotated per field. Also: nesting at and beyond max_depth in every format.
#include "common/encoding/codec.hpp"
#include "common/encoding/detect.hpp"
#include "tests/unit/encoding/hex.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace harperrt::encoding {
namespace {

using test::hex;
using test::to_hex;

struct Invalid {
    std::string input;
    Errc expected;
};

void expect_refused(Format format, const Invalid& row) {
    auto v = decode(row.input, format);
    ASSERT_FALSE(v) << to_hex(row.input) << " decoded";
    EXPECT_EQ(v.error(), row.expected) << to_hex(row.input) << ": got " << v.error().message();
}

TEST(EncodingInvalidJson, Table) {
    const Invalid rows[] = {
        {"", Errc::truncated},
        {" \n", Errc::truncated},
        {"[", Errc::truncated},
        {"[1,", Errc::truncated},
        {"{\"a\"", Errc::truncated},
        {"{\"a\":", Errc::truncated},
        {"{\"a\":1", Errc::truncated},
        {"\"abc", Errc::truncated},
        {"\"a\\", Errc::truncated},
        {"\"\\u12", Errc::truncated},
        {"\"\\ud83d", Errc::truncated},            // high surrogate, then the end
        {"\"\xe6\xb0", Errc::truncated},           // a 3-byte sequence cut after 2
        {"tru", Errc::truncated},
        {"-", Errc::truncated},
        {"1.", Errc::truncated},
        {"1e", Errc::truncated},
        {"1e+", Errc::truncated},
        {"[1,]", Errc::syntax_error},              // trailing comma
        {"[,1]", Errc::syntax_error},
        {"[1 2]", Errc::syntax_error},
        {"{,}", Errc::syntax_error},
        {"{\"a\" 1}", Errc::syntax_error},
        {"{\"a\":1,}", Errc::syntax_error},
        {"{'a':1}", Errc::syntax_error},           // single quotes
        {"{a:1}", Errc::syntax_error},             // bare key
        {"{1:2}", Errc::syntax_error},             // JSON keys are strings
        {"01", Errc::syntax_error},                // leading zero
        {"[-01]", Errc::syntax_error},
        {"+1", Errc::syntax_error},
        {".5", Errc::syntax_error},
        {"1.e5", Errc::syntax_error},
        {"1e+x", Errc::syntax_error},
        {"-x", Errc::syntax_error},
        {"NaN", Errc::syntax_error},
        {"Infinity", Errc::syntax_error},
        {"nul1", Errc::syntax_error},
        {"True", Errc::syntax_error},
        {"\"a\tb\"", Errc::syntax_error},          // raw control character in a string
        {"\"\\x\"", Errc::syntax_error},           // unknown escape
        {"\"\\u12G4\"", Errc::syntax_error},
        {"// c\n1", Errc::syntax_error},           // comments are not JSON
        {"\xef\xbb\xbf{}", Errc::syntax_error},    // BOM (RFC 8259 §8.1)
        {"1 2", Errc::trailing_data},
        {"{} x", Errc::trailing_data},
        {"[]]", Errc::trailing_data},
        {std::string("null\0", 5), Errc::trailing_data},
        {"truex", Errc::trailing_data},
        {"\"\xff\"", Errc::invalid_utf8},          // never valid in UTF-8
        {"\"\xc0\xaf\"", Errc::invalid_utf8},      // overlong '/'
        {"\"\xed\xa0\x80\"", Errc::invalid_utf8},  // encoded surrogate U+D800
        {"\"\xf4\x90\x80\x80\"", Errc::invalid_utf8},  // above U+10FFFF
        {"\"\x80\"", Errc::invalid_utf8},          // lone continuation byte
        {"\"\\udc00\"", Errc::invalid_utf8},       // lone low surrogate
        {"\"\\ud800x\"", Errc::invalid_utf8},      // high surrogate not followed by \u
        {"\"\\ud800\\u0041\"", Errc::invalid_utf8},  // high surrogate, then not a low one
    };
    for (const auto& row : rows) {
        expect_refused(Format::json, row);
        EXPECT_FALSE(looks_like_json(row.input)) << to_hex(row.input);
    }
}

TEST(EncodingInvalidCbor, Table) {
    const Invalid rows[] = {
        {"", Errc::truncated},
        {hex("18"), Errc::truncated},                   // uint, 1-byte argument missing
        {hex("19 00"), Errc::truncated},                // uint, 2-byte argument cut
        {hex("1b 00000000000000"), Errc::truncated},    // uint, 8-byte argument cut
        {hex("62 61"), Errc::truncated},                // text(2), 1 byte of content
        {hex("44 0102"), Errc::truncated},              // bytes(4), 2 bytes of content
        {hex("82 01"), Errc::truncated},                // array(2), 1 item
        {hex("a1 6161"), Errc::truncated},              // map(1), key without value
        {hex("5f 41 00"), Errc::truncated},             // indefinite bytes, no break
        {hex("9f 01"), Errc::truncated},                // indefinite array, no break
        {hex("bf 6161 01"), Errc::truncated},           // indefinite map, no break
        {hex("c0"), Errc::truncated},                   // tag 0 without its item
        {hex("f9 00"), Errc::truncated},                // half float cut
        {hex("5b ffffffffffffffff"), Errc::truncated},  // bytes of length 2^64-1: nothing reserved
        {hex("9b 00000000ffffffff 00"), Errc::truncated},  // array of 2^32-1 items, 1 present
        {hex("bb 00000000ffffffff 00"), Errc::truncated},  // map of 2^32-1 pairs
        {hex("1c"), Errc::syntax_error},                // additional info 28 is reserved
        {hex("3d"), Errc::syntax_error},                // 29, reserved
        {hex("5e"), Errc::syntax_error},                // 30, reserved
        {hex("1f"), Errc::syntax_error},                // uint cannot be indefinite
        {hex("3f"), Errc::syntax_error},                // negative int cannot be indefinite
        {hex("df"), Errc::syntax_error},                // tag cannot be indefinite
        {hex("ff"), Errc::syntax_error},                // break outside an indefinite item
        {hex("82 01 ff"), Errc::syntax_error},          // break inside a definite array
        {hex("bf 6161 ff"), Errc::syntax_error},        // break in place of a map value
        {hex("f8 10"), Errc::syntax_error},             // simple value < 32 in two bytes (§3.3)
        {hex("5f 61 61 ff"), Errc::syntax_error},       // indefinite bytes with a text chunk
        {hex("7f 41 61 ff"), Errc::syntax_error},       // indefinite text with a bytes chunk
        {hex("5f 5f ff ff"), Errc::syntax_error},       // an indefinite chunk inside
        {hex("7f c0 61 61 ff"), Errc::syntax_error},    // a tagged chunk
        {hex("01 02"), Errc::trailing_data},            // two items
        {hex("a0 00"), Errc::trailing_data},
        {hex("9f ff ff"), Errc::trailing_data},         // a second break
        {hex("62 c3 28"), Errc::invalid_utf8},          // text(2): bad continuation byte
        {hex("61 ff"), Errc::invalid_utf8},
        {hex("63 eda080"), Errc::invalid_utf8},         // encoded surrogate
        {hex("7f 61 c3 61 bc ff"), Errc::invalid_utf8}, // ü split across two chunks
        {hex("a1 6161 61 80"), Errc::invalid_utf8},     // bad text as a map value
        {hex("a1 f6 01"), Errc::non_string_key},        // {null: 1}
        {hex("a1 f5 01"), Errc::non_string_key},        // {true: 1}
        {hex("a1 40 01"), Errc::non_string_key},        // {h'': 1}
        {hex("a1 f93c00 01"), Errc::non_string_key},    // {1.0: 1}
        {hex("a1 80 01"), Errc::non_string_key},        // {[]: 1}
        {hex("a1 a0 01"), Errc::non_string_key},        // {{}: 1}
        {hex("e0"), Errc::unsupported_type},            // simple(0)
        {hex("f3"), Errc::unsupported_type},            // simple(19)
        {hex("f8 20"), Errc::unsupported_type},         // simple(32)
        {hex("3b ffffffffffffffff"), Errc::out_of_range},  // -2^64
        {hex("3b 8000000000000000"), Errc::out_of_range},  // -2^63 - 1
    };
    for (const auto& row : rows) expect_refused(Format::cbor, row);
}

TEST(EncodingInvalidMsgpack, Table) {
    const Invalid rows[] = {
        {"", Errc::truncated},
        {hex("cc"), Errc::truncated},                   // uint 8 without its byte
        {hex("cd 00"), Errc::truncated},                // uint 16 cut
        {hex("cf 00000000"), Errc::truncated},          // uint 64 cut
        {hex("d3 00"), Errc::truncated},                // int 64 cut
        {hex("ca 0000"), Errc::truncated},              // float 32 cut
        {hex("cb 00"), Errc::truncated},                // float 64 cut
        {hex("a2 61"), Errc::truncated},                // fixstr(2), 1 byte
        {hex("d9"), Errc::truncated},                   // str 8 without length
        {hex("d9 05 6161"), Errc::truncated},           // str 8 of 5, 2 bytes
        {hex("db ffffffff"), Errc::truncated},          // str 32 of 4 GiB: nothing reserved
        {hex("c4 05 01"), Errc::truncated},             // bin 8 of 5, 1 byte
        {hex("c6 ffffffff"), Errc::truncated},          // bin 32 of 4 GiB
        {hex("92 01"), Errc::truncated},                // fixarray(2), 1 item
        {hex("dd ffffffff 00"), Errc::truncated},       // array 32 of 2^32-1 items
        {hex("81 a161"), Errc::truncated},              // fixmap(1), key only
        {hex("df ffffffff 00"), Errc::truncated},       // map 32 of 2^32-1 pairs
        {hex("d4 01"), Errc::truncated},                // fixext 1 without data
        {hex("c7 05 01 00"), Errc::truncated},          // ext 8 of 5, 1 byte
        {hex("c1"), Errc::syntax_error},                // "never used"
        {hex("92 01 c1"), Errc::syntax_error},
        {hex("01 02"), Errc::trailing_data},
        {hex("c0 c0"), Errc::trailing_data},
        {hex("90 00"), Errc::trailing_data},
        {hex("a1 ff"), Errc::invalid_utf8},             // fixstr(1): 0xff
        {hex("a2 c3 28"), Errc::invalid_utf8},          // bad continuation byte
        {hex("d9 01 80"), Errc::invalid_utf8},          // str 8: lone continuation byte
        {hex("81 a1 ff 00"), Errc::invalid_utf8},       // bad key
        {hex("81 c0 01"), Errc::non_string_key},        // {nil: 1}
        {hex("81 c3 01"), Errc::non_string_key},        // {true: 1}
        {hex("81 c4 00 01"), Errc::non_string_key},     // {bin(0): 1}
        {hex("81 cb 3ff0000000000000 01"), Errc::non_string_key},  // {1.0: 1}
        {hex("81 90 01"), Errc::non_string_key},        // {[]: 1}
        {hex("81 80 01"), Errc::non_string_key},        // {{}: 1}
        {hex("d4 01 00"), Errc::unsupported_type},      // fixext 1
        {hex("d6 ff 00000000"), Errc::unsupported_type},  // timestamp 32
        {hex("c7 00 05"), Errc::unsupported_type},      // ext 8, empty
        {hex("91 d5 01 0000"), Errc::unsupported_type}, // ext inside an array
    };
    for (const auto& row : rows) expect_refused(Format::msgpack, row);
}

// `depth` nested arrays around 0, in `format`.
std::string nested_arrays(Format format, std::size_t depth) {
    switch (format) {
    case Format::json: return std::string(depth, '[') + "0" + std::string(depth, ']');
    case Format::cbor: return std::string(depth, '\x81') + '\0';  // array(1) ... 0
    case Format::msgpack: return std::string(depth, '\x91') + '\0';  // fixarray(1) ... 0
    }
    return {};
}

// `depth` nested maps {"a": ...} around 0.
std::string nested_maps(Format format, std::size_t depth) {
    std::string out;
    switch (format) {
    case Format::json:
        for (std::size_t i = 0; i < depth; ++i) out += "{\"a\":";
        return out + "0" + std::string(depth, '}');
    case Format::cbor:
        for (std::size_t i = 0; i < depth; ++i) out += "\xa1\x61" "a";  // map(1), text(1) "a"
        return out + '\0';
    case Format::msgpack:
        for (std::size_t i = 0; i < depth; ++i) out += "\x81\xa1" "a";  // fixmap(1), fixstr "a"
        return out + '\0';
    }
    return {};
}

class EncodingDepth : public ::testing::TestWithParam<Format> {};

TEST_P(EncodingDepth, AcceptsMaxDepthRefusesDeeper) {
    const Format f = GetParam();
    for (auto* make : {&nested_arrays, &nested_maps}) {
        auto ok = decode(make(f, max_depth), f);
        ASSERT_TRUE(ok) << ok.error().message();
        EXPECT_EQ(encode(*ok, f), make(f, max_depth));  // the encoder handles it too
        EXPECT_EQ(decode(make(f, max_depth + 1), f).error(), Errc::too_deep);
    }
    // Far deeper than any stack would allow if the limit were missing.
    EXPECT_EQ(decode(nested_arrays(f, 1'000'000), f).error(), Errc::too_deep);
}

TEST(EncodingDepth, CborIndefiniteNestingCounts) {
    EXPECT_TRUE(decode(std::string(max_depth, '\x9f') + std::string(max_depth, '\xff'), Format::cbor));
    EXPECT_EQ(decode(std::string(max_depth + 1, '\x9f') + std::string(max_depth + 1, '\xff'), Format::cbor).error(),
              Errc::too_deep);
}

TEST(EncodingDepth, JsonDetectionUsesTheSameLimit) {
    EXPECT_TRUE(looks_like_json(nested_arrays(Format::json, max_depth)));
    EXPECT_FALSE(looks_like_json(nested_arrays(Format::json, max_depth + 1)));
}

INSTANTIATE_TEST_SUITE_P(EncodingAllFormats, EncodingDepth,
                         ::testing::Values(Format::json, Format::cbor, Format::msgpack),
                         [](const auto& p) {
                             return std::string(p.param == Format::json ? "json"
                                                : p.param == Format::cbor ? "cbor" : "msgpack");
                         });

// Every proper prefix of a valid map payload is refused as truncated, in every format.
TEST(EncodingInvalid, EveryPrefixIsTruncated) {
    const Value v = Map{{"id", "dog/41"}, {"n", -123456789}, {"f", 1.1}, {"u", UINT64_MAX},
                        {"b", Bytes{std::byte{1}, std::byte{2}}}, {"a", Array{true, nullptr, "\u6c34"}}};
    for (Format f : {Format::cbor, Format::msgpack, Format::json}) {
        const std::string wire = encode(v, f);
        for (std::size_t n = 0; n < wire.size(); ++n) {
            auto r = decode(std::string_view(wire).substr(0, n), f);
            ASSERT_FALSE(r) << n;
            EXPECT_EQ(r.error(), Errc::truncated) << "format " << int(f) << " prefix " << n;
        }
    }
}

// A deterministic mini-fuzz: random byte flips, cuts and insertions in valid payloads.
// Decoding must never crash or over-read (run under ASan in CI), and whatever decodes
// must re-encode to a fixed point (for JSON, a value that overflowed to Infinity is
// encoded as null, so compare encodings rather than values).
TEST(EncodingInvalid, RandomMutationsAreSafe) {
    const Value v = Map{{"id", "dog/41"}, {"n", -123456789}, {"f", 1.1}, {"u", UINT64_MAX},
                        {"b", Bytes{std::byte{1}, std::byte{2}}}, {"a", Array{true, nullptr, "\u6c34", 0.5}},
                        {"m", Map{{"x", Array{Array{}, Map{}}}, {"y", -1.5e300}}}};
    std::uint64_t x = 0x2545f4914f6cdd1dull;
    auto next = [&x] {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
        return x;
    };
    for (Format f : {Format::json, Format::cbor, Format::msgpack}) {
        const std::string wire = encode(v, f);
        for (int i = 0; i < 5000; ++i) {
            std::string m = wire;
            for (int edits = 1 + static_cast<int>(next() % 3); edits > 0; --edits) {
                const std::size_t at = next() % m.size();
                switch (next() % 4) {
                case 0: m[at] = static_cast<char>(next()); break;                  // replace a byte
                case 1: m[at] = static_cast<char>(m[at] ^ (1 << (next() % 8))); break;  // flip a bit
                case 2: m.insert(at, 1, static_cast<char>(next())); break;          // insert a byte
                default: m.resize(std::max<std::size_t>(1, at)); break;             // cut
                }
            }
            auto r = decode(m, f);
            if (f == Format::json) {
                EXPECT_EQ(looks_like_json(m), r.has_value()) << m;
            }
            if (!r) continue;
            const std::string once = encode(*r, f);
            auto again = decode(once, f);
            ASSERT_TRUE(again) << to_hex(m);
            EXPECT_EQ(to_hex(encode(*again, f)), to_hex(once)) << to_hex(m);
        }
    }
}

}  // namespace
}  // namespace harperrt::encoding
