// Topic names and filters: validation (MQTT 3.1.1 §4.7 and 5.0 §4.7, whose rules are the
// same), UTF-8, `$share` parsing (v5 §4.8.2), the level splitter and matches().
#include "common/topic/topic.hpp"

#include "common/topic/errc.hpp"
#include "common/topic/levels.hpp"
#include "common/topic/utf8.hpp"
#include "tests/unit/topic/match_cases.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <ranges>
#include <string>
#include <string_view>
#include <vector>

namespace harperrt::topic {
namespace {

using namespace std::string_literals;

// One validation case: the input and the error it must give (nullopt: valid).
struct ValidationCase {
    std::string input;
    std::optional<Errc> error;
};

std::string describe(const std::string& s) {
    std::string out;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c < 0x7F) {
            out += ch;
        } else {
            static constexpr char hex[] = "0123456789ABCDEF";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0x0F];
        }
    }
    return out.size() > 80 ? out.substr(0, 80) + "...(" + std::to_string(s.size()) + " bytes)" : out;
}

void expect_result(const Result<void>& r, const ValidationCase& c) {
    SCOPED_TRACE("input: \"" + describe(c.input) + "\"");
    if (!c.error) {
        EXPECT_TRUE(r) << r.error().message();
    } else {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), make_error_code(*c.error)) << r.error().message();
    }
}

// Cases that every MQTT string gets, names and filters alike.
const std::vector<ValidationCase>& string_cases() {
    static const std::vector<ValidationCase> cases = {
        {"", Errc::empty},                                  // v5/v3.1.1 [MQTT-4.7.3-1]
        {std::string(65535, 'a'), std::nullopt},            // the longest allowed
        {std::string(65536, 'a'), Errc::too_long},          // [MQTT-4.7.3-3]
        {"a\0b"s, Errc::null_character},                    // [MQTT-4.7.3-2]
        {"\0"s, Errc::null_character},
        {"caf\xC3\xA9", std::nullopt},                      // é, two bytes
        {"\xF0\x9F\x98\x80/x", std::nullopt},               // U+1F600, four bytes
        {"\xEF\xBB\xBF" "a", std::nullopt},                 // BOM is kept, v5 [MQTT-1.5.4-3]
        {"tab\there\x7F", std::nullopt},                    // controls: SHOULD NOT only
        {"\xEF\xBF\xBF", std::nullopt},                     // U+FFFF non-character: allowed
        {"\xC3\x28", Errc::invalid_utf8},                   // bad continuation, v5 [MQTT-1.5.4-1]
        {"\xED\xA0\x80", Errc::invalid_utf8},               // U+D800 surrogate, v3.1.1 [MQTT-1.5.3-1]
        {"\xED\xBF\xBF", Errc::invalid_utf8},               // U+DFFF surrogate
        {"\xC0\xAF", Errc::invalid_utf8},                   // overlong '/'
        {"\xE0\x80\xAF", Errc::invalid_utf8},               // overlong '/', three bytes
        {"\xF0\x80\x80\xAF", Errc::invalid_utf8},           // overlong '/', four bytes
        {"\xF4\x90\x80\x80", Errc::invalid_utf8},           // U+110000
        {"\xE2\x82", Errc::invalid_utf8},                   // truncated
        {"a\x80", Errc::invalid_utf8},                      // lone continuation byte
        {"\xFF", Errc::invalid_utf8},
        {"\xFF\0"s, Errc::invalid_utf8},                    // the first problem wins
        {"\0\xFF"s, Errc::null_character},
    };
    return cases;
}

TEST(TopicValidate, StringRulesApplyToNamesAndFilters) {
    for (const auto& c : string_cases()) {
        expect_result(validate_topic_name(c.input), c);
        expect_result(validate_topic_filter(c.input), c);
    }
}

TEST(TopicValidate, TopicNames) {
    const std::vector<ValidationCase> cases = {
        {"sport/tennis/player1", std::nullopt},
        {"sport", std::nullopt},
        {"/", std::nullopt},                     // two empty levels
        {"//", std::nullopt},
        {"a//b", std::nullopt},                  // empty levels are legal (§4.7.1)
        {"/finance", std::nullopt},
        {"finance/", std::nullopt},
        {" ", std::nullopt},                     // spaces are ordinary characters
        {"$SYS/broker/uptime", std::nullopt},    // '$' names are valid, only matching differs
        {"$share/g/x", std::nullopt},
        {"ACCOUNTS/Accounts", std::nullopt},
        {"sport/+", Errc::wildcard_in_name},     // v5 [MQTT-4.7.0-1], v3.1.1 [MQTT-4.7.1-1]
        {"+", Errc::wildcard_in_name},
        {"#", Errc::wildcard_in_name},
        {"sport/#", Errc::wildcard_in_name},
        {"sport+", Errc::wildcard_in_name},
        {"a/b#c", Errc::wildcard_in_name},
        {"\xC3\xA9+", Errc::wildcard_in_name},
    };
    for (const auto& c : cases) expect_result(validate_topic_name(c.input), c);
}

TEST(TopicValidate, TopicFilters) {
    const std::vector<ValidationCase> cases = {
        // The spec's own examples, v3.1.1 and v5 §4.7.1.2 / §4.7.1.3.
        {"sport/tennis/player1/#", std::nullopt},
        {"sport/#", std::nullopt},
        {"#", std::nullopt},
        {"sport/tennis#", Errc::bad_wildcard},           // v5 [MQTT-4.7.1-1], v3.1.1 [MQTT-4.7.1-2]
        {"sport/tennis/#/ranking", Errc::bad_wildcard},  // '#' must be last
        {"+", std::nullopt},
        {"+/tennis/#", std::nullopt},
        {"sport/+/player1", std::nullopt},
        {"sport+", Errc::bad_wildcard},                  // v5 [MQTT-4.7.1-2], v3.1.1 [MQTT-4.7.1-3]
        {"+/+", std::nullopt},
        {"/+", std::nullopt},
        // '+' at each position.
        {"+/b/c", std::nullopt},
        {"a/+/c", std::nullopt},
        {"a/b/+", std::nullopt},
        {"+/+/+", std::nullopt},
        {"+/", std::nullopt},
        {"/+/", std::nullopt},
        // '#' rules.
        {"/#", std::nullopt},
        {"//#", std::nullopt},
        {"+/#", std::nullopt},
        {"#/", Errc::bad_wildcard},                      // "#" then an empty level
        {"#/a", Errc::bad_wildcard},
        {"##", Errc::bad_wildcard},
        {"a/#b", Errc::bad_wildcard},
        {"a/b#", Errc::bad_wildcard},
        {"#/#", Errc::bad_wildcard},
        // '+' not alone.
        {"++", Errc::bad_wildcard},
        {"+#", Errc::bad_wildcard},
        {"a/+b", Errc::bad_wildcard},
        {"a/b+/c", Errc::bad_wildcard},
        // Empty levels and '$'.
        {"/", std::nullopt},
        {"a//b", std::nullopt},
        {"$SYS/#", std::nullopt},
        {"$SYS/+/x", std::nullopt},
        {"$share", std::nullopt},                        // a plain filter (no group follows)
    };
    for (const auto& c : cases) expect_result(validate_topic_filter(c.input), c);
}

TEST(TopicValidate, HasWildcards) {
    EXPECT_TRUE(has_wildcards("a/+/c"));
    EXPECT_TRUE(has_wildcards("#"));
    EXPECT_FALSE(has_wildcards("a/b"));
    EXPECT_FALSE(has_wildcards("$SYS//x"));
}

TEST(TopicUtf8, WellFormedness) {
    EXPECT_TRUE(is_well_formed_utf8(""));
    EXPECT_TRUE(is_well_formed_utf8("\0"s));                  // NUL is well-formed UTF-8
    EXPECT_TRUE(is_well_formed_utf8("\xF4\x8F\xBF\xBF"));     // U+10FFFF, the last code point
    EXPECT_TRUE(is_well_formed_utf8("\xED\x9F\xBF"));         // U+D7FF, just below surrogates
    EXPECT_TRUE(is_well_formed_utf8("\xEE\x80\x80"));         // U+E000, just above them
    EXPECT_FALSE(is_well_formed_utf8("\xC1\xBF"));            // overlong U+007F
    EXPECT_FALSE(is_well_formed_utf8("\xF5\x80\x80\x80"));    // lead byte beyond U+10FFFF
    EXPECT_FALSE(is_well_formed_utf8("\xF0\x9F\x98"));        // truncated four-byte sequence
    EXPECT_FALSE(is_well_formed_utf8("\xE2\x28\xA1"));        // second byte not continuation
    EXPECT_FALSE(is_well_formed_utf8("\xE2\x82\x28"));        // third byte not continuation
}

// One shared-subscription case: the input, and the Filter or the error it gives.
struct ShareCase {
    std::string input;
    std::optional<Filter> filter;
    std::optional<Errc> error;
};

TEST(TopicShare, ParsesSubscriptions) {
    const std::vector<ShareCase> cases = {
        {"a/b", Filter{"", "a/b"}, {}},
        {"#", Filter{"", "#"}, {}},
        {"$share/g/a/b", Filter{"g", "a/b"}, {}},
        {"$share/group1/sport/+/player1", Filter{"group1", "sport/+/player1"}, {}},
        {"$share/g/#", Filter{"g", "#"}, {}},
        {"$share/g/+", Filter{"g", "+"}, {}},
        {"$share/g//", Filter{"g", "/"}, {}},               // the filter "/" has two empty levels
        {"$share/g/$SYS/#", Filter{"g", "$SYS/#"}, {}},
        {"$share/$g/x", Filter{"$g", "x"}, {}},
        {"$share/caf\xC3\xA9/x", Filter{"caf\xC3\xA9", "x"}, {}},
        {"$share/g/$share/h/x", Filter{"g", "$share/h/x"}, {}},  // the rest is a plain filter
        {"$SHARE/g/x", Filter{"", "$SHARE/g/x"}, {}},       // the prefix is case-sensitive
        {"$sharex/g/x", Filter{"", "$sharex/g/x"}, {}},
        {"$share", Filter{"", "$share"}, {}},               // no '/' after it: a plain filter
        {"$share/", {}, Errc::bad_share_name},              // v5 [MQTT-4.8.2-1]
        {"$share//x", {}, Errc::bad_share_name},            // empty ShareName
        {"$share/g", {}, Errc::bad_share_name},             // v5 [MQTT-4.8.2-2]: '/' must follow
        {"$share/g/", {}, Errc::bad_share_name},            // ... and a filter after it
        {"$share/+/x", {}, Errc::bad_share_name},           // v5 [MQTT-4.8.2-2]
        {"$share/#/x", {}, Errc::bad_share_name},
        {"$share/a+b/x", {}, Errc::bad_share_name},
        {"$share/#", {}, Errc::bad_share_name},
        {"$share/g/a#", {}, Errc::bad_wildcard},            // the filter is validated too
        {"$share/g/#/a", {}, Errc::bad_wildcard},
        {"$share/g/\xFF", {}, Errc::invalid_utf8},
        {"$share/\xFF/x", {}, Errc::invalid_utf8},
        {"$share/g/a\0"s, {}, Errc::null_character},
        {"$share/g/" + std::string(65535 - 9, 'a'), Filter{"g", std::string(65535 - 9, 'a')}, {}},
        {"$share/g/" + std::string(65536 - 9, 'a'), {}, Errc::too_long},  // the whole string counts
        {"", {}, Errc::empty},
        {"a/#/b", {}, Errc::bad_wildcard},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE("input: \"" + describe(c.input) + "\"");
        auto r = parse_subscription(c.input);
        if (c.filter) {
            ASSERT_TRUE(r) << r.error().message();
            EXPECT_EQ(r->share_group, c.filter->share_group);
            EXPECT_EQ(r->filter, c.filter->filter);
            EXPECT_EQ(r->is_shared(), !c.filter->share_group.empty());
        } else {
            ASSERT_FALSE(r);
            EXPECT_EQ(r.error(), make_error_code(*c.error)) << r.error().message();
        }
    }
}

TEST(TopicMatch, ReferenceTable) {
    for (const auto& c : test::match_cases) {
        EXPECT_EQ(matches(c.filter, c.name), c.match) << "filter \"" << c.filter << "\" name \"" << c.name << '"';
        // Every case uses valid inputs, so the table also documents the preconditions.
        EXPECT_TRUE(validate_topic_filter(c.filter)) << c.filter;
        EXPECT_TRUE(validate_topic_name(c.name)) << c.name;
    }
}

TEST(TopicMatch, FilterWithoutWildcardsMatchesOnlyItself) {
    for (std::string_view name : {"a", "a/b", "/", "a//", "$SYS/x", "caf\xC3\xA9"}) {
        EXPECT_TRUE(matches(name, name)) << name;
        EXPECT_FALSE(matches(name, std::string(name) + "/x")) << name;
    }
}

TEST(TopicLevels, SplitsWithoutAllocating) {
    const auto split = [](std::string_view s) {
        std::vector<std::string_view> out;
        for (std::string_view level : Levels(s)) out.push_back(level);
        return out;
    };
    using V = std::vector<std::string_view>;
    EXPECT_EQ(split("a/b/c"), (V{"a", "b", "c"}));
    EXPECT_EQ(split("a"), (V{"a"}));
    EXPECT_EQ(split(""), (V{""}));
    EXPECT_EQ(split("/"), (V{"", ""}));
    EXPECT_EQ(split("a//b"), (V{"a", "", "b"}));
    EXPECT_EQ(split("/a/"), (V{"", "a", ""}));
    EXPECT_EQ(split("+/#"), (V{"+", "#"}));

    const std::string topic = "T/a/b";
    const auto levels = split(topic);
    EXPECT_EQ(levels[1].data(), topic.data() + 2);  // views into the caller's string

    EXPECT_EQ(level_count(""), 1U);
    EXPECT_EQ(level_count("a/b/c"), 3U);
    EXPECT_EQ(level_count("//"), 3U);
    EXPECT_EQ(std::ranges::distance(Levels("a//b/")), 4);
    static_assert(std::forward_iterator<LevelIterator>);
    static_assert(std::ranges::forward_range<Levels>);
}

TEST(TopicLevels, IteratorKnowsTheRest) {
    auto it = LevelIterator("Table/a/b");
    EXPECT_EQ(*it, "Table");
    EXPECT_FALSE(it.is_last());
    EXPECT_EQ(it.rest(), "Table/a/b");
    ++it;
    EXPECT_EQ(*it, "a");
    EXPECT_EQ(it.rest(), "a/b");
    EXPECT_EQ(it.offset(), 6U);
    auto copy = it++;
    EXPECT_EQ(*copy, "a");
    EXPECT_EQ(*it, "b");
    EXPECT_TRUE(it.is_last());
    ++it;
    EXPECT_EQ(it, LevelIterator());
}

TEST(TopicErrc, IsAnErrorCodeWithItsOwnCategory) {
    const boost::system::error_code ec = Errc::bad_wildcard;  // implicit: is_error_code_enum
    EXPECT_EQ(std::string(ec.category().name()), "harperrt.topic");
    EXPECT_EQ(&ec.category(), &topic_category());
    EXPECT_EQ(ec, Errc::bad_wildcard);
    EXPECT_NE(ec, Errc::empty);
    for (int v = static_cast<int>(Errc::empty); v <= static_cast<int>(Errc::bad_table_name); ++v) {
        const auto msg = make_error_code(static_cast<Errc>(v)).message();
        EXPECT_FALSE(msg.empty());
        EXPECT_NE(msg, "unknown topic error") << v;
    }
    Result<void> r = error(Errc::no_id);
    EXPECT_EQ(r.error(), Errc::no_id);
}

}  // namespace
}  // namespace harperrt::topic
