// Key/value namespaces: what the broker persists besides records (plain retained
// messages, sessions, queued messages).
#include "daemon/store/sqlite_store.hpp"

#include "tests/unit/store/store_test_util.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace harperrt::daemon::store {
namespace {

using test::TempDir;
using ::testing::ElementsAre;

std::vector<std::string> keys(const std::vector<KvEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) out.push_back(e.key);
    return out;
}

class KvTest : public ::testing::Test {
protected:
    void SetUp() override {
        store_ = test::open_or_fail(test::options_in(dir_, {}));
        ASSERT_NE(store_, nullptr);
    }
    Result<bool> kv_remove(std::string ns, std::string key) {
        test::Waiter<bool> w;
        store_->kv_remove(std::move(ns), std::move(key), w.callback());
        return w.get();
    }
    Result<std::uint64_t> kv_remove_prefix(std::string ns, std::string prefix) {
        test::Waiter<std::uint64_t> w;
        store_->kv_remove_prefix(std::move(ns), std::move(prefix), w.callback());
        return w.get();
    }

    TempDir dir_;
    std::unique_ptr<SqliteStore> store_;
};

TEST_F(KvTest, PutGetReplaceRemove) {
    ASSERT_TRUE(test::kv_put(*store_, "retained", "plant/1/temp", "21.5"));
    EXPECT_EQ(store_->kv_get("retained", "plant/1/temp")->value_or(""), "21.5");
    ASSERT_TRUE(test::kv_put(*store_, "retained", "plant/1/temp", "22"));
    EXPECT_EQ(store_->kv_get("retained", "plant/1/temp")->value_or(""), "22");
    auto removed = kv_remove("retained", "plant/1/temp");
    ASSERT_TRUE(removed);
    EXPECT_TRUE(*removed);
    EXPECT_FALSE(store_->kv_get("retained", "plant/1/temp")->has_value());
    auto again = kv_remove("retained", "plant/1/temp");
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again);
}

TEST_F(KvTest, NamespacesAreSeparate) {
    ASSERT_TRUE(test::kv_put(*store_, "retained", "k", "retained value"));
    ASSERT_TRUE(test::kv_put(*store_, "session", "k", "session value"));
    EXPECT_EQ(store_->kv_get("retained", "k")->value_or(""), "retained value");
    EXPECT_EQ(store_->kv_get("session", "k")->value_or(""), "session value");
    EXPECT_FALSE(store_->kv_get("queue", "k")->has_value());
    auto n = kv_remove_prefix("session", "");
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 1u);
    EXPECT_TRUE(store_->kv_get("retained", "k")->has_value());
}

TEST_F(KvTest, ScanByPrefixInKeyOrderWithPaging) {
    for (const char* k : {"c1/q/3", "c1/q/1", "c1/q/2", "c1/s", "c10/q/1", "c2/q/1", "c1/q/10"})
        ASSERT_TRUE(test::kv_put(*store_, "queue", k, std::string("v:") + k));
    auto all = store_->kv_scan("queue", "c1/q/", std::nullopt, 100);
    ASSERT_TRUE(all);
    EXPECT_THAT(keys(*all), ElementsAre("c1/q/1", "c1/q/10", "c1/q/2", "c1/q/3"));
    EXPECT_EQ((*all)[0].value, "v:c1/q/1");

    auto page1 = store_->kv_scan("queue", "c1/q/", std::nullopt, 2);
    ASSERT_TRUE(page1);
    EXPECT_THAT(keys(*page1), ElementsAre("c1/q/1", "c1/q/10"));
    auto page2 = store_->kv_scan("queue", "c1/q/", page1->back().key, 2);
    ASSERT_TRUE(page2);
    EXPECT_THAT(keys(*page2), ElementsAre("c1/q/2", "c1/q/3"));
    auto page3 = store_->kv_scan("queue", "c1/q/", page2->back().key, 2);
    ASSERT_TRUE(page3);
    EXPECT_TRUE(page3->empty());

    // An after_key before the prefix does not widen the range.
    auto before = store_->kv_scan("queue", "c1/q/", std::string_view("a"), 100);
    ASSERT_TRUE(before);
    EXPECT_EQ(before->size(), 4u);
    auto whole = store_->kv_scan("queue", "", std::nullopt, 100);
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->size(), 7u);
}

TEST_F(KvTest, BinaryKeysAndHighBytePrefixes) {
    const std::string ff("\xff", 1);
    const std::string ff_ff("\xff\xff", 2);
    const std::string ff_01("\xff\x01", 2);
    const std::string with_nul("a\0b", 3);
    for (const auto& k : {ff, ff_ff, ff_01, with_nul, std::string("a")})
        ASSERT_TRUE(test::kv_put(*store_, "bin", k, "v"));
    auto high = store_->kv_scan("bin", ff, std::nullopt, 10);  // no upper bound exists
    ASSERT_TRUE(high);
    EXPECT_THAT(keys(*high), ElementsAre(ff, ff_01, ff_ff));
    auto a = store_->kv_scan("bin", "a", std::nullopt, 10);
    ASSERT_TRUE(a);
    EXPECT_THAT(keys(*a), ElementsAre("a", with_nul));
    EXPECT_EQ(store_->kv_get("bin", with_nul)->value_or(""), "v");
    auto n = kv_remove_prefix("bin", ff);
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 3u);
}

TEST_F(KvTest, RemovePrefixLeavesOtherKeys) {
    for (const char* k : {"c1/a", "c1/b", "c10/a", "c2/a"}) ASSERT_TRUE(test::kv_put(*store_, "s", k, "v"));
    auto n = kv_remove_prefix("s", "c1/");
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 2u);
    auto rest = store_->kv_scan("s", "", std::nullopt, 10);
    ASSERT_TRUE(rest);
    EXPECT_THAT(keys(*rest), ElementsAre("c10/a", "c2/a"));
}

TEST_F(KvTest, SurvivesReopen) {
    ASSERT_TRUE(test::kv_put(*store_, "session", "client-1", std::string("\x01\x02\x00", 3)));
    ASSERT_TRUE(store_->close());
    store_ = test::open_or_fail(test::options_in(dir_, {}));
    ASSERT_NE(store_, nullptr);
    EXPECT_EQ(store_->kv_get("session", "client-1")->value_or(""), std::string("\x01\x02\x00", 3));
}

}  // namespace
}  // namespace harperrt::daemon::store
