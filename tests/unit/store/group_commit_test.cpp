// Group commit: writes queued while the writer is busy commit together, in one transaction,
// and a failing write does not fail the others of its group. To make "queued while busy"
// deterministic without sleeps, the first put's completion (which runs on the writer
// thread) blocks until the test has queued everything else.
#include "daemon/store/sqlite_store.hpp"

#include "tests/unit/store/store_test_util.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

namespace harperrt::daemon::store {
namespace {

using test::TempDir;

// Holds the writer thread inside a completion until release().
class WriterGate {
public:
    // Queues a put whose completion blocks the writer; returns once the writer is held.
    void hold(Store& store) {
        store.put({"T", "gate"}, "gate", {}, [this](Result<Record> r) {
            EXPECT_TRUE(r);
            entered_.count_down();
            released_.wait();
        });
        entered_.wait();
    }
    void release() { released_.count_down(); }

private:
    std::latch entered_{1};
    std::latch released_{1};
};

TEST(GroupCommit, ConcurrentPutsFromSeveralThreadsCommitAsOneGroup) {
    TempDir dir;
    auto store = test::open_or_fail(test::options_in(dir, {test::string_table("T")}));
    ASSERT_NE(store, nullptr);

    WriterGate gate;
    gate.hold(*store);
    const Stats before = store->stats();
    EXPECT_EQ(before.commits, 1u);  // the gate's own put, already committed

    constexpr int threads = 4;
    constexpr int per_thread = 50;
    std::mutex mu;
    std::vector<std::uint64_t> versions[threads];
    std::latch all_done{threads * per_thread};
    std::vector<std::thread> writers;
    for (int t = 0; t < threads; ++t)
        writers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i)
                store->put({"T", std::to_string(t) + "/" + std::to_string(i)}, "v", {},
                           [&, t](Result<Record> r) {
                               EXPECT_TRUE(r);
                               if (r) {
                                   std::scoped_lock lock(mu);
                                   versions[t].push_back(r->version);
                               }
                               all_done.count_down();
                           });
        });
    for (auto& w : writers) w.join();
    EXPECT_EQ(store->stats().queue_depth, static_cast<std::size_t>(threads * per_thread));
    gate.release();
    all_done.wait();

    const Stats after = store->stats();
    EXPECT_EQ(after.commits, 2u);                                           // 200 puts, one commit
    EXPECT_EQ(after.ops, 1u + threads * per_thread);
    EXPECT_LT(after.commits, after.ops);
    EXPECT_EQ(after.queue_depth, 0u);
    EXPECT_GT(after.total_commit_latency.count(), 0);
    // Each thread's puts were applied in the order that thread queued them.
    for (const auto& v : versions) {
        ASSERT_EQ(v.size(), static_cast<std::size_t>(per_thread));
        for (std::size_t i = 1; i < v.size(); ++i) EXPECT_LT(v[i - 1], v[i]);
    }
    auto all = store->scan("T", std::nullopt, 1000);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->size(), 1u + threads * per_thread);
}

TEST(GroupCommit, MaxGroupOpsSplitsTheQueue) {
    TempDir dir;
    auto options = test::options_in(dir, {test::string_table("T")});
    options.max_group_ops = 10;
    auto store = test::open_or_fail(options);
    ASSERT_NE(store, nullptr);
    WriterGate gate;
    gate.hold(*store);
    std::latch done{25};
    for (int i = 0; i < 25; ++i) store->put({"T", std::to_string(i)}, "v", {}, [&](Result<Record>) { done.count_down(); });
    gate.release();
    done.wait();
    EXPECT_EQ(store->stats().commits, 1u + 3u);  // 10 + 10 + 5
}

TEST(GroupCommit, AFailedOpDoesNotFailItsNeighbours) {
    TempDir dir;
    auto store = test::open_or_fail(test::options_in(dir, {test::string_table("T"), test::integer_table("N")}));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(test::put(*store, {"T", "kept"}, "before"));

    WriterGate gate;
    gate.hold(*store);
    std::latch done{5};
    Result<Record> first = error(Errc::closed), bad_key = error(Errc::closed), last = error(Errc::closed);
    Result<std::vector<WriteOutcome>> batch = error(Errc::closed);
    Result<void> kv = error(Errc::closed);
    store->put({"T", "a"}, "a", {}, [&](Result<Record> r) { first = std::move(r); done.count_down(); });
    store->put({"N", "x"}, "x", {}, [&](Result<Record> r) { bad_key = std::move(r); done.count_down(); });
    // A batch that fails after its first op ran: the savepoint undoes that op only.
    WriteBatch b;
    b.put({"T", "kept"}, "overwritten").put({"Nope", "1"}, "unknown table");
    store->write(std::move(b), [&](Result<std::vector<WriteOutcome>> r) { batch = std::move(r); done.count_down(); });
    store->kv_put("ns", "k", "v", [&](Result<void> r) { kv = r; done.count_down(); });
    store->put({"T", "b"}, "b", {}, [&](Result<Record> r) { last = std::move(r); done.count_down(); });
    gate.release();
    done.wait();

    EXPECT_EQ(store->stats().commits, 3u);  // setup put, gate, and the one group of five
    ASSERT_TRUE(first);
    EXPECT_EQ(bad_key.error(), Errc::bad_key);
    EXPECT_EQ(batch.error(), Errc::unknown_table);
    EXPECT_TRUE(kv);
    ASSERT_TRUE(last);
    EXPECT_GT(last->version, first->version);
    EXPECT_TRUE(store->get({"T", "a"})->has_value());
    EXPECT_TRUE(store->get({"T", "b"})->has_value());
    EXPECT_EQ(store->get({"T", "kept"}).value()->data, "before");
    EXPECT_EQ(store->kv_get("ns", "k")->value_or(""), "v");
}

TEST(GroupCommit, CompletionsMayQueueMoreWritesAndRead) {
    TempDir dir;
    auto store = test::open_or_fail(test::options_in(dir, {test::string_table("T")}));
    ASSERT_NE(store, nullptr);
    std::latch done{1};
    Result<std::optional<Record>> seen = error(Errc::closed);
    store->put({"T", "1"}, "one", {}, [&](Result<Record> r) {
        EXPECT_TRUE(r);
        store->put({"T", "2"}, "two", {}, [&](Result<Record> r2) {
            EXPECT_TRUE(r2);
            seen = store->get({"T", "1"});  // a committed write is visible to readers
            done.count_down();
        });
    });
    done.wait();
    ASSERT_TRUE(seen && seen->has_value());
    EXPECT_EQ((*seen)->data, "one");
}

// The writer reuses its prepared statements (the put, BEGIN/COMMIT, SAVEPOINT/ROLLBACK TO/
// RELEASE) for every group: after many groups, each with failing one-op requests and a
// failing batch, a failure still takes back exactly its own request, and every kind of
// one-op completion gets its own outcome.
TEST(GroupCommit, FailuresStayIsolatedAfterManyGroups) {
    TempDir dir;
    auto store = test::open_or_fail(test::options_in(dir, {test::string_table("T"), test::integer_table("N")}));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(test::put(*store, {"T", "kept"}, "before"));

    constexpr int rounds = 40;
    std::uint64_t last_version = 0;
    for (int round = 0; round < rounds; ++round) {
        const std::string n = std::to_string(round);
        WriterGate gate;
        gate.hold(*store);
        std::latch done{9};
        Result<Record> good = error(Errc::closed), bad_key = error(Errc::closed), unknown = error(Errc::closed);
        Result<std::vector<WriteOutcome>> failed_batch = error(Errc::closed), good_batch = error(Errc::closed);
        Result<Removed> removed = error(Errc::closed);
        Result<void> kv = error(Errc::closed);
        Result<bool> kv_removed = error(Errc::closed);
        Result<std::uint64_t> prefix_removed = error(Errc::closed);
        store->put({"T", "a" + n}, "a", {}, [&](Result<Record> r) { good = std::move(r); done.count_down(); });
        store->put({"N", "x" + n}, "x", {}, [&](Result<Record> r) { bad_key = std::move(r); done.count_down(); });
        // Fails after its first op ran: ROLLBACK TO undoes that op only.
        WriteBatch b;
        b.put({"T", "kept"}, "overwritten " + n).kv_put("ns", "batch" + n, "v").put({"Nope", "1"}, "x");
        store->write(std::move(b), [&](Result<std::vector<WriteOutcome>> r) {
            failed_batch = std::move(r);
            done.count_down();
        });
        store->kv_put("ns", "k" + n, "v", [&](Result<void> r) { kv = r; done.count_down(); });
        store->put({"Nope", n}, "x", {}, [&](Result<Record> r) { unknown = std::move(r); done.count_down(); });
        WriteBatch ok_batch;
        ok_batch.put({"T", "b" + n}, "b").kv_remove("ns", "k" + n);
        store->write(std::move(ok_batch), [&](Result<std::vector<WriteOutcome>> r) {
            good_batch = std::move(r);
            done.count_down();
        });
        store->remove({"T", "a" + n}, [&](Result<Removed> r) { removed = std::move(r); done.count_down(); });
        store->kv_remove("ns", "missing", [&](Result<bool> r) { kv_removed = r; done.count_down(); });
        store->kv_remove_prefix("nothing/", "", [&](Result<std::uint64_t> r) {
            prefix_removed = r;
            done.count_down();
        });
        gate.release();
        done.wait();

        SCOPED_TRACE("round " + n);
        ASSERT_TRUE(good);
        EXPECT_EQ(good->key.id, "a" + n);
        EXPECT_GT(good->version, last_version);
        EXPECT_EQ(bad_key.error(), Errc::bad_key);
        EXPECT_EQ(failed_batch.error(), Errc::unknown_table);
        EXPECT_TRUE(kv);
        EXPECT_EQ(unknown.error(), Errc::unknown_table);
        ASSERT_TRUE(good_batch);
        ASSERT_EQ(good_batch->size(), 2u);
        EXPECT_EQ(std::get<Record>((*good_batch)[0]).key.id, "b" + n);
        EXPECT_EQ(std::get<KvRemoved>((*good_batch)[1]).count, 1u);  // the kv_put of this group
        ASSERT_TRUE(removed);
        EXPECT_TRUE(removed->existed);
        EXPECT_GT(removed->version, std::get<Record>((*good_batch)[0]).version);
        last_version = removed->version;
        ASSERT_TRUE(kv_removed);
        EXPECT_FALSE(*kv_removed);
        ASSERT_TRUE(prefix_removed);
        EXPECT_EQ(*prefix_removed, 0u);
    }
    EXPECT_EQ(store->stats().commits, 1u + 2u * rounds);  // setup put, then a gate and a group per round
    EXPECT_EQ(store->get({"T", "kept"}).value()->data, "before");
    for (int round = 0; round < rounds; ++round) {
        const std::string n = std::to_string(round);
        EXPECT_FALSE(store->get({"T", "a" + n}).value().has_value()) << n;
        EXPECT_TRUE(store->get({"T", "b" + n}).value().has_value()) << n;
        EXPECT_FALSE(store->kv_get("ns", "batch" + n).value().has_value()) << n;
        EXPECT_FALSE(store->kv_get("ns", "k" + n).value().has_value()) << n;
    }
}

}  // namespace
}  // namespace harperrt::daemon::store
