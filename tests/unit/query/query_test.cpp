// Queries (DESIGN.md §5): the parser (every operator, '&' / '|' / parentheses, select(),
// limit(), percent-decoding, typed literals, errors with their positions), comparison by
// type, projection, and the compiled form agreeing with the direct evaluation.
#include "common/query/query.hpp"

#include "common/query/candidates.hpp"

#include "common/encoding/codec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include <string>
#include <vector>

namespace harperrt::query {
namespace {

using encoding::Value;

Query parsed(std::string_view text) {
    auto r = parse(text);
    EXPECT_TRUE(r) << text << ": " << r.error.message << " at " << r.error.position;
    return r.query.value_or(Query{});
}

ParseError failed(std::string_view text) {
    auto r = parse(text);
    EXPECT_FALSE(r) << text << " parsed";
    return r.error;
}

Value record(std::string_view json) {
    auto v = encoding::decode(json, encoding::Format::json);
    EXPECT_TRUE(v) << json;
    return v ? *v : Value{};
}

bool eval(std::string_view query, std::string_view json) {
    const auto q = parsed(query);
    const auto r = record(json);
    const bool direct = matches(q, r);
    // The compiled form must agree with the direct evaluation.
    if (q.where) {
        Slots slots;
        const auto c = compile(*q.where, slots);
        std::vector<const Value*> values;
        slots.extract(&r, values);
        EXPECT_EQ(evaluate(c, values), direct) << query << " on " << json;
    }
    return direct;
}

TEST(QueryParse, EmptyQueryMatchesEverything) {
    const auto q = parsed("");
    EXPECT_FALSE(q.where);
    EXPECT_TRUE(q.select.empty());
    EXPECT_FALSE(q.limit);
    EXPECT_TRUE(eval("", R"({"a":1})"));
}

TEST(QueryParse, EveryOperator) {
    const std::vector<std::pair<std::string, Op>> cases = {
        {"a=1", Op::eq},     {"a==1", Op::eq},    {"a=eq=1", Op::eq},  {"a=ne=1", Op::ne}, {"a!=1", Op::ne},
        {"a=gt=1", Op::gt},  {"a=ge=1", Op::ge},  {"a=lt=1", Op::lt},  {"a=le=1", Op::le}, {"a=sw=x", Op::sw},
        {"a=ew=x", Op::ew},  {"a=ct=x", Op::ct},  {"a==x*", Op::sw},
    };
    for (const auto& [text, op] : cases) {
        const auto q = parsed(text);
        ASSERT_TRUE(q.where) << text;
        EXPECT_EQ(q.where->kind, Node::Kind::condition) << text;
        EXPECT_EQ(q.where->condition.attribute, "a") << text;
        EXPECT_EQ(q.where->condition.op, op) << text;
    }
    EXPECT_EQ(*parsed("a==x*").where->condition.value.text, "x");
}

TEST(QueryParse, AndBindsTighterThanOr) {
    const auto q = parsed("a=1|b=2&c=3");
    ASSERT_TRUE(q.where);
    ASSERT_EQ(q.where->kind, Node::Kind::any);
    ASSERT_EQ(q.where->children.size(), 2u);
    EXPECT_EQ(q.where->children[0].kind, Node::Kind::condition);
    EXPECT_EQ(q.where->children[1].kind, Node::Kind::all);
    EXPECT_TRUE(eval("a=1|b=2&c=3", R"({"a":1})"));
    EXPECT_FALSE(eval("a=1|b=2&c=3", R"({"b":2})"));
    EXPECT_TRUE(eval("a=1|b=2&c=3", R"({"b":2,"c":3})"));
}

TEST(QueryParse, ParenthesesGroup) {
    EXPECT_FALSE(eval("(a=1|b=2)&c=3", R"({"a":1})"));
    EXPECT_TRUE(eval("(a=1|b=2)&c=3", R"({"a":1,"c":3})"));
    EXPECT_TRUE(eval("((a=1))", R"({"a":1})"));
    EXPECT_TRUE(eval("c=3&(a=1|(b=2&d=4))", R"({"b":2,"c":3,"d":4})"));
    EXPECT_FALSE(eval("c=3&(a=1|(b=2&d=4))", R"({"b":2,"c":3,"d":5})"));
}

TEST(QueryParse, SelectAndLimit) {
    auto q = parsed("status=active&select(name,temp)&limit(10)");
    EXPECT_EQ(q.select, (std::vector<std::string>{"name", "temp"}));
    EXPECT_EQ(q.limit, 10u);
    EXPECT_EQ(q.offset, 0u);
    ASSERT_TRUE(q.where);
    EXPECT_EQ(q.where->condition.attribute, "status");

    q = parsed("limit(5,20)");
    EXPECT_EQ(q.offset, 5u);
    EXPECT_EQ(q.limit, 20u);
    EXPECT_FALSE(q.where);

    q = parsed("select(a)");
    EXPECT_EQ(q.select, std::vector<std::string>{"a"});
    EXPECT_FALSE(q.where);
    EXPECT_EQ(parsed("limit(0)").limit, 0u);
}

TEST(QueryParse, PercentDecodingAfterSplitting) {
    auto q = parsed("na%20me=a%26b%7Cc%29");
    ASSERT_TRUE(q.where);
    EXPECT_EQ(q.where->condition.attribute, "na me");
    EXPECT_EQ(*q.where->condition.value.text, "a&b|c)");
    q = parsed("a=x+y");  // '+' is a plain '+', not a space
    EXPECT_EQ(*q.where->condition.value.text, "x+y");
    q = parsed("select(a%2Cb)");
    EXPECT_EQ(q.select, std::vector<std::string>{"a,b"});
    q = parsed("a=");
    EXPECT_EQ(*q.where->condition.value.text, "");
}

TEST(QueryParse, LiteralReadings) {
    auto lit = [](std::string_view text) { return parsed(std::string("a=") + std::string(text)).where->condition.value; };
    auto l = lit("30");
    EXPECT_EQ(l.number, 30.0);
    EXPECT_EQ(l.integer, 30);
    EXPECT_EQ(l.text, "30");
    l = lit("-1.5e2");
    EXPECT_EQ(l.number, -150.0);
    EXPECT_FALSE(l.integer);
    l = lit("007");  // not JSON number syntax: a string only (zip codes, padded IDs)
    EXPECT_FALSE(l.number);
    EXPECT_EQ(l.text, "007");
    l = lit("true");
    EXPECT_EQ(l.boolean, true);
    l = lit("null");
    EXPECT_TRUE(l.null);
    l = lit("number:12");
    EXPECT_EQ(l.number, 12.0);
    EXPECT_FALSE(l.text);
    l = lit("string:12");
    EXPECT_FALSE(l.number);
    EXPECT_EQ(l.text, "12");
    l = lit("boolean:false");
    EXPECT_EQ(l.boolean, false);
    EXPECT_FALSE(l.text);
    l = lit("99999999999999999999");  // beyond int64: a double reading only
    EXPECT_TRUE(l.number);
    EXPECT_FALSE(l.integer);
}

TEST(QueryParse, ErrorsNameTheirPosition) {
    struct Case {
        std::string text;
        std::size_t position;
        std::string message_part;
    };
    const std::vector<Case> cases = {
        {"a=1&", 4, "expected a condition"},
        {"&a=1", 0, "expected a condition"},
        {"a=1&&b=2", 4, "expected a condition"},
        {"a=1|", 4, "expected a condition"},
        {"|a=1", 0, "expected a condition"},
        {"()", 1, "expected a condition"},
        {"(a=1", 0, "without a matching ')'"},
        {"a=1)", 3, "unbalanced ')'"},
        {"status", 6, "expected an operator after 'status'"},
        {"=1", 0, "expected an attribute name"},
        {"a=xx=1", 1, "unknown operator '=xx='"},
        {"a!1", 1, "expected '!='"},
        {"a=%zz", 2, "bad percent-encoding"},
        {"a=%4", 2, "bad percent-encoding"},
        {"a=%00", 2, "NUL"},
        {"limit(x)", 6, "non-negative integer"},
        {"limit(-1)", 6, "non-negative integer"},
        {"limit(1,2,3)", 10, "one or two numbers"},
        {"limit(5", 0, "without a closing ')'"},
        {"limit(1)&limit(2)", 9, "given twice"},
        {"select()", 7, "needs attribute names"},
        {"select(a,)", 9, "needs attribute names"},
        {"select(a)&select(b)", 10, "given twice"},
        {"(limit(1))", 1, "only at the top level"},
        {"a=1|limit(1)", 4, "cannot be combined with '|'"},
        {"limit(1)|a=1", 0, "cannot be combined with '|'"},
        {"a=number:abc", 2, "not a number"},
        {"a=boolean:yes", 2, "not a boolean"},
    };
    for (const auto& c : cases) {
        const auto e = failed(c.text);
        EXPECT_EQ(e.position, c.position) << c.text << ": " << e.message;
        EXPECT_NE(e.message.find(c.message_part), std::string::npos) << c.text << ": " << e.message;
    }
}

TEST(QueryEval, NumbersCompareAsNumbers) {
    EXPECT_TRUE(eval("temp=gt=30", R"({"temp":31})"));
    EXPECT_TRUE(eval("temp=gt=30", R"({"temp":30.5})"));
    EXPECT_FALSE(eval("temp=gt=30", R"({"temp":30})"));
    EXPECT_TRUE(eval("temp=ge=30", R"({"temp":30})"));
    EXPECT_TRUE(eval("temp=lt=30", R"({"temp":-4})"));
    EXPECT_FALSE(eval("temp=lt=30", R"({"temp":30.0})"));
    EXPECT_TRUE(eval("temp=le=30", R"({"temp":30.0})"));
    EXPECT_TRUE(eval("temp=30", R"({"temp":30.0})"));  // 30 == 30.0 as numbers
    EXPECT_TRUE(eval("temp=ne=30", R"({"temp":29})"));
    EXPECT_TRUE(eval("temp=gt=9", R"({"temp":10})"));  // not "10" < "9" as strings
    // Exact between large integers (a double would round these together).
    EXPECT_FALSE(eval("n=9007199254740993", R"({"n":9007199254740992})"));
    EXPECT_TRUE(eval("n=gt=9007199254740992", R"({"n":9007199254740993})"));
    EXPECT_TRUE(eval("n=gt=1", R"({"n":18446744073709551615})"));  // uint64
}

TEST(QueryEval, StringsCompareAsStrings) {
    EXPECT_TRUE(eval("status=active", R"({"status":"active"})"));
    EXPECT_FALSE(eval("status=active", R"({"status":"Active"})"));  // exact case
    EXPECT_TRUE(eval("name=gt=M", R"({"name":"Zoe"})"));
    EXPECT_FALSE(eval("name=gt=M", R"({"name":"Alice"})"));
    EXPECT_TRUE(eval("name=sw=Al", R"({"name":"Alice"})"));
    EXPECT_FALSE(eval("name=sw=al", R"({"name":"Alice"})"));
    EXPECT_TRUE(eval("name=ew=ce", R"({"name":"Alice"})"));
    EXPECT_TRUE(eval("name=ct=lic", R"({"name":"Alice"})"));
    EXPECT_FALSE(eval("name=ct=xyz", R"({"name":"Alice"})"));
    EXPECT_TRUE(eval("name==Al*", R"({"name":"Alice"})"));
    // A numeric-looking literal against a string attribute compares as text.
    EXPECT_TRUE(eval("zip=01234", R"({"zip":"01234"})"));
    EXPECT_TRUE(eval("code=30", R"({"code":"30"})"));
    EXPECT_TRUE(eval("code=sw=12", R"({"code":"123"})"));
    EXPECT_FALSE(eval("code=sw=12", R"({"code":123})"));  // starts-with is for strings
    // Ordering against a number is numeric: a string attribute is out of range.
    EXPECT_FALSE(eval("temp=gt=30", R"({"temp":"hot"})"));
    EXPECT_FALSE(eval("temp=lt=30", R"({"temp":"10"})"));
    EXPECT_TRUE(eval("temp=ne=30", R"({"temp":"hot"})"));
    // A non-numeric literal never equals a number.
    EXPECT_FALSE(eval("temp=warm", R"({"temp":30})"));
    EXPECT_TRUE(eval("temp=ne=warm", R"({"temp":30})"));
    EXPECT_FALSE(eval("temp=gt=warm", R"({"temp":30})"));
    // Explicit prefixes keep one reading.
    EXPECT_FALSE(eval("code=number:30", R"({"code":"30"})"));
    EXPECT_TRUE(eval("temp=number:30", R"({"temp":30})"));
    EXPECT_FALSE(eval("temp=string:30", R"({"temp":30})"));
}

TEST(QueryEval, BooleansNullsAndMissing) {
    EXPECT_TRUE(eval("on=true", R"({"on":true})"));
    EXPECT_FALSE(eval("on=true", R"({"on":false})"));
    EXPECT_TRUE(eval("on=ne=true", R"({"on":false})"));
    EXPECT_TRUE(eval("on=true", R"({"on":"true"})"));  // the string "true" also reads as text
    EXPECT_FALSE(eval("on=boolean:true", R"({"on":"true"})"));
    EXPECT_FALSE(eval("on=gt=false", R"({"on":true})"));  // booleans only for (in)equality
    EXPECT_TRUE(eval("x=null", R"({"x":null})"));
    EXPECT_TRUE(eval("x=null", R"({})"));
    EXPECT_FALSE(eval("x=null", R"({"x":0})"));
    EXPECT_TRUE(eval("x=ne=null", R"({"x":0})"));
    EXPECT_FALSE(eval("x=1", R"({})"));
    EXPECT_TRUE(eval("x=ne=1", R"({})"));
    EXPECT_FALSE(eval("x=gt=1", R"({})"));
    EXPECT_FALSE(eval("x=sw=", R"({})"));
    EXPECT_TRUE(eval("x=sw=", R"({"x":"anything"})"));
}

TEST(QueryEval, ContainsOnArraysAndOtherTypes) {
    EXPECT_TRUE(eval("tags=ct=red", R"({"tags":["blue","red"]})"));
    EXPECT_TRUE(eval("ns=ct=2", R"({"ns":[1,2,3]})"));
    EXPECT_FALSE(eval("tags=ct=re", R"({"tags":["blue","red"]})"));
    EXPECT_FALSE(eval("m=x", R"({"m":{"x":1}})"));
    EXPECT_TRUE(eval("m=ne=x", R"({"m":{"x":1}})"));
}

TEST(QueryEval, NanNeverOrders) {
    Value r{encoding::Map{{"t", Value(std::nan(""))}}};
    EXPECT_FALSE(matches(parsed("t=gt=1"), r));
    EXPECT_FALSE(matches(parsed("t=le=1"), r));
    EXPECT_TRUE(matches(parsed("t=ne=1"), r));
}

TEST(QueryProject, KeepsSelectedAttributesAndThePrimaryKey) {
    const auto r = record(R"({"id":"s1","name":"x","temp":31,"status":"on"})");
    EXPECT_EQ(encoding::encode(project(r, {"temp", "name"}, "id"), encoding::Format::json),
              R"({"id":"s1","temp":31,"name":"x"})");
    EXPECT_EQ(encoding::encode(project(r, {"name", "id"}, "id"), encoding::Format::json), R"({"name":"x","id":"s1"})");
    EXPECT_EQ(encoding::encode(project(r, {"missing"}, "id"), encoding::Format::json), R"({"id":"s1"})");
}

TEST(QueryCompiled, SlotsAreSharedBetweenQueries) {
    Slots slots;
    const auto a = compile(*parsed("status=active&temp=gt=30").where, slots);
    const auto b = compile(*parsed("temp=lt=0|status=off").where, slots);
    EXPECT_EQ(slots.names(), (std::vector<std::string>{"status", "temp"}));
    std::vector<const Value*> values;
    const auto r = record(R"({"temp":35,"status":"active"})");
    slots.extract(&r, values);
    EXPECT_TRUE(evaluate(a, values));
    EXPECT_FALSE(evaluate(b, values));
    slots.extract(nullptr, values);  // a deleted record: every attribute missing
    EXPECT_FALSE(evaluate(a, values));
}

// Every query that matches a record must be among its candidates (a superset), whatever
// the mix of anchors: equalities under each reading, merged number ranges, text ranges and
// prefixes, and unanchored queries. And the index must actually narrow things down.
TEST(QueryCandidates, AreASupersetOfTheMatches) {
    const std::vector<std::string> queries = {
        "n=5",          "n=5.0",       "n=ge=3&n=lt=7", "n=gt=100",      "n=le=-1",       "n=ge=10&n=le=9",
        "s=abc",        "s=sw=ab",     "s=gt=m",        "s=lt=b&s=ge=a", "s=30",          "b=true",
        "b=false",      "x=null",      "n=ne=5",        "s=ct=b",        "n=1|s=abc",     "",
        "n=ge=2&s=sw=a", "n=number:7", "s=string:7",    "n=9007199254740993", "n=gt=9007199254740992",
        "s=ew=c",       "s==ab*",      "n=-0",          "s=sw=",         "n=gt=1&n=gt=4&n=lt=6",
    };
    std::vector<Query> parsed_queries;
    std::vector<const Node*> wheres;
    for (const auto& q : queries) parsed_queries.push_back(parsed(q));
    for (const auto& q : parsed_queries) wheres.push_back(q.where ? &*q.where : nullptr);
    Slots slots;
    const Candidates index(wheres, slots);
    const std::vector<std::string> records = {
        R"({"n":5})",        R"({"n":5.0})",          R"({"n":4,"s":"abc"})", R"({"n":101})",       R"({"n":-1})",
        R"({"n":-5.5})",     R"({"s":"abc"})",        R"({"s":"abd"})",       R"({"s":"z"})",        R"({"s":"a"})",
        R"({"s":"30"})",     R"({"n":30})",           R"({"b":true})",        R"({"b":false})",      R"({"x":null})",
        R"({})",             R"({"n":7})",            R"({"s":"7"})",         R"({"n":9007199254740993})",
        R"({"n":9007199254740992})", R"({"n":0.0})",  R"({"n":-0.0})",        R"({"s":""})",         R"({"n":5,"s":"xbc"})",
        R"({"n":[5]})",      R"({"s":{"a":1}})",      R"({"n":1e300})",       R"({"n":"5"})",        R"({"n":5.5,"s":"ab"})",
    };
    std::size_t total_candidates = 0;
    for (const auto& text : records) {
        const auto r = record(text);
        std::vector<const Value*> values;
        slots.extract(&r, values);
        std::vector<std::uint32_t> found;
        index.find(values, found);
        total_candidates += found.size();
        for (std::uint32_t i = 0; i < parsed_queries.size(); ++i) {
            if (!matches(parsed_queries[i], r)) continue;
            EXPECT_NE(std::find(found.begin(), found.end(), i), found.end())
                << "query " << queries[i] << " matches " << text << " but is no candidate";
        }
    }
    // Four queries are unanchored ("n=ne=5", "s=ct=b", the '|' and the empty one), so each
    // record has at least 4 candidates; the index keeps the average well below all 28.
    EXPECT_LT(total_candidates, records.size() * queries.size() / 2);
}

// Random text over the query alphabet: parse() never crashes and either fails with a
// position inside the text or yields a query whose compiled form agrees with the direct
// evaluation and whose candidates include it whenever it matches.
TEST(QueryRandom, ParseEvaluateAndCandidatesAgreeOnRandomInput) {
    std::mt19937 rng(7);
    const std::string alphabet = "ab=&|()!*%2Fg0t1l-e.sw,ct3nq:_ ";
    const std::vector<std::string> pieces = {"a",     "b",      "=",     "==",     "!=",      "=gt=", "=le=",
                                             "=sw=",  "=ct=",   "=ne=",  "&",      "|",       "(",    ")",
                                             "1",     "2.5",    "-3",    "x",      "null",    "true", "select(a)",
                                             "limit(2)", "%41", "number:", "string:", "*",    "=ew="};
    const std::vector<std::string> records = {R"({"a":1,"b":"x"})", R"({"a":2.5})", R"({"b":"xa","a":-3})",
                                              R"({"a":null,"b":true})", R"({})", R"({"a":"1","b":["x",1]})"};
    std::vector<Value> values;
    for (const auto& r : records) values.push_back(record(r));
    int parsed_ok = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string text;
        const auto n = rng() % 8;
        for (std::uint32_t k = 0; k < n; ++k) {
            if (rng() % 3 == 0) text.push_back(alphabet[rng() % alphabet.size()]);
            else text += pieces[rng() % pieces.size()];
        }
        const auto r = parse(text);
        if (!r) {
            EXPECT_LE(r.error.position, text.size()) << text;
            EXPECT_FALSE(r.error.message.empty()) << text;
            continue;
        }
        ++parsed_ok;
        const auto& q = *r.query;
        Slots slots;
        std::vector<const Node*> wheres{q.where ? &*q.where : nullptr};
        const Candidates candidates(wheres, slots);
        std::optional<Compiled> compiled;
        if (q.where) compiled = compile(*q.where, slots);
        for (const auto& v : values) {
            const bool direct = matches(q, v);
            std::vector<const Value*> slot_values;
            slots.extract(&v, slot_values);
            if (compiled) {
                EXPECT_EQ(evaluate(*compiled, slot_values), direct) << text;
            }
            std::vector<std::uint32_t> found;
            candidates.find(slot_values, found);
            if (direct) {
                EXPECT_FALSE(found.empty()) << text << " matches but is no candidate";
            }
        }
    }
    EXPECT_GT(parsed_ok, 1000);  // the generator reaches valid queries too
}

}  // namespace
}  // namespace harperrt::query
