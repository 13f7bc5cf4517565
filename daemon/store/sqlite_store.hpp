// SqliteStore: the Store on one SQLite database file in WAL mode, with one writer thread
// that group-commits every queued write and a small pool of read connections. A write's
// completion runs only after the transaction holding it has committed under the configured
// sync mode, so an acknowledged write survives a crash of the process (and, with
// SyncMode::full, of the machine).
//
// Design notes
// ============
//
// Invariants
//  1. Only the writer thread touches the write connection (`writer_`) while the thread
//     runs; open() uses it before the thread starts and close() after it has joined.
//  2. Every write runs inside a group transaction (BEGIN IMMEDIATE ... COMMIT). A write
//     request of several ops (a WriteBatch) runs inside its own SAVEPOINT there; a request
//     of one op needs none, as each op modifies the database with one statement, which
//     SQLite applies or undoes as a whole. A request that fails leaves nothing behind: its
//     neighbours in the group are unaffected. A failed BEGIN or
//     COMMIT, or an error after which SQLite rolled the whole transaction back, fails every
//     request of the group with that error.
//  3. A completion runs only after COMMIT returned (or the group failed), never while a
//     transaction is open and never under a lock: a completion may queue more writes, and
//     read. It must not call close() (that would join the thread it runs on).
//  4. Versions come from one store-wide counter (`last_version_`, writer thread only),
//     persisted in meta.last_version within the same transaction as the writes that used
//     them, so they increase across restarts and per record. A failed op leaves a gap.
//  5. Requests queued by one thread are applied in queue order (one FIFO, one writer).
//  6. `tables_` is const after open(), apart from IndexLayout::ready, which the writer sets
//     after the COMMIT of a mark_index_ready and readers load (acquire/release).
//  7. A read connection is used by one thread at a time: it is taken out of the pool for
//     the length of one call. Each read call is its own read transaction (snapshot).
//
// Group-commit life cycle (the writer thread runs writer_loop):
//
//     put/remove/reindex/kv_*/write (any thread): enqueue() pushes under mu_, notifies
//                                  |
//                                  v
//   +--> idle --(queue non-empty)--> writer_loop() swaps the whole queue out and cuts
//   |     |                         it into groups of whole requests, each of up to
//   |     |                         Options::max_group_ops ops
//   |  (stopping_ and                              |
//   |   queue empty)                               v
//   |     v                         run_group(): BEGIN IMMEDIATE
//   |   exit (close() joins)          apply_request(), per request: one op: apply();
//   |                                   a batch (apply_batch): SAVEPOINT op; apply() each
//   |                                   op; RELEASE op  |  ROLLBACK TO op + RELEASE op
//   |                                 UPDATE meta.last_version; COMMIT  |  ROLLBACK
//   |                                              |
//   +------- Pending::complete(), in queue order <-+
//
// Threads
//  - Writes may be queued from any thread, including from a completion. The completion
//    runs on the writer thread (or, only when the store is already closed, inline in the
//    caller with Errc::closed). The daemon wraps each call in an Asio initiating function
//    that posts the completion to the caller's strand; a slow completion delays every
//    write, so a completion should do nothing but that post.
//  - Reads (get, scan, scan_where(_by), kv_get, kv_scan, explain_*, backup) may be
//    called from any thread; they block while all read connections are busy.
//  - close() and the destructor from any thread but the writer (so a completion must not
//    drop the last owner of the store); no call may race with the destructor. Calls after
//    close() fail with Errc::closed.
//
// Memory: the queue is unbounded; each queued op holds its blob until its group commits.
// The broker bounds it: a session handles one packet at a time and awaits the store
// before reading the next (DESIGN.md §3), so at most one write per connection (plus the
// daemon's own session writes) is queued. Stats::queue_depth exposes it for metrics.
// The queue's two buffers (queue_ and the writer's swapped-out one) keep the capacity of
// the largest burst, about 200 bytes per request.
#pragma once

#include "common/util/result.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/schema.hpp"
#include "daemon/store/store.hpp"

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

namespace harperrt::daemon::store {

class SqliteStore final : public Store {
public:
    // Opens (creating if needed) the database at options.path and its missing parent
    // directories, switches it to WAL mode, creates or migrates the schema, reconciles the
    // declared tables and starts the writer thread.
    // Errors: Errc::bad_option (no path, readers or max_group_ops 0, bad table
    // declarations), Errc::schema_too_new, Errc::schema_mismatch, filesystem errors,
    // SQLite errors (e.g. SQLITE_CANTOPEN, SQLITE_NOTADB).
    static Result<std::unique_ptr<SqliteStore>> open(Options options);

    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;
    // close(), ignoring its result.
    ~SqliteStore() override;

    void put(RecordKey key, std::string data, std::vector<IndexValue> index_values,
             Completion<Record> done) override;
    void remove(RecordKey key, Completion<Removed> done) override;
    void reindex(RecordKey key, std::uint64_t version, std::vector<IndexValue> index_values,
                 Completion<void> done) override;
    void keep_previous(std::string_view table, bool on) override;
    void mark_index_ready(std::string table, std::string attribute, Completion<void> done) override;
    void kv_put(std::string ns, std::string key, std::string value, Completion<void> done) override;
    void kv_remove(std::string ns, std::string key, Completion<bool> done) override;
    void kv_remove_prefix(std::string ns, std::string prefix, Completion<std::uint64_t> done) override;
    void write(WriteBatch batch, Completion<std::vector<WriteOutcome>> done) override;

    Result<std::optional<Record>> get(const RecordKey& key) const override;
    Result<std::vector<Record>> scan(std::string_view table, std::optional<std::string_view> after_id,
                                     std::size_t limit) const override;
    Result<std::vector<Record>> scan_where(std::string_view table, std::string_view where,
                                           const std::vector<IndexValue>& params,
                                           std::optional<std::string_view> after_id,
                                           std::size_t limit) const override;
    Result<std::optional<std::string>> kv_get(std::string_view ns, std::string_view key) const override;
    Result<std::vector<KvEntry>> kv_scan(std::string_view ns, std::string_view prefix,
                                         std::optional<std::string_view> after_key,
                                         std::size_t limit) const override;

    std::vector<IndexRef> pending_indexes() const override;
    // Copies the database through the SQLite backup API from one read snapshot into
    // `dest`.tmp, then renames it to `dest` (parent directories are created). Writes go on
    // meanwhile. Errors: filesystem and SQLite errors, Errc::closed.
    Result<void> backup(const std::filesystem::path& dest) const override;
    Stats stats() const override;
    Result<void> close() override;

    Result<std::vector<IndexedRecord>> scan_where_by(std::string_view table, std::string_view attribute,
                                                     std::string_view where, const std::vector<IndexValue>& params,
                                                     const std::optional<IndexCursor>& after,
                                                     std::size_t limit) const override;
    // The plan of the statement scan_where_by would run (paging after a cursor when `paged`).
    Result<std::string> explain_scan_where_by(std::string_view table, std::string_view attribute,
                                              std::string_view where, bool paged) const;
    // SQLite's EXPLAIN QUERY PLAN for the statement scan_where would run, one plan line per
    // text line (e.g. "SEARCH rec_Sensor USING INDEX idx_Sensor_status (ix_status=?)").
    // Errors: as scan_where, except that the parameter count is not checked.
    Result<std::string> explain_scan_where(std::string_view table, std::string_view where,
                                           std::optional<std::string_view> after_id) const;

private:
    // How a request reports back: the typed completion of a one-op call (put, remove...),
    // called without an adapter, or a WriteBatch's outcomes.
    using Done = std::variant<Completion<std::vector<WriteOutcome>>, Completion<Record>, Completion<Removed>,
                              Completion<void>, Completion<bool>, Completion<std::uint64_t>>;

    // What a request produced: `one` for a one-op call, `batch` for a WriteBatch.
    struct Outcome {
        Result<WriteOutcome> one = WriteOutcome{};
        Result<std::vector<WriteOutcome>> batch = std::vector<WriteOutcome>{};
    };

    // One queued request. A one-op call (the common case: every retained PUBLISH is one
    // put) keeps its op inline, so queueing and completing it allocates no vectors.
    struct Pending {
        WriteOp op;                 // the op of a one-op call (batch == false)
        std::vector<WriteOp> ops;   // a WriteBatch's ops, any number (batch == true)
        bool batch = false;
        Done done;

        std::size_t size() const noexcept { return batch ? ops.size() : 1; }
        bool failed(const Outcome& out) const noexcept { return batch ? !out.batch : !out.one; }
        void fail(Outcome& out, error_code ec) const;
        // Hands `out` to `done` (if any). Call once, outside any transaction and lock.
        void complete(Outcome&& out) const;
    };

    SqliteStore(Options options, SchemaState schema, std::unique_ptr<Connection> writer,
                std::vector<std::unique_ptr<Connection>> readers);

    const TableLayout* table(std::string_view name) const;
    // Runs an EXPLAIN QUERY PLAN statement: one line per plan step.
    Result<std::string> explain(const std::string& sql) const;
    void enqueue(Pending&& request);
    template <class T>
    void enqueue_one(WriteOp op, Completion<T> done);

    // Writer thread only.
    void writer_loop();
    void run_group(std::span<Pending> group);
    void apply_request(Pending& request, Outcome& out, error_code& group_failure);
    Result<std::vector<WriteOutcome>> apply_batch(std::vector<WriteOp>& ops, error_code& group_failure);
    Result<WriteOutcome> apply(WriteOp& op);
    Result<WriteOutcome> apply_put(PutOp& op);
    Result<WriteOutcome> apply_remove(RemoveOp& op);
    Result<WriteOutcome> apply_reindex(ReindexOp& op);
    Result<WriteOutcome> apply_kv_put(KvPutOp& op);
    Result<WriteOutcome> apply_kv_remove(KvRemoveOp& op);
    Result<WriteOutcome> apply_kv_remove_prefix(KvRemovePrefixOp& op);
    Result<WriteOutcome> apply_mark_index_ready(MarkIndexReadyOp& op);
    Result<void> run_sql(const std::string& sql);

    // Runs f(Connection&) -> Result<T> on a pooled read connection.
    template <class T, class F>
    Result<T> with_reader(F&& f) const;

    // Const after open().
    const Options options_;
    const TableMap tables_;

    // Writer thread only (invariant 1).
    std::unique_ptr<Connection> writer_;
    std::uint64_t last_version_;

    // The queue, guarded by mu_.
    mutable std::mutex mu_;
    std::condition_variable cv_;
    // A vector, not a deque: the writer swaps it with its own (emptied) one, so a push
    // reuses capacity instead of allocating, and requests do not move on the writer thread.
    std::vector<Pending> queue_;   // guarded by mu_
    std::size_t queued_ops_ = 0;   // guarded by mu_
    bool stopping_ = false;        // guarded by mu_

    // Counters, guarded by stats_mu_.
    mutable std::mutex stats_mu_;
    Stats stats_;

    // The read pool, guarded by readers_mu_.
    mutable std::mutex readers_mu_;
    mutable std::condition_variable readers_cv_;
    mutable std::vector<std::unique_ptr<Connection>> idle_readers_;  // guarded by readers_mu_
    const std::size_t reader_count_;
    bool readers_closed_ = false;  // guarded by readers_mu_

    std::mutex close_mu_;          // serializes close()
    bool closed_ = false;          // guarded by close_mu_
    std::thread::id writer_id_;
    std::thread writer_thread_;    // last: started when everything above is set up
};

}  // namespace harperrt::daemon::store
