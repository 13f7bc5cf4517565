// Content types, format names and the Accept-header choice (DESIGN.md §4).
#include "common/encoding/content_type.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace harperrt::encoding {
namespace {

TEST(EncodingContentType, Table) {
    const struct {
        const char* media_type;
        std::optional<Format> expected;
    } rows[] = {
        {"application/json", Format::json},
        {"APPLICATION/JSON", Format::json},
        {"Application/Json; charset=utf-8", Format::json},
        {"  application/json  ", Format::json},
        {"application/json ;charset=\"utf-8\"", Format::json},
        {"application/cbor", Format::cbor},
        {"application/x-msgpack", Format::msgpack},
        {"application/msgpack", Format::msgpack},
        {"application/vnd.msgpack", Format::msgpack},
        {"application/X-MsgPack;v=5", Format::msgpack},
        {"", std::nullopt},
        {"application/octet-stream", std::nullopt},
        {"text/json", std::nullopt},
        {"application/ld+json", std::nullopt},
        {"application/json5", std::nullopt},
        {"application/*", std::nullopt},
        {"*/*", std::nullopt},
        {"application/ json", std::nullopt},
        {"json", std::nullopt},
    };
    for (const auto& row : rows)
        EXPECT_EQ(format_from_content_type(row.media_type), row.expected) << row.media_type;
}

TEST(EncodingContentType, CanonicalNames) {
    EXPECT_EQ(content_type(Format::json), "application/json");
    EXPECT_EQ(content_type(Format::cbor), "application/cbor");
    EXPECT_EQ(content_type(Format::msgpack), "application/x-msgpack");
    for (Format f : {Format::json, Format::cbor, Format::msgpack}) {
        EXPECT_EQ(format_from_content_type(content_type(f)), f);
        EXPECT_EQ(format_from_name(name(f)), f);
    }
    EXPECT_EQ(name(Format::json), "json");
    EXPECT_EQ(name(Format::cbor), "cbor");
    EXPECT_EQ(name(Format::msgpack), "msgpack");
}

TEST(EncodingContentType, FormatFromName) {
    EXPECT_EQ(format_from_name("json"), Format::json);
    EXPECT_EQ(format_from_name("CBOR"), Format::cbor);
    EXPECT_EQ(format_from_name("MsgPack"), Format::msgpack);
    EXPECT_EQ(format_from_name(""), std::nullopt);
    EXPECT_EQ(format_from_name("x-msgpack"), std::nullopt);
    EXPECT_EQ(format_from_name("application/json"), std::nullopt);
    EXPECT_EQ(format_from_name("yaml"), std::nullopt);
}

TEST(EncodingAccept, Table) {
    const struct {
        const char* header;
        std::optional<Format> expected;
    } rows[] = {
        // No preference: use the configured default.
        {"", std::nullopt},
        {"   ", std::nullopt},
        {"*/*", std::nullopt},
        {"application/*", std::nullopt},
        {"application/*;q=0.5, */*;q=0.1", std::nullopt},
        {"text/html", std::nullopt},                               // nothing we can send
        {"text/html, image/png;q=0.9", std::nullopt},
        {"application/json;q=0", std::nullopt},                   // everything named is excluded
        {"application/json;q=0, application/cbor;q=0, application/x-msgpack;q=0, */*", std::nullopt},
        // One format.
        {"application/json", Format::json},
        {"application/cbor", Format::cbor},
        {"application/x-msgpack", Format::msgpack},
        {"application/vnd.msgpack", Format::msgpack},
        {"Application/CBOR", Format::cbor},
        {"text/html, application/cbor", Format::cbor},
        // Highest q wins.
        {"application/json;q=0.5, application/cbor", Format::cbor},
        {"application/json;q=0.9, application/cbor;q=0.8", Format::json},
        {"application/cbor;q=0.001, application/json;q=0", Format::cbor},
        {"application/msgpack;q=1.0, application/json;q=0.999", Format::msgpack},
        {"application/json; q=0.2, application/cbor; Q=0.3", Format::cbor},
        {"application/json;charset=utf-8;q=0.4, application/cbor;q=0.3", Format::json},
        // Ties: the one listed first.
        {"application/cbor, application/json", Format::cbor},
        {"application/json, application/cbor", Format::json},
        {"application/msgpack;q=0.5, application/cbor;q=0.5", Format::msgpack},
        // A named type beats a wildcard of the same q; a wildcard with a higher q wins.
        {"*/*, application/cbor", Format::cbor},
        {"application/*, application/x-msgpack", Format::msgpack},
        {"application/cbor;q=0.5, */*", Format::json},            // anything but cbor
        {"*/*;q=0.8, application/cbor;q=0.9", Format::cbor},
        // A wildcard that wins but excludes or ranks a format lower gives a concrete one.
        {"*/*, application/json;q=0", Format::cbor},
        {"application/*, application/json;q=0, application/cbor;q=0", Format::msgpack},
        {"application/*;q=0.9, application/json;q=0.5", Format::cbor},
        // The most specific range decides, wherever it is listed.
        {"application/cbor;q=0, application/*", Format::json},
        {"application/json;q=0, */*;q=0.5, application/cbor;q=0.1", Format::msgpack},
        // Malformed q-values ignore their range; empty elements and quoted commas are fine.
        {"application/cbor;q=2, application/json;q=0.5", Format::json},
        {"application/cbor;q=0.1234, application/json;q=0.1", Format::json},
        {"application/cbor;q=abc", std::nullopt},
        {"application/cbor;q=", std::nullopt},
        {",, application/cbor ,", Format::cbor},
        {"application/json;foo=\"a,b;q=0\", application/cbor;q=0.9", Format::json},
        {"application/json;q=0.5;level=1, application/cbor;q=0.4", Format::json},
    };
    for (const auto& row : rows) EXPECT_EQ(choose_from_accept(row.header), row.expected) << row.header;
}

}  // namespace
}  // namespace harperrt::encoding
