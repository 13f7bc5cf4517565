// The record store's contract: records (`Table/ID` → an encoded blob plus a version) and
// key/value namespaces for everything else the broker persists. Writes are queued and
// complete through a callback once durable; reads are synchronous. The store is
// format-agnostic (callers hand it already-encoded blobs) and knows nothing of MQTT.
//
// `Store` is the interface the broker programs against (tests may fake it); SqliteStore
// (sqlite_store.hpp) is the implementation, and its header holds the design notes.
#pragma once

#include "common/topic/record_key.hpp"
#include "common/util/result.hpp"
#include "daemon/store/errors.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace harperrt::daemon::store {

// PRAGMA synchronous for the write connection (config `storage.sync`). In WAL mode, `full`
// syncs the WAL on every commit (an acknowledged write survives power loss); `normal`
// syncs only at checkpoints (survives a process crash, may lose the last commits on power
// loss); `off` never syncs.
enum class SyncMode : std::uint8_t { full, normal, off };

// One declared harperrt table (config `tables.<name>`).
struct TableSpec {
    std::string name;                   // exact, case-sensitive; any characters but NUL
    KeyType key_type = KeyType::string;
    std::string primary_key = "id";     // attribute that holds the ID; usable in scan_where
    std::vector<std::string> indexes;   // indexed attributes; put() takes values in this order
};

struct Options {
    std::filesystem::path path;         // database file; missing parent directories are created
    SyncMode sync = SyncMode::full;
    std::vector<TableSpec> tables;
    std::size_t readers = 2;            // read connections in the pool (at least 1)
    std::chrono::milliseconds busy_timeout{5000};
    std::size_t max_group_ops = 4096;   // most operations one group commit takes (at least 1)
};

// The value of one indexed attribute, as the caller extracted it from the record. NULL
// (monostate) when the record lacks the attribute or it is not a scalar.
using IndexValue = std::variant<std::monostate, std::int64_t, double, std::string>;

// What a write replaced, for a table that keeps previous values (Store::keep_previous):
// `known` says whether it was looked up; `data` is the blob before the write (nullopt:
// there was no record).
struct Previous {
    bool known = false;
    std::optional<std::string> data;

    friend bool operator==(const Previous&, const Previous&) = default;
};

struct Record {
    RecordKey key;           // integer IDs come back in canonical decimal ("7", not "007")
    std::string data;        // the blob exactly as put
    std::uint64_t version = 0;
    Previous previous{};     // put() results only

    friend bool operator==(const Record&, const Record&) = default;
};

// A position in an index-ordered scan (Store::scan_where_by): the index value and the ID of
// the last record returned.
struct IndexCursor {
    IndexValue value;
    std::string id;
};

// A record of an index-ordered scan, with its value of the ordering attribute.
struct IndexedRecord {
    Record record;
    IndexValue value;
};

// What remove() did: the version the delete was given, and whether a record was there.
struct Removed {
    std::uint64_t version = 0;
    bool existed = false;
    Previous previous{};
};

// What kv_remove()/kv_remove_prefix() did.
struct KvRemoved {
    std::uint64_t count = 0;
};

struct KvEntry {
    std::string key;
    std::string value;

    friend bool operator==(const KvEntry&, const KvEntry&) = default;
};

// An index that was added to a table that already held records: its column is NULL until
// the caller backfills it (reindex) and calls mark_index_ready.
struct IndexRef {
    std::string table;
    std::string attribute;

    friend bool operator==(const IndexRef&, const IndexRef&) = default;
};

// Upper bounds (seconds) of the commit latency histogram's buckets; a last bucket holds
// everything above.
inline constexpr std::array<double, 12> commit_latency_bounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                                  0.01,   0.025,   0.05,   0.1,   0.25,   1.0};

// Counters for metrics. Latencies cover BEGIN IMMEDIATE through COMMIT of a group.
struct Stats {
    std::uint64_t commits = 0;          // group transactions committed
    std::uint64_t failed_commits = 0;   // groups whose BEGIN or COMMIT failed
    std::uint64_t ops = 0;              // write operations executed (inside batches too)
    std::uint64_t batches = 0;          // write requests (a single put counts as one batch)
    std::chrono::nanoseconds last_commit_latency{0};
    std::chrono::nanoseconds total_commit_latency{0};
    // Commits per latency bucket (commit_latency_bounds, then one for the rest); not cumulative.
    std::array<std::uint64_t, commit_latency_bounds.size() + 1> commit_latency_buckets{};
    std::size_t queue_depth = 0;        // operations queued, not yet taken by the writer
    std::uint64_t last_version = 0;     // the highest version handed out so far
};

// --- write operations ------------------------------------------------------------------

// Full replace (upsert) of a record; completes with the stored Record.
struct PutOp {
    RecordKey key;
    std::string data;
    std::vector<IndexValue> index_values;  // one per TableSpec::indexes, in declared order
};
// Delete of a record; completes with Removed (a missing record is not an error).
struct RemoveOp {
    RecordKey key;
};
// Sets only the index columns of a record that is still at `version` (no new version, so
// subscribers see nothing); fails with Errc::version_mismatch otherwise. For backfills.
struct ReindexOp {
    RecordKey key;
    std::uint64_t version = 0;
    std::vector<IndexValue> index_values;
};
struct KvPutOp {
    std::string ns;
    std::string key;
    std::string value;
};
struct KvRemoveOp {
    std::string ns;
    std::string key;
};
struct KvRemovePrefixOp {
    std::string ns;
    std::string prefix;  // empty: the whole namespace
};
struct MarkIndexReadyOp {
    std::string table;
    std::string attribute;
};

using WriteOp = std::variant<PutOp, RemoveOp, ReindexOp, KvPutOp, KvRemoveOp, KvRemovePrefixOp,
                             MarkIndexReadyOp>;

// One outcome per WriteOp: Record for PutOp, Removed for RemoveOp, KvRemoved for
// KvRemoveOp/KvRemovePrefixOp, monostate for the others.
using WriteOutcome = std::variant<std::monostate, Record, Removed, KvRemoved>;

// Several writes that commit atomically: all of them or none (e.g. a session's state).
class WriteBatch {
public:
    WriteBatch& put(RecordKey key, std::string data, std::vector<IndexValue> index_values = {}) {
        ops_.emplace_back(PutOp{std::move(key), std::move(data), std::move(index_values)});
        return *this;
    }
    WriteBatch& remove(RecordKey key) {
        ops_.emplace_back(RemoveOp{std::move(key)});
        return *this;
    }
    WriteBatch& kv_put(std::string ns, std::string key, std::string value) {
        ops_.emplace_back(KvPutOp{std::move(ns), std::move(key), std::move(value)});
        return *this;
    }
    WriteBatch& kv_remove(std::string ns, std::string key) {
        ops_.emplace_back(KvRemoveOp{std::move(ns), std::move(key)});
        return *this;
    }
    WriteBatch& kv_remove_prefix(std::string ns, std::string prefix) {
        ops_.emplace_back(KvRemovePrefixOp{std::move(ns), std::move(prefix)});
        return *this;
    }
    WriteBatch& add(WriteOp op) {
        ops_.push_back(std::move(op));
        return *this;
    }

    bool empty() const noexcept { return ops_.empty(); }
    std::size_t size() const noexcept { return ops_.size(); }
    std::vector<WriteOp>& ops() noexcept { return ops_; }

private:
    std::vector<WriteOp> ops_;
};

// How a write reports back. See the implementation's notes for the thread it runs on; it
// must not throw and should only hand the result over (post it to the caller's executor).
template <class T>
using Completion = std::function<void(Result<T>)>;

// --- the interface -----------------------------------------------------------------------
//
// Writes: each call queues the operation and returns at once. The completion runs exactly
// once, after the operation's transaction committed (durable under Options::sync) or
// failed; an empty std::function is allowed (fire and forget). Writes queued by one thread
// are applied in the order they were queued. Argument errors (Errc::unknown_table, bad_key,
// index_mismatch) arrive through the completion, like every other error.
//
// Reads: synchronous, thread-safe, see every write whose completion has run. They return
// Errc::unknown_table, Errc::bad_key, Errc::closed or an SQLite error.
class Store {
public:
    virtual ~Store() = default;

    virtual void put(RecordKey key, std::string data, std::vector<IndexValue> index_values,
                     Completion<Record> done) = 0;
    virtual void remove(RecordKey key, Completion<Removed> done) = 0;
    virtual void reindex(RecordKey key, std::uint64_t version, std::vector<IndexValue> index_values,
                         Completion<void> done) = 0;
    // Whether put() and remove() on `table` report what they replaced (Record::previous,
    // Removed::previous): one extra read inside the write's transaction. Off by default;
    // takes effect for writes applied after the call. Any thread; unknown tables are ignored.
    virtual void keep_previous(std::string_view table, bool on) = 0;
    // Declares a pending index (pending_indexes()) backfilled, so scan_where may use it.
    virtual void mark_index_ready(std::string table, std::string attribute, Completion<void> done) = 0;
    virtual void kv_put(std::string ns, std::string key, std::string value, Completion<void> done) = 0;
    // Completes with whether the key existed.
    virtual void kv_remove(std::string ns, std::string key, Completion<bool> done) = 0;
    // Completes with how many keys were removed.
    virtual void kv_remove_prefix(std::string ns, std::string prefix, Completion<std::uint64_t> done) = 0;
    // All ops or none: one failing op fails the batch (with that op's error) and undoes the
    // rest. Completes with one WriteOutcome per op, in order. An empty batch completes empty.
    virtual void write(WriteBatch batch, Completion<std::vector<WriteOutcome>> done) = 0;

    // The record, or nullopt when there is none.
    virtual Result<std::optional<Record>> get(const RecordKey& key) const = 0;
    // Up to `limit` records with ID > after_id (all when nullopt), in primary-key order:
    // numeric for integer keys, bytewise for string keys. Each call is its own snapshot:
    // stream a table with repeated calls, passing the last ID seen.
    virtual Result<std::vector<Record>> scan(std::string_view table, std::optional<std::string_view> after_id,
                                             std::size_t limit) const = 0;
    // Like scan, restricted to records matching `where`: an SQL condition over the table's
    // primary-key attribute and ready index attributes only, with every value passed as a
    // `?` parameter (no literals). Tokens allowed: attribute names (bare or "quoted"), ?,
    // ( ) , = == != <> < <= > >= AND OR NOT IS NULL LIKE GLOB BETWEEN IN ESCAPE. Anything else is
    // Errc::bad_query; an index awaiting backfill is Errc::index_not_ready.
    virtual Result<std::vector<Record>> scan_where(std::string_view table, std::string_view where,
                                                   const std::vector<IndexValue>& params,
                                                   std::optional<std::string_view> after_id,
                                                   std::size_t limit) const = 0;
    // Like scan_where, in the order of `attribute`'s index, then the primary key, so that a
    // range on that attribute is read from the index page after page (in primary-key order
    // SQLite would rather scan the table). `after`: the last position of the previous page.
    // Records whose attribute is NULL are not returned. `attribute` must be a ready indexed
    // attribute: Errc::bad_query / index_not_ready otherwise.
    virtual Result<std::vector<IndexedRecord>> scan_where_by(std::string_view table, std::string_view attribute,
                                                             std::string_view where,
                                                             const std::vector<IndexValue>& params,
                                                             const std::optional<IndexCursor>& after,
                                                             std::size_t limit) const = 0;
    virtual Result<std::optional<std::string>> kv_get(std::string_view ns, std::string_view key) const = 0;
    // Up to `limit` entries of namespace `ns` whose key starts with `prefix` and is greater
    // than after_key (when given), in bytewise key order.
    virtual Result<std::vector<KvEntry>> kv_scan(std::string_view ns, std::string_view prefix,
                                                 std::optional<std::string_view> after_key,
                                                 std::size_t limit) const = 0;

    // Indexes whose column still needs a backfill (see IndexRef).
    virtual std::vector<IndexRef> pending_indexes() const = 0;
    // Writes a consistent copy of the database to `dest` (replaced atomically). Blocks.
    virtual Result<void> backup(const std::filesystem::path& dest) const = 0;
    virtual Stats stats() const = 0;
    // Drains the write queue (every queued completion runs), stops the writer, checkpoints
    // and closes. Later writes complete with Errc::closed; later reads return it. Idempotent.
    virtual Result<void> close() = 0;
};

}  // namespace harperrt::daemon::store
