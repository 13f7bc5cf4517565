// client::format_message (-F), check_format and message_json.
#include "client/format.hpp"

#include "common/encoding/content_type.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <regex>
#include <string>

namespace harperrt::client {
namespace {

using namespace std::chrono;

// 2025-11-25 14:38:39.000000042 UTC.
const system_clock::time_point when{duration_cast<system_clock::duration>(seconds(1764081519) + nanoseconds(42))};

mqtt::Publish message() {
    mqtt::Publish p;
    p.topic = "Sensor/1";
    p.payload = "{\"temp\":21}";
    p.qos = mqtt::QoS::at_least_once;
    p.retain = true;
    p.packet_id = 7;
    return p;
}

TEST(ClientFormat, MosquittoFieldsAndEscapes) {
    const auto p = message();
    EXPECT_EQ(format_message("%t %p %q %r %l %m", p, when), "Sensor/1 {\"temp\":21} 1 1 11 7");
    EXPECT_EQ(format_message("100%%\\t\\\\%t\\n", p, when), "100%\t\\Sensor/1\n");
    EXPECT_EQ(format_message("\\r\\v\\a\\e", p, when), "\r\v\a\x1b");
    EXPECT_EQ(format_message("a\\0b", p, when), std::string("a\0b", 3));
    EXPECT_EQ(format_message("", p, when), "");
    EXPECT_EQ(format_message("plain text", p, when), "plain text");
    EXPECT_EQ(format_message("trailing %", p, when), "trailing %");  // copied as it is

    mqtt::Publish q;
    q.topic = "a/b";
    q.payload = std::string("\x00\xff\x10", 3);
    EXPECT_EQ(format_message("%x %X %l %q %r %m", q, when), "00ff10 00FF10 3 0 0 0");
}

TEST(ClientFormat, V5PropertiesAreEmptyWhenAbsent) {
    auto p = message();
    EXPECT_EQ(format_message("[%C][%R][%D][%E][%F][%P]", p, when), "[][][][][][]");
    p.properties.content_type = "application/cbor";
    p.properties.response_topic = "reply/to";
    p.properties.correlation_data = "corr";
    p.properties.message_expiry_interval = 60;
    p.properties.payload_format_indicator = 1;
    p.properties.user_properties = {{"a", "1"}, {"b", "x y"}};
    EXPECT_EQ(format_message("[%C][%R][%D][%E][%F][%P]", p, when), "[application/cbor][reply/to][corr][60][1][a:1 b:x y]");
}

TEST(ClientFormat, TimeFields) {
    const auto p = message();
    EXPECT_EQ(format_message("%U", p, when), "1764081519.000000042");
    EXPECT_EQ(format_message("%U", p, system_clock::time_point{}), "0.000000000");
    // %I: ISO 8601 local time with its UTC offset; @X: strftime in local time.
    const std::string iso = format_message("%I", p, when);
    EXPECT_TRUE(std::regex_match(iso, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4})"))) << iso;
    const std::time_t t = system_clock::to_time_t(when);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char expected[64];
    ASSERT_GT(std::strftime(expected, sizeof expected, "%Y-%m-%dT%H:%M:%S%z", &tm), 0u);
    EXPECT_EQ(iso, expected);
    ASSERT_GT(std::strftime(expected, sizeof expected, "%H:%M:%S %Y@", &tm), 0u);
    EXPECT_EQ(format_message("@H:@M:@S @Y@@", p, when), expected);
}

TEST(ClientFormat, JsonDirectivesAlwaysParseAsOneObject) {
    auto p = message();
    EXPECT_EQ(format_message("%j", p, when), "{\"topic\":\"Sensor/1\",\"retain\":true,\"qos\":1,\"payload\":{\"temp\":21}}");
    EXPECT_EQ(format_message("%j", p, when), message_json(p));
    const std::string iso = format_message("%I", p, when);
    EXPECT_EQ(format_message("%J", p, when), "{\"time\":\"" + iso +
                                                 "\",\"topic\":\"Sensor/1\",\"retain\":true,\"qos\":1,\"length\":11,"
                                                 "\"payload\":{\"temp\":21}}");
    // CBOR with its content type: decoded; opaque bytes: base64.
    p.payload = std::string("\xa1\x61\x61\x01", 4);  // {"a":1}
    p.properties.content_type = std::string(encoding::content_type(encoding::Format::cbor));
    EXPECT_EQ(message_json(p), "{\"topic\":\"Sensor/1\",\"retain\":true,\"qos\":1,\"payload\":{\"a\":1}}");
    EXPECT_NE(format_message("%J", p, when).find(",\"length\":4,\"content_type\":\"application/cbor\",\"payload\":{\"a\":1}}"),
              std::string::npos)
        << format_message("%J", p, when);
    mqtt::Publish bin;
    bin.topic = "t\"q";
    bin.payload = std::string("\x00\xff", 2);
    EXPECT_EQ(message_json(bin), "{\"topic\":\"t\\\"q\",\"retain\":false,\"qos\":0,\"payload\":{\"$base64\":\"AP8=\"}}");
}

TEST(ClientFormat, CheckFormatNamesTheBadDirective) {
    EXPECT_EQ(check_format("%t %p %q %r %l %m %x %X %C %R %D %E %F %P %j %J %I %U %% @H @@ \\n\\t\\r\\v\\a\\e\\0\\\\"),
              std::nullopt);
    EXPECT_EQ(check_format("no directives"), std::nullopt);
    EXPECT_EQ(check_format("%Z"), "unknown directive %Z (see -F in harperrt-sub(1))");
    EXPECT_EQ(check_format("%t %"), "'%' at the end of the format");
    EXPECT_EQ(check_format("\\q"), "unknown escape \\q");
    EXPECT_EQ(check_format("@1"), "unknown time directive @1");
    EXPECT_EQ(check_format("x\\"), "'\\' at the end of the format");
}

TEST(ClientFormat, JsonStringEscapesControlCharacters) {
    EXPECT_EQ(json_string("a\"b\\c\n\r\t\x01"), "\"a\\\"b\\\\c\\n\\r\\t\\u0001\"");
    EXPECT_EQ(json_string(""), "\"\"");
}

}  // namespace
}  // namespace harperrt::client
