// Query snapshots against a real SqliteStore (DESIGN.md §5): conditions on indexed
// attributes and the primary key become an index scan (EXPLAIN QUERY PLAN shows it), other
// conditions scan the table, and in every case the records QueryScan yields are exactly the
// ones the query matches (checked against evaluating the query on every record), in
// primary-key order, with limit and offset.
#include "daemon/broker/query.hpp"

#include "daemon/broker/records.hpp"
#include "tests/unit/store/store_test_util.hpp"

#include "common/encoding/codec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

namespace harperrt::daemon::broker {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using store::test::TempDir;

class QueryPlan : public ::testing::Test {
protected:
    void SetUp() override {
        config_.tables["Sensor"] = config::Table{"id", KeyType::string, {"status", "temp"}};
        config_.tables["Dog"] = config::Table{"dogId", KeyType::integer, {}};
        store_ = store::test::open_or_fail(store::test::options_in(dir_, table_specs(config_)));
        ASSERT_NE(store_, nullptr);
        records_ = std::make_unique<Records>(config_, *store_);
    }
    void put(const std::string& table, const std::string& id, std::string_view json) {
        const RecordKey key{table, id};
        auto value = records_->make_record(key, json, encoding::Format::json);
        ASSERT_TRUE(value) << json;
        auto r = store::test::put(*store_, key, records_->encode_for_store(*value), records_->index_values(key, *value));
        ASSERT_TRUE(r) << r.error().message();
    }
    std::shared_ptr<const LiveQuery> live(const std::string& filter) {
        auto qf = query_filter(filter, records_->tables());
        EXPECT_TRUE(qf) << filter;
        if (!qf) return nullptr;
        auto q = make_live_query(filter, *qf, *records_);
        EXPECT_TRUE(q.query) << filter << ": " << q.error;
        return q.query;
    }
    std::string explain(const std::string& filter) {
        auto q = live(filter);
        const auto& indexes = records_->indexes(q->table);
        auto plan = plan_scan(q->query, q->primary_key, indexes);
        if (!plan) return "no plan";
        const auto order = order_attribute(q->query, q->primary_key, indexes);
        auto text = order ? store_->explain_scan_where_by(q->table, *order, plan->where, true)
                          : store_->explain_scan_where(q->table, plan->where, std::string("x"));
        EXPECT_TRUE(text) << plan->where;
        return text ? *text : "";
    }
    std::vector<std::string> scan_ids(const std::string& filter, std::size_t batch = 256) {
        QueryScan scan(*records_, live(filter), batch);
        std::vector<std::string> ids;
        while (!scan.done()) {
            auto matches = scan.next();
            EXPECT_TRUE(matches) << matches.error().message();
            if (!matches) break;
            for (const auto& m : *matches) ids.push_back(m.key.id);
        }
        return ids;
    }
    // The reference: every record of the table filtered by the query, in key order or, for
    // a query ordered by an index, in SQLite's order of that index's values (numbers before
    // text), then key order.
    std::vector<std::string> brute_ids(const std::string& filter) {
        auto q = live(filter);
        auto all = store_->scan(q->table, std::nullopt, 1'000'000);
        EXPECT_TRUE(all);
        const auto& indexes = records_->indexes(q->table);
        const auto order = order_attribute(q->query, q->primary_key, indexes);
        const auto column = order ? std::size_t(std::find(indexes.begin(), indexes.end(), *order) - indexes.begin()) : 0;
        struct Row {
            store::IndexValue value;
            std::string id;
        };
        std::vector<Row> rows;
        for (const auto& rec : *all) {
            auto value = records_->decode_stored(rec.data);
            if (!query::matches(q->query, *value)) continue;
            rows.push_back({order ? records_->index_values(rec.key, *value)[column] : store::IndexValue{}, rec.key.id});
        }
        if (order) {
            auto rank = [](const store::IndexValue& v) { return v.index() == 3 ? 1 : 0; };
            auto number = [](const store::IndexValue& v) {
                return v.index() == 1 ? static_cast<double>(std::get<1>(v)) : std::get<2>(v);
            };
            std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
                if (rank(a.value) != rank(b.value)) return rank(a.value) < rank(b.value);
                if (rank(a.value) == 1) return std::get<3>(a.value) < std::get<3>(b.value);
                return number(a.value) < number(b.value);
            });
        }
        std::vector<std::string> ids;
        for (std::size_t i = q->query.offset; i < rows.size(); ++i) {
            if (q->query.limit && ids.size() >= *q->query.limit) break;
            ids.push_back(rows[i].id);
        }
        return ids;
    }

    TempDir dir_;
    config::Config config_;
    std::unique_ptr<store::SqliteStore> store_;
    std::unique_ptr<Records> records_;
};

TEST_F(QueryPlan, IndexedConditionsUseTheIndex) {
    EXPECT_THAT(explain("Sensor/?status=active"), HasSubstr("USING INDEX idx_Sensor_status"));
    EXPECT_THAT(explain("Sensor/?temp=gt=30"), HasSubstr("USING INDEX idx_Sensor_temp"));
    EXPECT_THAT(explain("Sensor/?status=active&name=x"), HasSubstr("USING INDEX idx_Sensor_status"));
    EXPECT_THAT(explain("Sensor/?status=sw=act"), HasSubstr("USING INDEX idx_Sensor_status"));
    EXPECT_THAT(explain("Sensor/?id=abc"), HasSubstr("USING PRIMARY KEY"));
    // A range is read from its index, in index order: no table scan, no sort.
    for (const auto* f : {"Sensor/?temp=gt=30", "Sensor/?status=active&temp=lt=0", "Sensor/?status=sw=act",
                          "Sensor/?status=active", "Sensor/?temp=30", "Sensor/?temp=ge=1&temp=le=9",
                          "Sensor/?name=x&temp=lt=0"}) {
        const auto plan = explain(f);
        EXPECT_THAT(plan, Not(HasSubstr("SCAN"))) << f;
        EXPECT_THAT(plan, Not(HasSubstr("TEMP B-TREE"))) << f;
    }
    // Nothing an index can answer: a full scan.
    EXPECT_EQ(explain("Sensor/?name=x"), "no plan");
    EXPECT_EQ(explain("Sensor/?status=ne=active"), "no plan");
    EXPECT_EQ(explain("Sensor/?status=active|name=x"), "no plan");
}

TEST_F(QueryPlan, ScanResultsEqualTheQueryEvaluatedOnEveryRecord) {
    // Records with every type an attribute can have, so the SQL superset is put to the test.
    std::mt19937 rng(42);
    const std::vector<std::string> statuses = {"\"active\"", "\"off\"", "\"act\"", "\"\"", "7", "null", "true",
                                               "\"30\"", "\"Active\""};
    const std::vector<std::string> temps = {"30", "30.5", "-1", "29.999", "\"hot\"", "\"30\"", "null", "false",
                                            "1e3", "9007199254740993"};
    for (int i = 0; i < 400; ++i) {
        std::string json = "{";
        if (rng() % 5 != 0) json += "\"status\":" + statuses[rng() % statuses.size()] + ",";
        if (rng() % 5 != 0) json += "\"temp\":" + temps[rng() % temps.size()] + ",";
        json += "\"name\":\"n" + std::to_string(rng() % 7) + "\"}";
        put("Sensor", "s" + std::to_string(1000 + i), json);
    }
    const std::vector<std::string> queries = {
        "status=active",      "status==act*",         "status=sw=act",       "status=7",
        "status=true",        "status=null",          "status=30",           "status=ne=active",
        "temp=30",            "temp=gt=30",           "temp=ge=30",          "temp=lt=30",
        "temp=le=-1",         "temp=gt=29.9999",      "temp=hot",            "temp=gt=9007199254740992",
        "temp=false",         "temp=null",            "status=active&temp=gt=0",
        "status=off|temp=lt=0", "(status=active|status=off)&temp=ge=30", "name=n3&status=active",
        "status=string:7",    "temp=number:30",       "id=s1100",            "id=gt=s1390",
        "id=sw=s12",          "status=active&limit(5)", "temp=gt=0&limit(3,4)", "limit(10,10)",
        "status=sw=",         "status=gt=A&status=lt=b",
    };
    for (const auto& q : queries) {
        const auto filter = "Sensor/?" + q;
        EXPECT_EQ(scan_ids(filter), brute_ids(filter)) << filter;
        EXPECT_EQ(scan_ids(filter, 7), brute_ids(filter)) << filter << " (small batches)";
    }
}

TEST_F(QueryPlan, IntegerKeysAndSelect) {
    for (int i = 1; i <= 30; ++i) put("Dog", std::to_string(i), R"({"name":"d","age":)" + std::to_string(i % 10) + "}");
    EXPECT_EQ(scan_ids("Dog/?dogId=gt=25"), (std::vector<std::string>{"26", "27", "28", "29", "30"}));
    EXPECT_EQ(scan_ids("Dog/?dogId=le=3&age=ge=2"), (std::vector<std::string>{"2", "3"}));
    EXPECT_THAT(explain("Dog/?dogId=gt=25"), HasSubstr("USING PRIMARY KEY"));
    QueryScan scan(*records_, live("Dog/?dogId=7&select(age)"));
    auto m = scan.next();
    ASSERT_TRUE(m);
    ASSERT_EQ(m->size(), 1u);
    EXPECT_EQ(encoding::encode(*(*m)[0].value, encoding::Format::json), R"({"dogId":7,"age":7})");
}

TEST_F(QueryPlan, NonQueryFiltersAreNotQueries) {
    EXPECT_FALSE(query_filter("Sensor/1", records_->tables()));
    EXPECT_FALSE(query_filter("Other/?a=1", records_->tables()));  // not a declared table
    EXPECT_FALSE(query_filter("Sensor/x/?a=1", records_->tables()));
    EXPECT_FALSE(query_filter("Sensor", records_->tables()));
    auto qf = query_filter("Sensor/?a=1", records_->tables());
    ASSERT_TRUE(qf);
    EXPECT_EQ(qf->table, "Sensor");
    EXPECT_EQ(qf->text, "a=1");
    auto bad = make_live_query("Sensor/?a=1&", *query_filter("Sensor/?a=1&", records_->tables()), *records_);
    EXPECT_FALSE(bad.query);
    EXPECT_EQ(bad.error, "query error at position 13: expected a condition");
}

}  // namespace
}  // namespace harperrt::daemon::broker
