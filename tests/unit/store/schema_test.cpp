// The schema: created once, versioned, reconciled with the declared tables on each open.
#include "daemon/store/schema.hpp"
#include "daemon/store/sqlite_store.hpp"

#include "tests/unit/store/store_test_util.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <string>
#include <vector>

namespace harperrt::daemon::store {
namespace {

using test::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Rows of a query as strings, through a plain connection of our own.
std::vector<std::string> query(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* conn = nullptr;
    std::vector<std::string> rows;
    if (sqlite3_open_v2(db.c_str(), &conn, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << "cannot open " << db;
        sqlite3_close(conn);
        return rows;
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(conn, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << sqlite3_errmsg(conn);
    } else {
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            const auto* text = sqlite3_column_text(stmt, 0);
            rows.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
        }
    }
    sqlite3_finalize(stmt);
    sqlite3_close(conn);
    return rows;
}

TEST(Schema, CreatedOnceThenReopened) {
    TempDir dir;
    const auto options = test::options_in(dir, {test::string_table("Sensor", {"status"})});
    {
        auto store = test::open_or_fail(options);
        ASSERT_NE(store, nullptr);
        ASSERT_TRUE(test::put(*store, {"Sensor", "1"}, "x", {IndexValue{std::string("on")}}));
    }
    EXPECT_THAT(query(options.path, "SELECT value FROM meta WHERE key = 'schema_version'"), ElementsAre("1"));
    EXPECT_THAT(query(options.path, "PRAGMA journal_mode"), ElementsAre("wal"));
    const auto objects = query(options.path, "SELECT type || ' ' || name FROM sqlite_schema ORDER BY name");
    EXPECT_THAT(objects, ::testing::Contains("table rec_Sensor"));
    EXPECT_THAT(objects, ::testing::Contains("index idx_Sensor_status"));
    for (int i = 0; i < 2; ++i) {
        auto store = test::open_or_fail(options);
        ASSERT_NE(store, nullptr);
        EXPECT_EQ(store->get({"Sensor", "1"}).value()->data, "x");
    }
    EXPECT_EQ(query(options.path, "SELECT type || ' ' || name FROM sqlite_schema ORDER BY name"), objects);
    EXPECT_THAT(query(options.path, "SELECT name FROM record_tables"), ElementsAre("Sensor"));
}

TEST(Schema, RefusesAChangedKeyType) {
    TempDir dir;
    ASSERT_NE(test::open_or_fail(test::options_in(dir, {test::string_table("T")})), nullptr);
    auto reopened = SqliteStore::open(test::options_in(dir, {test::integer_table("T")}));
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error(), Errc::schema_mismatch);
}

TEST(Schema, RefusesANewerSchema) {
    TempDir dir;
    const auto options = test::options_in(dir, {});
    ASSERT_NE(test::open_or_fail(options), nullptr);
    query(options.path, "UPDATE meta SET value = 99 WHERE key = 'schema_version'");
    auto reopened = SqliteStore::open(options);
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error(), Errc::schema_too_new);
}

TEST(Schema, UndeclaredTablesKeepTheirData) {
    TempDir dir;
    {
        auto store = test::open_or_fail(test::options_in(dir, {test::string_table("A")}));
        ASSERT_NE(store, nullptr);
        ASSERT_TRUE(test::put(*store, {"A", "1"}, "kept"));
    }
    {
        auto store = test::open_or_fail(test::options_in(dir, {test::string_table("B")}));
        ASSERT_NE(store, nullptr);
        EXPECT_EQ(store->get({"A", "1"}).error(), Errc::unknown_table);
    }
    auto store = test::open_or_fail(test::options_in(dir, {test::string_table("A")}));
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->get({"A", "1"}).value()->data, "kept");
}

TEST(Schema, AnIndexOnAnEmptyTableIsReadyAtOnce) {
    TempDir dir;
    ASSERT_NE(test::open_or_fail(test::options_in(dir, {test::string_table("T")})), nullptr);
    auto store = test::open_or_fail(test::options_in(dir, {test::string_table("T", {"a"})}));
    ASSERT_NE(store, nullptr);
    EXPECT_THAT(store->pending_indexes(), IsEmpty());
}

TEST(Schema, AnIndexAddedLaterIsBackfilledByTheCaller) {
    TempDir dir;
    {
        auto store = test::open_or_fail(test::options_in(dir, {test::string_table("S")}));
        ASSERT_NE(store, nullptr);
        for (const char* id : {"1", "2", "3"}) ASSERT_TRUE(test::put(*store, {"S", id}, std::string("on:") + id));
    }
    const auto options = test::options_in(dir, {test::string_table("S", {"status"})});
    auto store = test::open_or_fail(options);
    ASSERT_NE(store, nullptr);
    EXPECT_THAT(store->pending_indexes(), ElementsAre(IndexRef{"S", "status"}));
    auto early = store->scan_where("S", "status = ?", {std::string("on")}, std::nullopt, 10);
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error(), Errc::index_not_ready);

    // New puts carry the new index value already.
    ASSERT_TRUE(test::put(*store, {"S", "4"}, "on:4", {IndexValue{std::string("on")}}));
    // The backfill: scan, decode (here: trivially), reindex at the version read.
    auto all = store->scan("S", std::nullopt, 100);
    ASSERT_TRUE(all);
    for (const auto& r : *all) {
        test::Waiter<void> w;
        store->reindex(r.key, r.version, {IndexValue{std::string("on")}}, w.callback());
        ASSERT_TRUE(w.get());
    }
    {
        // A record that changed since it was read is not overwritten.
        test::Waiter<void> w;
        store->reindex({"S", "1"}, (*all)[0].version - 1, {IndexValue{std::string("stale")}}, w.callback());
        EXPECT_EQ(w.get().error(), Errc::version_mismatch);
    }
    {
        test::Waiter<void> w;
        store->mark_index_ready("S", "nope", w.callback());
        EXPECT_EQ(w.get().error(), Errc::unknown_index);
    }
    test::Waiter<void> ready;
    store->mark_index_ready("S", "status", ready.callback());
    ASSERT_TRUE(ready.get());
    EXPECT_THAT(store->pending_indexes(), IsEmpty());
    auto found = store->scan_where("S", "status = ?", {std::string("on")}, std::nullopt, 10);
    ASSERT_TRUE(found) << found.error().message();
    EXPECT_THAT(test::ids(*found), ElementsAre("1", "2", "3", "4"));
    // Versions did not move: subscribers see nothing of a backfill.
    EXPECT_EQ(store->get({"S", "1"}).value()->version, (*all)[0].version);

    ASSERT_TRUE(store->close());
    auto reopened = test::open_or_fail(options);
    ASSERT_NE(reopened, nullptr);
    EXPECT_THAT(reopened->pending_indexes(), IsEmpty());
}

TEST(Schema, AnIndexNoLongerDeclaredIsDropped) {
    TempDir dir;
    {
        auto store = test::open_or_fail(test::options_in(dir, {test::string_table("S", {"a", "b"})}));
        ASSERT_NE(store, nullptr);
        ASSERT_TRUE(test::put(*store, {"S", "1"}, "x", {IndexValue{std::int64_t{1}}, IndexValue{std::int64_t{2}}}));
    }
    const auto options = test::options_in(dir, {test::string_table("S", {"b"})});
    auto store = test::open_or_fail(options);
    ASSERT_NE(store, nullptr);
    EXPECT_THAT(query(options.path, "SELECT name FROM pragma_table_info('rec_S')"),
                ElementsAre("id", "data", "version", "ix_b"));
    EXPECT_THAT(query(options.path, "SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'idx_%'"),
                ElementsAre("idx_S_b"));
    EXPECT_EQ(store->scan_where("S", "a = ?", {std::int64_t{1}}, std::nullopt, 10).error(), Errc::bad_query);
    auto b = store->scan_where("S", "b = ?", {std::int64_t{2}}, std::nullopt, 10);
    ASSERT_TRUE(b);
    EXPECT_THAT(test::ids(*b), ElementsAre("1"));
    ASSERT_TRUE(test::put(*store, {"S", "2"}, "y", {IndexValue{std::int64_t{5}}}));
}

TEST(Schema, QuoteIdentifierDoublesQuotes) {
    EXPECT_EQ(quote_identifier("plain"), "\"plain\"");
    EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
    EXPECT_EQ(quote_identifier(""), "\"\"");
}

}  // namespace
}  // namespace harperrt::daemon::store
