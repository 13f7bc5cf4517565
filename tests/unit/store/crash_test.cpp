// An acknowledged put survives `kill -9` (DESIGN.md §3): a child process puts records as
// fast as it can and reports each completion through a pipe; the parent kills it with
// SIGKILL mid-stream, reopens the database and finds every acknowledged record.
#include "daemon/store/sqlite_store.hpp"

#include "tests/unit/store/store_test_util.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace harperrt::daemon::store {
namespace {

using test::TempDir;

std::string value_of(std::int64_t i) { return "value " + std::to_string(i); }

// The child: never returns. Puts records 0, 1, 2... with up to 64 in flight and writes
// each acknowledged ID to `ack_fd` from the completion, i.e. after its commit.
[[noreturn]] void put_until_killed(const Options& options, int ack_fd) {
    auto opened = SqliteStore::open(options);
    if (!opened) _exit(2);
    auto& store = **opened;
    std::mutex mu;
    std::condition_variable cv;
    int in_flight = 0;
    for (std::int64_t i = 0;; ++i) {
        {
            std::unique_lock lock(mu);
            cv.wait(lock, [&] { return in_flight < 64; });
            ++in_flight;
        }
        store.put({"T", std::to_string(i)}, value_of(i), {}, [&, i](Result<Record> r) {
            if (!r) _exit(3);
            if (write(ack_fd, &i, sizeof i) != static_cast<ssize_t>(sizeof i)) _exit(4);
            {
                std::scoped_lock lock(mu);
                --in_flight;
            }
            cv.notify_one();
        });
    }
}

TEST(Crash, EveryAcknowledgedPutSurvivesSigkill) {
    TempDir dir;
    auto options = test::options_in(dir, {test::integer_table("T")});
    options.sync = SyncMode::full;

    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        put_until_killed(options, fds[1]);
    }
    close(fds[1]);

    // Read acknowledgements; after 300 of them, kill the child while it is still writing,
    // then drain what it acknowledged before it died.
    constexpr std::size_t kill_after = 300;
    std::vector<std::int64_t> acked;
    std::string pending;  // bytes of a partially read ack
    bool killed = false;
    char buf[4096];
    for (;;) {
        const ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // EOF: the child is gone
        pending.append(buf, static_cast<std::size_t>(n));
        while (pending.size() >= sizeof(std::int64_t)) {
            std::int64_t id = 0;
            std::memcpy(&id, pending.data(), sizeof id);
            pending.erase(0, sizeof id);
            acked.push_back(id);
        }
        if (!killed && acked.size() >= kill_after) {
            ASSERT_EQ(kill(pid, SIGKILL), 0);
            killed = true;
        }
    }
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
    ASSERT_GE(acked.size(), kill_after);

    auto store = test::open_or_fail(options);
    ASSERT_NE(store, nullptr);
    for (const auto id : acked) {
        auto got = store->get({"T", std::to_string(id)});
        ASSERT_TRUE(got) << got.error().message();
        ASSERT_TRUE(got->has_value()) << "acknowledged record " << id << " was lost";
        EXPECT_EQ((*got)->data, value_of(id));
    }
    // Versions stay monotonic after the crash: the next put gets a version above them all.
    std::uint64_t max_version = 0;
    for (std::optional<std::string> after;;) {
        auto batch = store->scan("T", after, 500);
        ASSERT_TRUE(batch);
        if (batch->empty()) break;
        for (const auto& r : *batch) max_version = std::max(max_version, r.version);
        after = batch->back().key.id;
    }
    auto next = test::put(*store, {"T", "-1"}, "after the crash");
    ASSERT_TRUE(next);
    EXPECT_GT(next->version, max_version);
}

}  // namespace
}  // namespace harperrt::daemon::store
