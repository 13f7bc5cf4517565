// JSON codec: numbers (integers stay integers, floats stay floats), strings and escapes,
// bytes as base64, NaN/Infinity as null, key order and duplicate keys.
#include "common/encoding/codec.hpp"
#include "tests/unit/encoding/hex.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace harperrt::encoding {
namespace {

Value json(std::string_view text) {
    auto v = decode(text, Format::json);
    EXPECT_TRUE(v) << text << ": " << v.error().message();
    return v ? std::move(v).value() : Value();
}

std::string to_json(const Value& v) { return encode(v, Format::json); }

struct NumberCase {
    const char* text;
    Value value;
};

TEST(EncodingJson, Numbers) {
    const NumberCase cases[] = {
        {"0", 0},
        {"-0", 0},                                            // an integer: int64 0
        {"42", 42},
        {"-42", -42},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"9223372036854775808", std::uint64_t{1} << 63},      // above int64: uint64
        {"18446744073709551615", UINT64_MAX},
        {"18446744073709551616", 18446744073709551616.0},     // beyond 64 bits: a float
        {"-9223372036854775809", -9223372036854775809.0},
        {"1.0", 1.0},                                         // a fraction makes a float
        {"-0.0", -0.0},
        {"1e2", 100.0},                                       // so does an exponent
        {"1E+2", 100.0},
        {"2.5e-3", 0.0025},
        {"0.1", 0.1},
        {"1.7976931348623157e308", std::numeric_limits<double>::max()},
        {"5e-324", std::numeric_limits<double>::denorm_min()},
        {"1e400", std::numeric_limits<double>::infinity()},   // overflows double
        {"-1e400", -std::numeric_limits<double>::infinity()},
        {"1e-400", 0.0},                                      // underflows double
        {"123456789012345678901234567890", 1.2345678901234568e29},
    };
    for (const auto& c : cases) {
        const Value v = json(c.text);
        EXPECT_EQ(v, c.value) << c.text;
        EXPECT_EQ(v.type(), c.value.type()) << c.text;
    }
    EXPECT_TRUE(std::signbit(json("-1e-400").as_double()));
    EXPECT_TRUE(std::signbit(json("-0.0").as_double()));
}

TEST(EncodingJson, FloatsAreShortestAndStayFloats) {
    EXPECT_EQ(to_json(1.0), "1.0");
    EXPECT_EQ(to_json(-0.0), "-0.0");
    EXPECT_EQ(to_json(0.1), "0.1");
    EXPECT_EQ(to_json(1.5), "1.5");
    EXPECT_EQ(to_json(100000.0), "100000.0");
    EXPECT_EQ(to_json(1e300), "1e+300");
    EXPECT_EQ(to_json(5.960464477539063e-8), "5.960464477539063e-8");
    EXPECT_EQ(to_json(1e21), "1e+21");                          // JavaScript's layout:
    EXPECT_EQ(to_json(1e20), "100000000000000000000.0");        //   fixed below 1e21
    EXPECT_EQ(to_json(0.000001), "0.000001");                   //   and down to 1e-6,
    EXPECT_EQ(to_json(1e-7), "1e-7");                           //   exponential outside
    EXPECT_EQ(to_json(-123.456), "-123.456");
    EXPECT_EQ(to_json(1.5e-10), "1.5e-10");
    EXPECT_EQ(to_json(-2.5e22), "-2.5e+22");
    EXPECT_EQ(to_json(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
    EXPECT_EQ(to_json(std::numeric_limits<double>::denorm_min()), "5e-324");
    EXPECT_EQ(to_json(1), "1");
    EXPECT_EQ(to_json(INT64_MIN), "-9223372036854775808");
    EXPECT_EQ(to_json(UINT64_MAX), "18446744073709551615");
}

TEST(EncodingJson, NanAndInfinityBecomeNull) {
    EXPECT_EQ(to_json(std::numeric_limits<double>::quiet_NaN()), "null");
    EXPECT_EQ(to_json(std::numeric_limits<double>::infinity()), "null");
    EXPECT_EQ(to_json(Array{-std::numeric_limits<double>::infinity()}), "[null]");
}

TEST(EncodingJson, StringEscapesDecode) {
    EXPECT_EQ(json(R"("a\"b\\c\/d\b\f\n\r\t")"), Value("a\"b\\c/d\b\f\n\r\t"));
    EXPECT_EQ(json(R"("\u0041\u00fc\u6C34")"), Value("A\u00fc\u6c34"));
    EXPECT_EQ(json(R"("\ud83d\ude00")"), Value("\U0001F600"));  // surrogate pair
    EXPECT_EQ(json(R"("\u0000")"), Value(std::string(1, '\0')));
    EXPECT_EQ(json("\"\xe6\xb0\xb4\""), Value("\u6c34"));         // raw UTF-8
}

TEST(EncodingJson, StringEscapesEncode) {
    EXPECT_EQ(to_json("a\"b\\c/d"), R"("a\"b\\c/d")");
    EXPECT_EQ(to_json("\b\f\n\r\t"), R"("\b\f\n\r\t")");
    EXPECT_EQ(to_json(std::string("\x01\x1f\0", 3)), R"("\u0001\u001f\u0000")");
    EXPECT_EQ(to_json("\u00fc\U0001F600\x7f"), "\"\u00fc\U0001F600\x7f\"");  // UTF-8 verbatim
    EXPECT_EQ(to_json("a\xff" "b"), "\"a\xef\xbf\xbd" "b\"");  // ill-formed byte -> U+FFFD
}

TEST(EncodingJson, BytesAreBase64) {
    auto b = [](std::string_view s) {
        Bytes out;
        for (char c : s) out.push_back(static_cast<std::byte>(c));
        return Value(std::move(out));
    };
    // RFC 4648 §10 test vectors.
    EXPECT_EQ(to_json(b("")), R"("")");
    EXPECT_EQ(to_json(b("f")), R"("Zg==")");
    EXPECT_EQ(to_json(b("fo")), R"("Zm8=")");
    EXPECT_EQ(to_json(b("foo")), R"("Zm9v")");
    EXPECT_EQ(to_json(b("foob")), R"("Zm9vYg==")");
    EXPECT_EQ(to_json(b("fooba")), R"("Zm9vYmE=")");
    EXPECT_EQ(to_json(b("foobar")), R"("Zm9vYmFy")");
    EXPECT_EQ(to_json(b(std::string_view("\xff\xfe\x00", 3))), R"("//4A")");
}

TEST(EncodingJson, KeyOrderIsKept) {
    const std::string text = R"({"z":1,"a":{"y":[true,false,null],"b":"x"},"m":[]})";
    EXPECT_EQ(to_json(json(text)), text);
}

TEST(EncodingJson, DuplicateKeysLastWinsAtFirstPosition) {
    EXPECT_EQ(to_json(json(R"({"a":1,"b":2,"a":3})")), R"({"a":3,"b":2})");
}

TEST(EncodingJson, WhitespaceAndScalarsAtTopLevel) {
    EXPECT_EQ(json(" \t\r\n{ \"a\" : [ 1 , 2 ] } \n"), Value(Map{{"a", Array{1, 2}}}));
    EXPECT_EQ(json("true"), Value(true));
    EXPECT_EQ(json("null"), Value());
    EXPECT_EQ(json("\"s\""), Value("s"));
    EXPECT_EQ(json(" 7 "), Value(7));
}

TEST(EncodingJson, EncodeToAppends) {
    std::string out = "x";
    encode_to(Value(Array{1}), Format::json, out);
    EXPECT_EQ(out, "x[1]");
}

TEST(EncodingJson, DecodeRecordRequiresAMap) {
    EXPECT_TRUE(decode_record(R"({"id":1})", Format::json));
    auto r = decode_record("[1]", Format::json);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::not_a_map);
    EXPECT_EQ(r.error().message(), "payload is not a map (a record must be a map)");
    EXPECT_EQ(decode_record("{", Format::json).error(), Errc::truncated);  // decode errors first
}

TEST(EncodingJson, ErrorCategory) {
    const error_code ec = Errc::invalid_utf8;
    EXPECT_STREQ(ec.category().name(), "harperrt.encoding");
    EXPECT_EQ(ec.message(), "payload has a text string that is not valid UTF-8");
    for (int e = static_cast<int>(Errc::syntax_error); e <= static_cast<int>(Errc::not_a_map); ++e)
        EXPECT_NE(encoding_category().message(e), "unknown encoding error") << e;
}

}  // namespace
}  // namespace harperrt::encoding
