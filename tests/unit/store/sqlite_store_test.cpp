#include "daemon/store/sqlite_store.hpp"

#include "tests/unit/store/store_test_util.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <optional>
#include <string>
#include <vector>

namespace harperrt::daemon::store {
namespace {

using test::ids;
using test::TempDir;
using ::testing::ElementsAre;

class SqliteStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        options_ = test::options_in(dir_, {test::string_table("Dog"), test::integer_table("Counter")});
        store_ = test::open_or_fail(options_);
        ASSERT_NE(store_, nullptr);
    }
    void reopen() {
        ASSERT_TRUE(store_->close());
        store_.reset();
        store_ = test::open_or_fail(options_);
        ASSERT_NE(store_, nullptr);
    }

    TempDir dir_;
    Options options_;
    std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, CreatesTheDirectoryAndFile) {
    EXPECT_TRUE(std::filesystem::exists(options_.path));
}

TEST_F(SqliteStoreTest, PutThenGetReturnsTheRecord) {
    auto put = test::put(*store_, {"Dog", "41"}, R"({"name":"Rex"})");
    ASSERT_TRUE(put) << put.error().message();
    EXPECT_EQ(put->key, (RecordKey{"Dog", "41"}));
    EXPECT_EQ(put->data, R"({"name":"Rex"})");
    EXPECT_GT(put->version, 0u);

    auto got = store_->get({"Dog", "41"});
    ASSERT_TRUE(got) << got.error().message();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ(**got, *put);
}

TEST_F(SqliteStoreTest, GetOfAMissingRecordIsEmpty) {
    auto got = store_->get({"Dog", "nobody"});
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->has_value());
}

TEST_F(SqliteStoreTest, StoresBinaryBlobsAndOddIdsExactly) {
    const std::string blob("\x00\xff\x01\xa2{}", 6);  // NUL and high bytes, as CBOR has
    const std::string id = "a/b c%2F\xc3\xa9";          // composite key, space, UTF-8
    ASSERT_TRUE(test::put(*store_, {"Dog", id}, blob));
    ASSERT_TRUE(test::put(*store_, {"Dog", ""}, ""));  // the empty ID and empty data are values too
    auto got = store_->get({"Dog", id});
    ASSERT_TRUE(got && got->has_value());
    EXPECT_EQ((*got)->data, blob);
    auto empty = store_->get({"Dog", ""});
    ASSERT_TRUE(empty && empty->has_value());
    EXPECT_EQ((*empty)->data, "");
}

TEST_F(SqliteStoreTest, PutReplacesTheWholeRecord) {
    ASSERT_TRUE(test::put(*store_, {"Dog", "1"}, "first"));
    ASSERT_TRUE(test::put(*store_, {"Dog", "1"}, "second"));
    auto got = store_->get({"Dog", "1"});
    ASSERT_TRUE(got && got->has_value());
    EXPECT_EQ((*got)->data, "second");
}

TEST_F(SqliteStoreTest, VersionsIncreaseAcrossRecordsPutsAndRemoves) {
    auto a1 = test::put(*store_, {"Dog", "a"}, "1");
    auto b1 = test::put(*store_, {"Counter", "7"}, "1");
    auto a2 = test::put(*store_, {"Dog", "a"}, "2");
    auto del = test::remove(*store_, {"Dog", "a"});
    auto a3 = test::put(*store_, {"Dog", "a"}, "3");
    ASSERT_TRUE(a1 && b1 && a2 && del && a3);
    EXPECT_LT(a1->version, b1->version);
    EXPECT_LT(b1->version, a2->version);
    EXPECT_LT(a2->version, del->version);
    EXPECT_LT(del->version, a3->version);
    EXPECT_EQ(store_->stats().last_version, a3->version);
}

TEST_F(SqliteStoreTest, RemoveReportsWhetherTheRecordExisted) {
    ASSERT_TRUE(test::put(*store_, {"Dog", "1"}, "x"));
    auto first = test::remove(*store_, {"Dog", "1"});
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->existed);
    auto got = store_->get({"Dog", "1"});
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->has_value());
    auto second = test::remove(*store_, {"Dog", "1"});
    ASSERT_TRUE(second);
    EXPECT_FALSE(second->existed);
    EXPECT_GT(second->version, first->version);
}

TEST_F(SqliteStoreTest, KeepPreviousReportsWhatAWriteReplaced) {
    // Off: nothing is looked up.
    auto a = test::put(*store_, {"Dog", "1"}, "v1");
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->previous.known);

    store_->keep_previous("Dog", true);
    store_->keep_previous("NoSuchTable", true);  // ignored
    auto b = test::put(*store_, {"Dog", "1"}, "v2");
    ASSERT_TRUE(b);
    EXPECT_TRUE(b->previous.known);
    EXPECT_EQ(b->previous.data, "v1");
    auto fresh = test::put(*store_, {"Dog", "2"}, "w1");
    ASSERT_TRUE(fresh);
    EXPECT_TRUE(fresh->previous.known);
    EXPECT_FALSE(fresh->previous.data);  // there was no record
    auto del = test::remove(*store_, {"Dog", "1"});
    ASSERT_TRUE(del);
    EXPECT_TRUE(del->existed);
    EXPECT_TRUE(del->previous.known);
    EXPECT_EQ(del->previous.data, "v2");
    auto again = test::remove(*store_, {"Dog", "1"});
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->existed);
    EXPECT_TRUE(again->previous.known);
    EXPECT_FALSE(again->previous.data);
    // Other tables are unaffected.
    auto other = test::put(*store_, {"Counter", "1"}, "x");
    ASSERT_TRUE(other);
    EXPECT_FALSE(other->previous.known);

    store_->keep_previous("Dog", false);
    auto off = test::put(*store_, {"Dog", "2"}, "w2");
    ASSERT_TRUE(off);
    EXPECT_FALSE(off->previous.known);
}

TEST_F(SqliteStoreTest, KeepPreviousSeesEarlierWritesOfTheSameGroup) {
    store_->keep_previous("Dog", true);
    WriteBatch batch;
    batch.put({"Dog", "7"}, "first").put({"Dog", "7"}, "second").remove({"Dog", "7"});
    test::Waiter<std::vector<WriteOutcome>> w;
    store_->write(std::move(batch), w.callback());
    auto r = w.get();
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->size(), 3u);
    EXPECT_FALSE(std::get<Record>((*r)[0]).previous.data);
    EXPECT_EQ(std::get<Record>((*r)[1]).previous.data, "first");
    EXPECT_EQ(std::get<Removed>((*r)[2]).previous.data, "second");
}

TEST_F(SqliteStoreTest, StringKeysScanInBytewiseOrder) {
    for (const char* id : {"b", "a/2", "10", "2", "a", "a/10"}) ASSERT_TRUE(test::put(*store_, {"Dog", id}, id));
    auto all = store_->scan("Dog", std::nullopt, 100);
    ASSERT_TRUE(all);
    EXPECT_THAT(ids(*all), ElementsAre("10", "2", "a", "a/10", "a/2", "b"));
    EXPECT_EQ((*all)[3].data, "a/10");
    EXPECT_EQ((*all)[3].key.table, "Dog");
}

TEST_F(SqliteStoreTest, IntegerKeysScanInNumericOrder) {
    for (const char* id : {"100", "2", "-5", "10", "9"}) ASSERT_TRUE(test::put(*store_, {"Counter", id}, id));
    auto all = store_->scan("Counter", std::nullopt, 100);
    ASSERT_TRUE(all);
    EXPECT_THAT(ids(*all), ElementsAre("-5", "2", "9", "10", "100"));
}

TEST_F(SqliteStoreTest, ScanStreamsATableInBatches) {
    for (int i = 1; i <= 25; ++i) ASSERT_TRUE(test::put(*store_, {"Counter", std::to_string(i)}, "v"));
    std::vector<std::string> seen;
    std::optional<std::string> after;
    int batches = 0;
    for (;;) {
        auto batch = store_->scan("Counter", after, 10);
        ASSERT_TRUE(batch);
        if (batch->empty()) break;
        ++batches;
        for (const auto& r : *batch) seen.push_back(r.key.id);
        after = batch->back().key.id;
    }
    EXPECT_EQ(batches, 3);  // 10 + 10 + 5
    ASSERT_EQ(seen.size(), 25u);
    for (int i = 1; i <= 25; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i - 1)], std::to_string(i));
    auto none = store_->scan("Counter", std::nullopt, 0);
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

TEST_F(SqliteStoreTest, IntegerIdsAreCanonical) {
    auto put = test::put(*store_, {"Counter", "007"}, "bond");
    ASSERT_TRUE(put);
    EXPECT_EQ(put->key.id, "7");
    auto got = store_->get({"Counter", "7"});
    ASSERT_TRUE(got && got->has_value());
    EXPECT_EQ((*got)->key.id, "7");
}

TEST_F(SqliteStoreTest, RefusesBadIntegerIds) {
    for (const char* id : {"", "abc", "1.5", "+1", " 1", "1 ", "99999999999999999999", "0x10"}) {
        auto put = test::put(*store_, {"Counter", id}, "x");
        ASSERT_FALSE(put) << '"' << id << '"';
        EXPECT_EQ(put.error(), Errc::bad_key) << id;
        auto got = store_->get({"Counter", id});
        ASSERT_FALSE(got);
        EXPECT_EQ(got.error(), Errc::bad_key);
    }
    auto scan = store_->scan("Counter", "x", 10);
    ASSERT_FALSE(scan);
    EXPECT_EQ(scan.error(), Errc::bad_key);
}

TEST_F(SqliteStoreTest, RefusesUnknownTables) {
    auto put = test::put(*store_, {"Cat", "1"}, "x");
    ASSERT_FALSE(put);
    EXPECT_EQ(put.error(), Errc::unknown_table);
    EXPECT_EQ(put.error().category().name(), std::string("harperrt.store"));
    EXPECT_EQ(store_->get({"dog", "1"}).error(), Errc::unknown_table);  // names are case-sensitive
    EXPECT_EQ(store_->scan("Cat", std::nullopt, 1).error(), Errc::unknown_table);
    EXPECT_EQ(test::remove(*store_, {"Cat", "1"}).error(), Errc::unknown_table);
}

TEST_F(SqliteStoreTest, RefusesAWrongNumberOfIndexValues) {
    auto put = test::put(*store_, {"Dog", "1"}, "x", {IndexValue{std::int64_t{1}}});
    ASSERT_FALSE(put);
    EXPECT_EQ(put.error(), Errc::index_mismatch);
}

TEST_F(SqliteStoreTest, DataAndVersionsSurviveReopen) {
    ASSERT_TRUE(test::put(*store_, {"Dog", "41"}, "rex"));
    ASSERT_TRUE(test::put(*store_, {"Counter", "3"}, "three"));
    ASSERT_TRUE(test::put(*store_, {"Dog", "gone"}, "x"));
    auto del = test::remove(*store_, {"Dog", "gone"});  // the highest version is a delete's
    ASSERT_TRUE(del);
    reopen();
    auto dog = store_->get({"Dog", "41"});
    ASSERT_TRUE(dog && dog->has_value());
    EXPECT_EQ((*dog)->data, "rex");
    auto counter = store_->get({"Counter", "3"});
    ASSERT_TRUE(counter && counter->has_value());
    EXPECT_EQ((*counter)->data, "three");
    EXPECT_EQ(store_->stats().last_version, del->version);
    auto next = test::put(*store_, {"Dog", "gone"}, "back");
    ASSERT_TRUE(next);
    EXPECT_GT(next->version, del->version);  // never reused after a restart
}

TEST_F(SqliteStoreTest, CloseCheckpointsTheWal) {
    ASSERT_TRUE(test::put(*store_, {"Dog", "1"}, std::string(100000, 'x')));
    ASSERT_TRUE(store_->close());
    auto wal = options_.path;
    wal += "-wal";
    EXPECT_TRUE(!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0);
}

TEST_F(SqliteStoreTest, AfterCloseWritesCompleteInlineAndReadsFail) {
    ASSERT_TRUE(store_->close());
    ASSERT_TRUE(store_->close());  // idempotent
    bool called = false;
    store_->put({"Dog", "1"}, "x", {}, [&](Result<Record> r) {
        called = true;
        EXPECT_EQ(r.error(), Errc::closed);
    });
    EXPECT_TRUE(called);
    EXPECT_EQ(store_->get({"Dog", "1"}).error(), Errc::closed);
    EXPECT_EQ(store_->kv_get("ns", "k").error(), Errc::closed);
    store_->remove({"Dog", "1"}, nullptr);  // an empty completion is allowed
}

TEST_F(SqliteStoreTest, CloseRunsEveryQueuedCompletion) {
    int done = 0;
    for (int i = 0; i < 200; ++i)
        store_->put({"Counter", std::to_string(i)}, "v", {}, [&done](Result<Record> r) {
            EXPECT_TRUE(r);
            ++done;  // only the writer thread touches it; close() joins that thread
        });
    ASSERT_TRUE(store_->close());
    EXPECT_EQ(done, 200);
    reopen();
    auto all = store_->scan("Counter", std::nullopt, 1000);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 200u);
}

TEST_F(SqliteStoreTest, BatchCommitsAllOps) {
    WriteBatch batch;
    batch.put({"Dog", "1"}, "one").put({"Counter", "2"}, "two").kv_put("session", "c1", "state").remove({"Dog", "x"});
    auto r = test::write(*store_, std::move(batch));
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->size(), 4u);
    EXPECT_EQ(std::get<Record>((*r)[0]).key.id, "1");
    EXPECT_EQ(std::get<Record>((*r)[1]).data, "two");
    EXPECT_TRUE(std::holds_alternative<std::monostate>((*r)[2]));
    EXPECT_FALSE(std::get<Removed>((*r)[3]).existed);
    EXPECT_TRUE(store_->get({"Dog", "1"})->has_value());
    EXPECT_EQ(store_->kv_get("session", "c1")->value_or(""), "state");
}

TEST_F(SqliteStoreTest, AFailingBatchWritesNothing) {
    ASSERT_TRUE(test::put(*store_, {"Dog", "1"}, "before"));
    WriteBatch batch;
    batch.put({"Dog", "1"}, "after").kv_put("ns", "k", "v").put({"Counter", "not a number"}, "x");
    auto r = test::write(*store_, std::move(batch));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::bad_key);
    EXPECT_EQ(store_->get({"Dog", "1"}).value()->data, "before");  // rolled back to the savepoint
    EXPECT_FALSE(store_->kv_get("ns", "k")->has_value());
}

TEST_F(SqliteStoreTest, EmptyBatchCompletesEmpty) {
    auto r = test::write(*store_, WriteBatch{});
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->empty());
}

TEST_F(SqliteStoreTest, BackupIsAConsistentCopy) {
    ASSERT_TRUE(test::put(*store_, {"Dog", "41"}, "rex"));
    ASSERT_TRUE(test::kv_put(*store_, "retained", "a/b", "payload"));
    const auto dest = dir_.path() / "backups" / "copy.db";
    auto r = store_->backup(dest);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(test::put(*store_, {"Dog", "42"}, "after the backup"));

    Options copy = options_;
    copy.path = dest;
    auto restored = test::open_or_fail(copy);
    ASSERT_NE(restored, nullptr);
    EXPECT_EQ(restored->get({"Dog", "41"}).value()->data, "rex");
    EXPECT_FALSE(restored->get({"Dog", "42"})->has_value());
    EXPECT_EQ(restored->kv_get("retained", "a/b")->value_or(""), "payload");
}

TEST_F(SqliteStoreTest, ReadsRunConcurrentlyWithWrites) {
    ASSERT_TRUE(test::put(*store_, {"Dog", "x"}, "0"));
    std::vector<std::thread> readers;
    std::atomic<bool> failed{false};
    for (int t = 0; t < 4; ++t)
        readers.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                auto got = store_->get({"Dog", "x"});
                if (!got || !got->has_value()) failed = true;
            }
        });
    for (int i = 1; i <= 100; ++i) ASSERT_TRUE(test::put(*store_, {"Dog", "x"}, std::to_string(i)));
    for (auto& t : readers) t.join();
    EXPECT_FALSE(failed);
    EXPECT_EQ(store_->get({"Dog", "x"}).value()->data, "100");
}

TEST(SqliteStoreOpen, RefusesBadOptions) {
    TempDir dir;
    const auto refuse = [&](std::vector<TableSpec> tables, std::size_t readers = 2) {
        auto o = test::options_in(dir, std::move(tables));
        o.readers = readers;
        auto s = SqliteStore::open(o);
        return s ? error_code{} : s.error();
    };
    EXPECT_EQ(refuse({test::string_table("")}), Errc::bad_option);
    EXPECT_EQ(refuse({test::string_table("A"), test::string_table("A")}), Errc::bad_option);
    EXPECT_EQ(refuse({test::string_table(std::string("A\0B", 3))}), Errc::bad_option);
    EXPECT_EQ(refuse({test::string_table("A", {"x", "x"})}), Errc::bad_option);
    EXPECT_EQ(refuse({test::string_table("A", {""})}), Errc::bad_option);
    EXPECT_EQ(refuse({}, 0), Errc::bad_option);
    EXPECT_EQ(SqliteStore::open(Options{}).error(), Errc::bad_option);
}

TEST(SqliteStoreOpen, RefusesAFileThatIsNotADatabase) {
    TempDir dir;
    auto o = test::options_in(dir, {});
    std::filesystem::create_directories(o.path.parent_path());
    {
        std::FILE* f = std::fopen(o.path.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fputs("this is not an SQLite database, but it is long enough to have a header....", f);
        std::fclose(f);
    }
    auto s = SqliteStore::open(o);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().category(), sqlite_category());
    EXPECT_EQ(s.error().message(), "file is not a database");
}

TEST(SqliteStoreOpen, TableNamesAreQuotedAndCaseSensitive) {
    TempDir dir;
    const std::string evil = "x\"; DROP TABLE kv; --";
    auto o = test::options_in(dir, {test::string_table("Dog"), test::string_table("dog"),
                                    test::string_table(evil, {"a\"b", "data", "version"})});
    auto store = test::open_or_fail(o);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(test::put(*store, {"Dog", "1"}, "upper"));
    ASSERT_TRUE(test::put(*store, {"dog", "1"}, "lower"));
    ASSERT_TRUE(test::put(*store, {evil, "1"}, "evil",
                          {IndexValue{std::string("q")}, IndexValue{1.5}, IndexValue{std::int64_t{3}}}));
    EXPECT_EQ(store->get({"Dog", "1"}).value()->data, "upper");
    EXPECT_EQ(store->get({"dog", "1"}).value()->data, "lower");
    EXPECT_EQ(store->get({evil, "1"}).value()->data, "evil");
    auto hit = store->scan_where(evil, R"("a""b" = ? AND "data" > ? AND "version" = ?)",
                                 {std::string("q"), 1.0, std::int64_t{3}}, std::nullopt, 10);
    ASSERT_TRUE(hit) << hit.error().message();
    EXPECT_THAT(ids(*hit), ElementsAre("1"));
    ASSERT_TRUE(test::kv_put(*store, "ns", "k", "still here"));  // kv was not dropped
    ASSERT_TRUE(store->close());
    auto again = test::open_or_fail(o);
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(again->get({"dog", "1"}).value()->data, "lower");
    EXPECT_EQ(again->get({evil, "1"}).value()->data, "evil");
}

TEST(SqliteStoreErrors, CategoriesHaveNamesAndMessages) {
    EXPECT_EQ(make_error_code(Errc::closed).message(), "store is closed");
    EXPECT_STREQ(sqlite_category().name(), "sqlite");
    EXPECT_EQ(sqlite_error(5).message(), "database is locked");  // SQLITE_BUSY
    const error_code ec = Errc::bad_query;                       // is_error_code_enum
    EXPECT_EQ(ec.category(), store_category());
}

}  // namespace
}  // namespace harperrt::daemon::store
