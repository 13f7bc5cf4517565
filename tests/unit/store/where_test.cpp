// scan_where: conditions over indexed attributes only, compiled from whitelisted tokens,
// answered through the SQL index.
#include "daemon/store/sqlite_store.hpp"
#include "daemon/store/where.hpp"

#include "tests/unit/store/store_test_util.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace harperrt::daemon::store {
namespace {

using test::ids;
using test::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CompileWhere : public ::testing::Test {
protected:
    CompileWhere() {
        table_.name = "Sensor";
        table_.primary_key = "sid";
        auto& status = table_.indexes.emplace_back();
        status.attribute = "status";
        status.column = "\"ix_status\"";
        auto& temp = table_.indexes.emplace_back();
        temp.attribute = "Temp C";
        temp.column = "\"ix_Temp_C\"";
        auto& pending = table_.indexes.emplace_back();
        pending.attribute = "late";
        pending.column = "\"ix_late\"";
        pending.ready = false;
    }
    TableLayout table_;
};

TEST_F(CompileWhere, RewritesAttributesToColumns) {
    struct Case {
        const char* in;
        const char* sql;
        std::size_t params;
    };
    const Case cases[] = {
        {"status = ?", R"("ix_status" = ?)", 1},
        {"status=?and\"Temp C\">=?", R"("ix_status" = ? AND "ix_Temp_C" >= ?)", 2},
        {"(status IN (?, ?) OR sid == ?) and not \"Temp C\" is null",
         R"(( "ix_status" IN ( ? , ? ) OR id == ? ) AND NOT "ix_Temp_C" IS NULL)", 3},
        {"\"Temp C\" between ? AND ?", R"("ix_Temp_C" BETWEEN ? AND ?)", 2},
        {"status like ? escape ?", R"("ix_status" LIKE ? ESCAPE ?)", 2},
        {"status <> ? AND status != ? AND sid < ? AND sid <= ? AND sid > ?",
         R"("ix_status" <> ? AND "ix_status" != ? AND id < ? AND id <= ? AND id > ?)", 5},
        {"status GLOB ?", R"("ix_status" GLOB ?)", 1},
    };
    for (const auto& c : cases) {
        auto w = compile_where(c.in, table_);
        ASSERT_TRUE(w) << c.in << ": " << w.error().message();
        EXPECT_EQ(w->sql, c.sql) << c.in;
        EXPECT_EQ(w->params, c.params) << c.in;
    }
}

TEST_F(CompileWhere, RefusesAnythingElse) {
    const char* refused[] = {
        "",                                  // nothing to compile
        "   ",
        "status = 'on'",                     // literals: values go in parameters
        "status = 1",
        "status = ?; DROP TABLE kv",         // statement separator
        "status = ? -- comment",
        "status = ? /* comment */",
        "data = ?",                          // not an indexed attribute
        "version > ?",
        "Status = ?",                        // attribute names are case-sensitive
        "\"Temp c\" = ?",
        "temp = ?",
        "\"status = ?",                      // unterminated quoted name
        "(status = ?",                       // unbalanced
        "status = ?)",
        ") status = ? (",
        "status = ?1",                       // numbered and named parameters
        "status = :x",
        "status = @x",
        "status = $x",
        "status || ? = ?",                   // operators outside the list
        "status + ? = ?",
        "lower(status) = ?",                 // functions
        "status = ? UNION SELECT * FROM kv",
        "status ! ?",
        "status = x'00'",
        "[status] = ?",
        "`status` = ?",
    };
    for (const char* in : refused) {
        auto w = compile_where(in, table_);
        EXPECT_FALSE(w) << in << " compiled to " << (w ? w->sql : "");
        if (!w) {
            EXPECT_EQ(w.error(), Errc::bad_query) << in;
        }
    }
}

TEST_F(CompileWhere, RefusesAnIndexAwaitingBackfill) {
    auto w = compile_where("late = ?", table_);
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error(), Errc::index_not_ready);
}

class ScanWhere : public ::testing::Test {
protected:
    void SetUp() override {
        store_ = test::open_or_fail(test::options_in(dir_, {test::integer_table("Sensor", {"status", "temp"})}));
        ASSERT_NE(store_, nullptr);
        const auto put = [&](const char* id, IndexValue status, IndexValue temp) {
            ASSERT_TRUE(test::put(*store_, {"Sensor", id}, std::string("sensor ") + id, {status, temp}));
        };
        put("1", std::string("active"), std::int64_t{25});
        put("2", std::string("active"), 31.5);
        put("3", std::string("idle"), std::int64_t{40});
        put("4", std::string("active"), std::int64_t{35});
        put("5", {}, {});  // no status, no temp
        put("10", std::string("active"), std::int64_t{50});
    }
    std::vector<std::string> where(std::string_view cond, std::vector<IndexValue> params,
                                   std::optional<std::string_view> after = std::nullopt, std::size_t limit = 100) {
        auto r = store_->scan_where("Sensor", cond, params, after, limit);
        if (!r) {
            ADD_FAILURE() << cond << ": " << r.error().message();
            return {};
        }
        return ids(*r);
    }

    TempDir dir_;
    std::unique_ptr<SqliteStore> store_;
};

TEST_F(ScanWhere, FindsMatchingRecordsInKeyOrder) {
    EXPECT_THAT(where("status = ?", {std::string("active")}), ElementsAre("1", "2", "4", "10"));
    // Integers and floats compare numerically with each other.
    EXPECT_THAT(where("status = ? AND temp > ?", {std::string("active"), std::int64_t{30}}),
                ElementsAre("2", "4", "10"));
    EXPECT_THAT(where("temp BETWEEN ? AND ?", {31.0, std::int64_t{40}}), ElementsAre("2", "3", "4"));
    EXPECT_THAT(where("status IN (?, ?)", {std::string("idle"), std::string("gone")}), ElementsAre("3"));
    EXPECT_THAT(where("status IS NULL", {}), ElementsAre("5"));
    EXPECT_THAT(where("status LIKE ?", {std::string("act%")}), ElementsAre("1", "2", "4", "10"));
    EXPECT_THAT(where("id >= ? AND status = ?", {std::int64_t{4}, std::string("active")}), ElementsAre("4", "10"));
}

TEST_F(ScanWhere, PagesWithAfterIdAndLimit) {
    EXPECT_THAT(where("status = ?", {std::string("active")}, std::nullopt, 2), ElementsAre("1", "2"));
    EXPECT_THAT(where("status = ?", {std::string("active")}, "2", 2), ElementsAre("4", "10"));
    EXPECT_THAT(where("status = ?", {std::string("active")}, "10", 2), ElementsAre());
    auto r = store_->scan_where("Sensor", "status = ?", {std::string("active")}, std::nullopt, 1);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].data, "sensor 1");
}

TEST_F(ScanWhere, RefusesBadColumnsTablesAndParameterCounts) {
    EXPECT_EQ(store_->scan_where("Sensor", "colour = ?", {std::string("red")}, std::nullopt, 10).error(),
              Errc::bad_query);
    EXPECT_EQ(store_->scan_where("Sensor", "status = ?", {}, std::nullopt, 10).error(), Errc::bad_query);
    EXPECT_EQ(store_->scan_where("Sensor", "status = ?", {std::string("a"), std::string("b")}, std::nullopt, 10)
                  .error(),
              Errc::bad_query);
    EXPECT_EQ(store_->scan_where("Nope", "status = ?", {std::string("a")}, std::nullopt, 10).error(),
              Errc::unknown_table);
    EXPECT_EQ(store_->scan_where("Sensor", "status = ?", {std::string("a")}, "x", 10).error(), Errc::bad_key);
    // Well-formed tokens in an arrangement SQLite rejects: an SQLite error, nothing run.
    auto r = store_->scan_where("Sensor", "status = = ?", {std::string("a")}, std::nullopt, 10);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().category(), sqlite_category());
}

TEST_F(ScanWhere, UsesTheIndex) {
    auto plan = store_->explain_scan_where("Sensor", "status = ?", std::nullopt);
    ASSERT_TRUE(plan) << plan.error().message();
    EXPECT_THAT(*plan, HasSubstr("USING INDEX idx_Sensor_status")) << *plan;
    auto paged = store_->explain_scan_where("Sensor", "temp = ?", "10");
    ASSERT_TRUE(paged);
    EXPECT_THAT(*paged, HasSubstr("USING INDEX idx_Sensor_temp")) << *paged;
    auto by_key = store_->explain_scan_where("Sensor", "id = ?", std::nullopt);
    ASSERT_TRUE(by_key);
    EXPECT_THAT(*by_key, HasSubstr("USING PRIMARY KEY")) << *by_key;
}

}  // namespace
}  // namespace harperrt::daemon::store
