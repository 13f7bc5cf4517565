// Topic ↔ record mapping (DESIGN.md §1): to_record_key, to_topic and their round trip,
// canonical topics and filters, table names, and scope() checked both on a table of
// filters and against brute force over a set of records.
#include "common/topic/record_topic.hpp"

#include "common/topic/topic.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace harperrt::topic {
namespace {

using namespace std::string_literals;

const Tables& tables() {
    static const Tables t{
        {"Sensor", KeyType::string},
        {"Counter", KeyType::integer},
        {"dog", KeyType::string},
    };
    return t;
}

struct KeyCase {
    std::string topic;
    std::optional<RecordKey> key;  // nullopt with no error: an ordinary topic
    std::optional<Errc> error;
};

TEST(TopicRecord, ToRecordKey) {
    const std::vector<KeyCase> cases = {
        {"Sensor/1", RecordKey{"Sensor", "1"}, {}},
        {"dog/41", RecordKey{"dog", "41"}, {}},
        {"Sensor/a/b", RecordKey{"Sensor", "a/b"}, {}},          // composite key
        {"Sensor/a/b/c", RecordKey{"Sensor", "a/b/c"}, {}},
        {"Sensor/a%2Fb", RecordKey{"Sensor", "a/b"}, {}},        // same record as Sensor/a/b
        {"Sensor/a%2fb", RecordKey{"Sensor", "a/b"}, {}},        // hex digits in either case
        {"Sensor/%41", RecordKey{"Sensor", "A"}, {}},            // needless escape: still "A"
        {"Sensor/caf%C3%A9", RecordKey{"Sensor", "caf\xC3\xA9"}, {}},
        {"Sensor/caf\xC3\xA9", RecordKey{"Sensor", "caf\xC3\xA9"}, {}},
        {"Sensor/50%25", RecordKey{"Sensor", "50%"}, {}},
        {"Sensor/%2B", RecordKey{"Sensor", "+"}, {}},
        {"Sensor/%23", RecordKey{"Sensor", "#"}, {}},
        {"Sensor/a%00b", RecordKey{"Sensor", "a\0b"s}, {}},      // U+0000 in an ID is allowed
        {"Sensor/%20", RecordKey{"Sensor", " "}, {}},
        {"Sensor//", RecordKey{"Sensor", "/"}, {}},              // two empty levels
        {"Sensor/a/", RecordKey{"Sensor", "a/"}, {}},
        {"Sensor//a", RecordKey{"Sensor", "/a"}, {}},
        {"Sensor/$x", RecordKey{"Sensor", "$x"}, {}},
        {"Sensor/a%2F%2Fb/c", RecordKey{"Sensor", "a//b/c"}, {}},
        // Bare table: no ID.
        {"Sensor", {}, Errc::no_id},
        {"Sensor/", {}, Errc::no_id},
        {"Counter", {}, Errc::no_id},
        {"Counter/", {}, Errc::no_id},
        // Bad escapes, and escapes that decode to ill-formed UTF-8.
        {"Sensor/50%", {}, Errc::bad_percent_encoding},
        {"Sensor/%4", {}, Errc::bad_percent_encoding},
        {"Sensor/%4/1", {}, Errc::bad_percent_encoding},          // an escape cannot span '/'
        {"Sensor/%zz", {}, Errc::bad_percent_encoding},
        {"Sensor/%%41", {}, Errc::bad_percent_encoding},
        {"Sensor/%FF", {}, Errc::bad_percent_encoding},
        {"Sensor/%C3", {}, Errc::bad_percent_encoding},           // truncated sequence
        {"Sensor/%ED%A0%80", {}, Errc::bad_percent_encoding},     // a surrogate
        // Integer keys: canonical decimal.
        {"Counter/7", RecordKey{"Counter", "7"}, {}},
        {"Counter/007", RecordKey{"Counter", "7"}, {}},
        {"Counter/%37", RecordKey{"Counter", "7"}, {}},
        {"Counter/0", RecordKey{"Counter", "0"}, {}},
        {"Counter/-0", RecordKey{"Counter", "0"}, {}},
        {"Counter/-12", RecordKey{"Counter", "-12"}, {}},
        {"Counter/-012", RecordKey{"Counter", "-12"}, {}},
        {"Counter/9223372036854775807", RecordKey{"Counter", "9223372036854775807"}, {}},
        {"Counter/-9223372036854775808", RecordKey{"Counter", "-9223372036854775808"}, {}},
        {"Counter/9223372036854775808", {}, Errc::bad_int_key},  // out of range
        {"Counter/-9223372036854775809", {}, Errc::bad_int_key},
        {"Counter/x", {}, Errc::bad_int_key},
        {"Counter/1a", {}, Errc::bad_int_key},
        {"Counter/1.0", {}, Errc::bad_int_key},
        {"Counter/1e3", {}, Errc::bad_int_key},
        {"Counter/-", {}, Errc::bad_int_key},
        {"Counter/%2B1", {}, Errc::bad_int_key},                  // "+1": no sign but '-'
        {"Counter/%201", {}, Errc::bad_int_key},                  // " 1": no spaces
        {"Counter/1/2", {}, Errc::bad_int_key},                   // composite: not an integer
        {"Counter//", {}, Errc::bad_int_key},
        {"Counter/0x10", {}, Errc::bad_int_key},
        {"Counter/%zz", {}, Errc::bad_percent_encoding},          // decoding comes first
        // Not a declared table: an ordinary topic. The table level is exact, never decoded.
        {"sensor/1", {}, {}},
        {"SENSOR/1", {}, {}},
        {"Sensors/1", {}, {}},
        {"Sens/1", {}, {}},
        {"Sensor%2F1", {}, {}},
        {"Sen%73or/1", {}, {}},
        {"plant/a/b", {}, {}},
        {"$SYS/broker/uptime", {}, {}},
        {"/Sensor/1", {}, {}},                                    // first level is ""
        {"x", {}, {}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE("topic: " + c.topic);
        ASSERT_TRUE(validate_topic_name(c.topic));
        auto r = to_record_key(c.topic, tables());
        if (c.error) {
            ASSERT_FALSE(r);
            EXPECT_EQ(r.error(), make_error_code(*c.error)) << r.error().message();
        } else {
            ASSERT_TRUE(r) << r.error().message();
            EXPECT_EQ(*r, c.key);
        }
    }
}

TEST(TopicRecord, ToTopicIsCanonicalAndRoundTrips) {
    const std::vector<std::pair<RecordKey, std::string>> cases = {
        {{"Sensor", "1"}, "Sensor/1"},
        {{"Sensor", "a/b"}, "Sensor/a/b"},           // '/' stays a level separator
        {{"Sensor", "50%"}, "Sensor/50%25"},
        {{"Sensor", "a+b#c"}, "Sensor/a%2Bb%23c"},
        {{"Sensor", "x\0y"s}, "Sensor/x%00y"},
        {{"Sensor", "/"}, "Sensor//"},
        {{"Sensor", "a/"}, "Sensor/a/"},
        {{"Sensor", "caf\xC3\xA9"}, "Sensor/caf\xC3\xA9"},
        {{"Sensor", "$x"}, "Sensor/$x"},
        {{"Sensor", " "}, "Sensor/ "},
        {{"Counter", "-5"}, "Counter/-5"},
    };
    for (const auto& [key, topic] : cases) {
        SCOPED_TRACE("topic: " + topic);
        EXPECT_EQ(to_topic(key), topic);
        EXPECT_TRUE(validate_topic_name(topic));
        auto back = to_record_key(topic, tables());
        ASSERT_TRUE(back) << back.error().message();
        EXPECT_EQ(*back, key);
    }
}

TEST(TopicRecord, RandomIdsRoundTrip) {
    // IDs from the characters that need care: '/', '%', '+', '#', U+0000, and multibyte.
    const std::vector<std::string> pieces = {"a", "/", "%", "+", "#", "\0"s, "\xC3\xA9", "%41", "$", " "};
    std::mt19937 rng(4242);
    std::uniform_int_distribution<std::size_t> piece(0, pieces.size() - 1);
    std::uniform_int_distribution<int> length(1, 6);
    for (int i = 0; i < 2000; ++i) {
        std::string id;
        for (int n = length(rng); n > 0; --n) id += pieces[piece(rng)];
        const RecordKey key{"dog", id};
        const auto topic = to_topic(key);
        ASSERT_TRUE(validate_topic_name(topic)) << topic;
        auto back = to_record_key(topic, tables());
        ASSERT_TRUE(back) << topic << ": " << back.error().message();
        ASSERT_EQ(*back, key) << topic;
        // And decoding any spelling then re-encoding reaches the same canonical topic.
        auto canonical = canonical_topic(topic, tables());
        ASSERT_TRUE(canonical);
        EXPECT_EQ(*canonical, topic);
    }
}

TEST(TopicRecord, CanonicalTopic) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"Sensor/a%2Fb", "Sensor/a/b"},
        {"Sensor/%41", "Sensor/A"},
        {"Sensor/%2b", "Sensor/%2B"},
        {"Sensor/a/b", "Sensor/a/b"},
        {"Counter/007", "Counter/7"},
        {"Counter/%2D0", "Counter/0"},
        {"plain/%41", "plain/%41"},  // ordinary topics are left as they are
        {"$SYS/x", "$SYS/x"},
    };
    for (const auto& [name, canonical] : cases) {
        auto r = canonical_topic(name, tables());
        ASSERT_TRUE(r) << name << ": " << r.error().message();
        EXPECT_EQ(*r, canonical) << name;
    }
    EXPECT_EQ(canonical_topic("Sensor", tables()).error(), Errc::no_id);
    EXPECT_EQ(canonical_topic("Counter/x", tables()).error(), Errc::bad_int_key);
    EXPECT_EQ(canonical_topic("Sensor/%", tables()).error(), Errc::bad_percent_encoding);
}

TEST(TopicRecord, CanonicalFilter) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"Sensor/%41/+", "Sensor/A/+"},
        {"Sensor/a%2Fb/#", "Sensor/a/b/#"},          // a decoded '/' splits the level
        {"Sensor/%2b", "Sensor/%2B"},
        {"Sensor/+/%41", "Sensor/+/A"},
        {"Sensor/50%", "Sensor/50%"},                // does not decode: kept (matches no record)
        {"Sensor/%FF/+", "Sensor/%FF/+"},
        {"Sensor", "Sensor"},
        {"Sensor/", "Sensor/"},
        {"Sensor/#", "Sensor/#"},
        {"Counter/007", "Counter/7"},
        {"Counter/007/#", "Counter/7/#"},
        {"Counter/%37", "Counter/7"},
        {"Counter/x/007", "Counter/x/007"},           // only the first ID level is an integer
        {"Counter/+", "Counter/+"},
        {"+/007", "+/007"},                           // a wildcard first level: as written
        {"#", "#"},
        {"plain/%41", "plain/%41"},
        {"sensor/%41", "sensor/%41"},
    };
    for (const auto& [filter, canonical] : cases) {
        EXPECT_EQ(canonical_filter(filter, tables()), canonical) << filter;
        EXPECT_TRUE(validate_topic_filter(canonical_filter(filter, tables()))) << filter;
    }
}

TEST(TopicRecord, TableNames) {
    for (std::string_view good : {"Sensor", "dog_1", "caf\xC3\xA9", "a b", "a$"})
        EXPECT_TRUE(validate_table_name(good)) << good;
    for (std::string_view bad : {"", "a/b", "/", "a+b", "+", "#", "$SYS", "a%b", "\xFF"})
        EXPECT_EQ(validate_table_name(bad).error(), Errc::bad_table_name) << bad;
    EXPECT_EQ(validate_table_name("a\0"s).error(), Errc::bad_table_name);

    Tables t;
    EXPECT_TRUE(t.empty());
    EXPECT_TRUE(t.add({"A", KeyType::string}));
    EXPECT_TRUE(t.add({"B", KeyType::integer}));
    EXPECT_EQ(t.add({"A", KeyType::integer}).error(), Errc::bad_table_name);  // repeated
    EXPECT_EQ(t.add({"a/b", KeyType::string}).error(), Errc::bad_table_name);
    EXPECT_EQ(t.size(), 2U);
    ASSERT_NE(t.find("B"), nullptr);
    EXPECT_EQ(t.find("B")->key_type, KeyType::integer);
    EXPECT_EQ(t.find("b"), nullptr);
    EXPECT_EQ(t.all()[0].name, "A");
    EXPECT_THROW((Tables{{"x/y", KeyType::string}}), std::invalid_argument);
    EXPECT_THROW((Tables{{"x", KeyType::string}, {"x", KeyType::string}}), std::invalid_argument);
}

TEST(TopicRecord, NoTablesMeansEveryTopicIsPlain) {
    const Tables none;
    auto r = to_record_key("Sensor/1", none);
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);
    const auto s = scope("#", none);
    EXPECT_TRUE(s.tables.empty());
    EXPECT_TRUE(s.plain_topics);
}

using Kind = TableScope::Kind;

struct ScopeCase {
    std::string filter;
    std::vector<TableScope> tables;
    bool plain;
};

TEST(TopicScope, Table) {
    const std::vector<ScopeCase> cases = {
        // One record: a point get.
        {"Sensor/1", {{"Sensor", Kind::one, "1"}}, false},
        {"Sensor/a/b", {{"Sensor", Kind::one, "a/b"}}, false},
        {"Sensor/%2B", {{"Sensor", Kind::one, "+"}}, false},
        {"Sensor/50%25", {{"Sensor", Kind::one, "50%"}}, false},
        {"Sensor//", {{"Sensor", Kind::one, "/"}}, false},
        {"Sensor/a/", {{"Sensor", Kind::one, "a/"}}, false},
        {"Counter/7", {{"Counter", Kind::one, "7"}}, false},
        {"Counter/-3", {{"Counter", Kind::one, "-3"}}, false},
        {"Counter/7/#", {{"Counter", Kind::one, "7"}}, false},   // '#' matches its parent
        // No record: a bare table, an empty ID, a non-canonical level.
        {"Sensor", {}, false},
        {"Sensor/", {}, false},
        {"Sensor/%41", {}, false},                  // the record's topic is Sensor/A
        {"Sensor/a%2Fb", {}, false},                // ... and Sensor/a/b
        {"Sensor/%2b", {}, false},
        {"Sensor/50%", {}, false},
        {"Sensor/+/%41", {}, false},
        {"Counter/007", {}, false},                 // the record's topic is Counter/7
        {"Counter/x", {}, false},
        {"Counter/+/+", {}, false},                 // integer IDs have one level
        {"Counter/7/x", {}, false},
        {"Counter/7/+", {}, false},
        // Scans, with the ID prefix every match has.
        {"Sensor/#", {{"Sensor", Kind::scan, ""}}, false},
        {"Sensor/+", {{"Sensor", Kind::scan, ""}}, false},
        {"Sensor/+/c", {{"Sensor", Kind::scan, ""}}, false},
        {"Sensor/a/#", {{"Sensor", Kind::scan, "a"}}, false},  // "a" itself and "a/..."
        {"Sensor/a/+", {{"Sensor", Kind::scan, "a/"}}, false},
        {"Sensor/a/+/c", {{"Sensor", Kind::scan, "a/"}}, false},
        {"Sensor/a/b/#", {{"Sensor", Kind::scan, "a/b"}}, false},
        {"Sensor//#", {{"Sensor", Kind::scan, "/"}}, false},
        {"Sensor/%2B/#", {{"Sensor", Kind::scan, "+"}}, false},
        {"Counter/#", {{"Counter", Kind::scan, ""}}, false},
        {"Counter/+", {{"Counter", Kind::scan, ""}}, false},
        {"Counter/+/#", {{"Counter", Kind::scan, ""}}, false},
        // '#' matches every table and plain topics; '+' stands for every table.
        {"#",
         {{"Sensor", Kind::scan, ""}, {"Counter", Kind::scan, ""}, {"dog", Kind::scan, ""}},
         true},
        {"+/#",
         {{"Sensor", Kind::scan, ""}, {"Counter", Kind::scan, ""}, {"dog", Kind::scan, ""}},
         true},
        {"+", {}, true},                            // only bare `Table` topics: no record
        {"+/7",
         {{"Sensor", Kind::one, "7"}, {"Counter", Kind::one, "7"}, {"dog", Kind::one, "7"}},
         true},
        {"+/007", {{"Sensor", Kind::one, "007"}, {"dog", Kind::one, "007"}}, true},
        {"+/a/+", {{"Sensor", Kind::scan, "a/"}, {"dog", Kind::scan, "a/"}}, true},
        {"+/+", {{"Sensor", Kind::scan, ""}, {"Counter", Kind::scan, ""}, {"dog", Kind::scan, ""}}, true},
        // Not a table.
        {"plain/x", {}, true},
        {"sensor/1", {}, true},
        {"$SYS/#", {}, true},
        {"/#", {}, true},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE("filter: " + c.filter);
        ASSERT_TRUE(validate_topic_filter(c.filter));
        const auto s = scope(c.filter, tables());
        EXPECT_EQ(s.tables, c.tables);
        EXPECT_EQ(s.plain_topics, c.plain);
    }
    const auto s = scope("Sensor/1", tables());
    ASSERT_NE(s.find("Sensor"), nullptr);
    EXPECT_EQ(s.find("Sensor")->key(), (RecordKey{"Sensor", "1"}));
    EXPECT_EQ(s.find("dog"), nullptr);
}

// scope() must find every record whose canonical topic matches the filter (a record is
// never missed by the snapshot), and `one` must name a record the filter really matches.
TEST(TopicScope, AgreesWithMatchesOnRecords) {
    std::vector<RecordKey> records;
    for (std::string id : {"a", "b", "A", "+", "%", "7", "007", "a/b", "a/", "/", "/a", "a//b", "a/b/c", "b/a", "$x"}) {
        records.push_back({"Sensor", id});
        records.push_back({"dog", id});
    }
    for (std::string id : {"7", "-1", "0", "42"}) records.push_back({"Counter", id});
    const std::vector<std::string> plain = {"plain", "plain/a", "x/7", "$SYS/a", "a/b/c", "Sens/7"};

    std::mt19937 rng(99);
    const std::vector<std::string> first = {"Sensor", "Counter", "dog", "+", "#", "plain", "x", "$SYS"};
    const std::vector<std::string> rest = {"a", "b", "A", "%41", "%2B", "%25", "", "7", "007", "+", "-1", "$x"};
    const auto pick = [&](const std::vector<std::string>& v) {
        return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
    };
    int matched = 0;
    int ones = 0;
    for (int i = 0; i < 5000; ++i) {
        std::string filter = pick(first);
        if (filter != "#") {
            for (int n = std::uniform_int_distribution<int>(0, 3)(rng); n > 0; --n) filter += "/" + pick(rest);
            if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) filter += "/#";
        }
        ASSERT_TRUE(validate_topic_filter(filter)) << filter;
        const auto s = scope(filter, tables());
        for (const auto& r : records) {
            const bool match = matches(filter, to_topic(r));
            const TableScope* t = s.find(r.table);
            if (match) {
                ++matched;
                ASSERT_NE(t, nullptr) << filter << " misses " << to_topic(r);
                if (t->kind == Kind::one) {
                    EXPECT_EQ(t->id, r.id) << filter;
                } else {
                    EXPECT_TRUE(r.id.starts_with(t->id)) << filter << " prefix " << t->id << " id " << r.id;
                }
            }
        }
        for (const auto& t : s.tables) {
            if (t.kind == Kind::one) {
                ++ones;
                EXPECT_TRUE(matches(filter, to_topic(t.key()))) << filter;
            }
        }
        for (const auto& p : plain)
            if (matches(filter, p)) {
                EXPECT_TRUE(s.plain_topics) << filter << " matches " << p;
            }
    }
    EXPECT_GT(matched, 5000);  // the generator reaches records often...
    EXPECT_GT(ones, 500);      // ... and produces point gets
}

}  // namespace
}  // namespace harperrt::topic
