// looks_like_json (DESIGN.md §4 inbound rule 3), UTF-8 validation and the CLI's
// `sub --output json` display of any payload.
#include "common/encoding/detect.hpp"
#include "common/encoding/display.hpp"
#include "tests/unit/encoding/hex.hpp"

#include <gtest/gtest.h>

#include <string>

namespace harperrt::encoding {
namespace {

using test::hex;

TEST(EncodingDetect, LooksLikeJsonTable) {
    const struct {
        std::string payload;
        bool json;
    } rows[] = {
        {"{}", true},
        {"[]", true},
        {R"({"temp":21.5,"ok":true,"tags":["a","b"],"n":null})", true},
        {"  {\"a\":1}\n", true},
        {"42", true},                     // any JSON value, not only objects
        {"-1.5e3", true},
        {"\"text\"", true},
        {"true", true},
        {"null", true},
        {"1e400", true},                  // decodes as Infinity, so it is JSON
        {"\"\\ud83d\\ude00\"", true},
        {"", false},                      // empty: a delete, never JSON
        {"hello", false},                 // plain text
        {"hello world", false},
        {"21.5 C", false},
        {"{\"a\":1", false},
        {"{\"a\":1}}", false},
        {"{\"a\":1} {\"b\":2}", false},   // two texts (JSON lines)
        {"[1,2,]", false},
        {"{'a':1}", false},
        {"NaN", false},
        {"\"\xff\"", false},
        {"\xef\xbb\xbf{}", false},
        {hex("a16161 01"), false},        // CBOR {"a": 1}
        {hex("81a16101"), false},         // MessagePack [{"a": 1}]
        {std::string("\0", 1), false},
    };
    for (const auto& row : rows) EXPECT_EQ(looks_like_json(row.payload), row.json) << row.payload;
}

TEST(EncodingDetect, Utf8Table) {
    const struct {
        std::string text;
        bool valid;
    } rows[] = {
        {"", true},
        {"plain ascii, longer than eight bytes", true},
        {std::string("nul\0inside", 10), true},
        {"\xc3\xbc", true},                        // U+00FC
        {"\xe6\xb0\xb4", true},                    // U+6C34
        {"\xf0\x9f\x98\x80", true},                // U+1F600
        {"\xf4\x8f\xbf\xbf", true},                // U+10FFFF, the last code point
        {"\xef\xbb\xbf", true},                    // a BOM is a character
        {"\xc3", false},                           // cut
        {"\xe6\xb0", false},
        {"abcdefgh\xf0\x9f\x98", false},           // cut after the ASCII fast path
        {"\x80", false},                           // lone continuation byte
        {"\xc0\x80", false},                       // overlong NUL
        {"\xe0\x80\xaf", false},                   // overlong '/'
        {"\xf0\x80\x80\xaf", false},               // overlong '/'
        {"\xed\xa0\x80", false},                   // surrogate U+D800
        {"\xed\xbf\xbf", false},                   // surrogate U+DFFF
        {"\xf4\x90\x80\x80", false},               // U+110000
        {"\xf5\x80\x80\x80", false},
        {"\xff", false},
        {"\xc3\x28", false},                       // bad continuation byte
    };
    for (const auto& row : rows) EXPECT_EQ(is_valid_utf8(row.text), row.valid) << test::to_hex(row.text);
}

TEST(EncodingDisplay, Table) {
    const struct {
        std::string payload;
        std::optional<Format> format;
        const char* display;
    } rows[] = {
        // Structured payloads show as their value, compact, on one line.
        {"{ \"a\" : [1, 2.0],\n  \"b\": null }", std::nullopt, R"({"a":[1,2.0],"b":null})"},
        {"{\"a\":1}", Format::json, R"({"a":1})"},
        {"42", std::nullopt, "42"},
        {hex("a2 6161 01 6162 43 010203"), Format::cbor, R"({"a":1,"b":"AQID"})"},  // bytes: base64
        {hex("82 f97e00 f6"), Format::cbor, "[null,null]"},                      // NaN: null
        {hex("81 a161 c3"), Format::msgpack, R"({"a":true})"},
        {hex("f6"), Format::cbor, "null"},                                       // a delete
        // Text that is not JSON shows as a JSON string.
        {"hello", std::nullopt, R"("hello")"},
        {"line 1\nline \"2\"", std::nullopt, R"("line 1\nline \"2\"")"},
        {"\xc3\xbc", std::nullopt, "\"\xc3\xbc\""},
        {"", std::nullopt, R"("")"},
        {"{\"a\":", std::nullopt, R"("{\"a\":")"},
        {"not cbor", Format::cbor, R"("not cbor")"},                              // declared, fails
        // Anything else is opaque bytes.
        {hex("00 ff 10"), std::nullopt, R"({"$base64":"AP8Q"})"},
        {hex("ff"), Format::cbor, R"({"$base64":"/w=="})"},
        {hex("c1"), Format::msgpack, R"({"$base64":"wQ=="})"},
        {hex("63 6161"), Format::cbor, R"("caa")"},   // truncated CBOR text(3), but valid text
    };
    for (const auto& row : rows)
        EXPECT_EQ(to_display_json(row.payload, row.format), row.display) << test::to_hex(row.payload);
}

TEST(EncodingDisplay, OutputIsAlwaysJson) {
    for (const std::string& payload : {hex("00 01 fe ff"), std::string("\x1b[0m"), hex("c3 28"),
                                       std::string(600, '[')}) {
        for (auto f : {std::optional<Format>{}, std::optional<Format>{Format::cbor},
                       std::optional<Format>{Format::msgpack}}) {
            const std::string shown = to_display_json(payload, f);
            EXPECT_TRUE(looks_like_json(shown)) << shown;
            EXPECT_EQ(shown.find('\n'), std::string::npos);
        }
    }
}

}  // namespace
}  // namespace harperrt::encoding
