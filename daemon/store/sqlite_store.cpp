#include "daemon/store/sqlite_store.hpp"

#include "daemon/store/where.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <limits>
#include <system_error>
#include <type_traits>
#include <utility>

namespace harperrt::daemon::store {
namespace {

const std::string begin_sql = "BEGIN IMMEDIATE";
const std::string commit_sql = "COMMIT";
const std::string rollback_sql = "ROLLBACK";
const std::string savepoint_sql = "SAVEPOINT op";
const std::string release_sql = "RELEASE op";
const std::string rollback_to_sql = "ROLLBACK TO op";

const std::string kv_put_sql = "INSERT OR REPLACE INTO kv(ns, key, value) VALUES (?1, ?2, ?3)";
const std::string kv_remove_sql = "DELETE FROM kv WHERE ns = ?1 AND key = ?2";
const std::string kv_get_sql = "SELECT value FROM kv WHERE ns = ?1 AND key = ?2";

error_code to_boost(const std::error_code& ec) {
    if (ec.category() == std::generic_category()) return {ec.value(), boost::system::generic_category()};
    return {ec.value(), boost::system::system_category()};
}

// An integer ID in the canonical form SQLite will give back: optional '-', digits, no '+',
// no spaces. Leading zeros are accepted ("007" is record 7).
std::optional<std::int64_t> parse_int_id(std::string_view id) {
    std::int64_t v = 0;
    const char* end = id.data() + id.size();
    auto [p, ec] = std::from_chars(id.data(), end, v);
    if (id.empty() || ec != std::errc{} || p != end) return std::nullopt;
    return v;
}

// Binds a record ID at `index` for the table's key type; returns the ID as it will come
// back from reads. For string keys, `id` must outlive the statement's use.
Result<std::string> bind_id(Statement& stmt, int index, const TableLayout& t, std::string_view id) {
    if (t.key_type == KeyType::integer) {
        auto v = parse_int_id(id);
        if (!v) return error(Errc::bad_key);
        stmt.bind_int(index, *v);
        return std::to_string(*v);
    }
    stmt.bind_text(index, id);
    return std::string(id);
}

std::string read_id(const Statement& stmt, int col, const TableLayout& t) {
    return t.key_type == KeyType::integer ? std::to_string(stmt.column_int(col)) : stmt.column_text(col);
}

std::int64_t clamp_limit(std::size_t limit) {
    constexpr auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(std::min(limit, max));
}

Result<std::vector<Record>> read_records(Statement& stmt, const TableLayout& t) {
    std::vector<Record> out;
    for (;;) {
        auto row = stmt.step();
        if (!row) return error(row.error());
        if (!*row) return out;
        out.push_back(Record{RecordKey{t.name, read_id(stmt, 0, t)}, stmt.column_text(1),
                             static_cast<std::uint64_t>(stmt.column_int(2))});
    }
}

// The smallest string greater than every string starting with `prefix`, or nullopt when
// there is none (empty prefix, or all bytes 0xFF).
std::optional<std::string> prefix_end(std::string_view prefix) {
    std::string end(prefix);
    while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xFF) end.pop_back();
    if (end.empty()) return std::nullopt;
    end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
    return end;
}

std::string scan_where_sql(const TableLayout& t, const CompiledWhere& where, bool after) {
    return "SELECT id, data, version FROM " + t.sql_table + " WHERE (" + where.sql + ")" +
           (after ? " AND id > ?" : "") + " ORDER BY id LIMIT ?";
}

// scan_where_by: the index column `column` orders the result; row values page through it
// ((column, id) > (?, ?) is a range on the index, which holds the primary key after the
// column in WITHOUT ROWID tables).
std::string scan_where_by_sql(const TableLayout& t, const std::string& column, const CompiledWhere& where, bool after) {
    return "SELECT id, data, version, " + column + " FROM " + t.sql_table + " WHERE (" + where.sql + ") AND " +
           column + " IS NOT NULL" + (after ? " AND (" + column + ", id) > (?, ?)" : "") + " ORDER BY " + column +
           ", id LIMIT ?";
}

// The column of a ready index on `attribute`.
Result<std::string> index_column(const TableLayout& t, std::string_view attribute) {
    const IndexLayout* ix = t.find_index(attribute);
    if (ix == nullptr) return error(Errc::bad_query);
    if (!ix->ready.load(std::memory_order_acquire)) return error(Errc::index_not_ready);
    return ix->column;
}

// Hands a one-op request's outcome to its typed completion.
template <class T>
void complete_one(const Completion<T>& done, Result<WriteOutcome>&& r) {
    if (!done) return;
    if (!r) return done(error(r.error()));
    if constexpr (std::is_void_v<T>) {
        done(ok());
    } else if constexpr (std::is_same_v<T, bool>) {
        done(std::get<KvRemoved>(*r).count > 0);
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
        done(std::get<KvRemoved>(*r).count);
    } else {
        done(std::get<T>(std::move(*r)));
    }
}

}  // namespace

// --- open / close -----------------------------------------------------------------------

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(Options options) {
    if (options.path.empty() || options.readers == 0 || options.max_group_ops == 0)
        return error(Errc::bad_option);
    if (auto r = validate_tables(options.tables); !r) return error(r.error());
    if (sqlite3_threadsafe() == 0) return error(sqlite_error(SQLITE_MISUSE));  // no thread support

    if (const auto dir = options.path.parent_path(); !dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) return error(to_boost(ec));
    }

    auto writer = Connection::open(options.path, Connection::Mode::read_write, options.busy_timeout);
    if (!writer) return error(writer.error());
    auto& w = **writer;
    auto mode = w.query_text("PRAGMA journal_mode = WAL");
    if (!mode) return error(mode.error());
    if (mode.value() != "wal") return error(sqlite_error(SQLITE_CANTOPEN));  // e.g. no shared memory
    const char* sync = options.sync == SyncMode::full ? "FULL" : options.sync == SyncMode::normal ? "NORMAL" : "OFF";
    if (auto r = w.exec(std::string("PRAGMA synchronous = ") + sync); !r) return error(r.error());
    // Keep the WAL file from staying huge after a burst; checkpoints reset it to this.
    if (auto r = w.exec("PRAGMA journal_size_limit = 67108864"); !r) return error(r.error());

    auto schema = prepare_schema(w, options.tables);
    if (!schema) return error(schema.error());

    // Readers open after the writer made the file a WAL database with a schema.
    std::vector<std::unique_ptr<Connection>> readers;
    for (std::size_t i = 0; i < options.readers; ++i) {
        auto reader = Connection::open(options.path, Connection::Mode::read_only, options.busy_timeout);
        if (!reader) return error(reader.error());
        readers.push_back(std::move(*reader));
    }
    return std::unique_ptr<SqliteStore>(
        new SqliteStore(std::move(options), std::move(*schema), std::move(*writer), std::move(readers)));
}

SqliteStore::SqliteStore(Options options, SchemaState schema, std::unique_ptr<Connection> writer,
                         std::vector<std::unique_ptr<Connection>> readers)
    : options_(std::move(options)),
      tables_(std::move(schema.tables)),
      writer_(std::move(writer)),
      last_version_(schema.last_version),
      idle_readers_(std::move(readers)),
      reader_count_(idle_readers_.size()) {
    stats_.last_version = last_version_;
    writer_thread_ = std::thread([this] { writer_loop(); });
    writer_id_ = writer_thread_.get_id();
}

SqliteStore::~SqliteStore() { (void)close(); }

Result<void> SqliteStore::close() {
    std::scoped_lock close_lock(close_mu_);
    if (closed_) return ok();
    // From a completion, joining the writer would join the calling thread itself.
    assert(std::this_thread::get_id() != writer_id_ && "close() called from a completion");
    if (std::this_thread::get_id() == writer_id_)
        return error(make_error_code(boost::system::errc::resource_deadlock_would_occur));
    {
        std::scoped_lock lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (writer_thread_.joinable()) writer_thread_.join();  // drains the queue first
    {
        // Wait for reads in progress, then close the read connections: a TRUNCATE
        // checkpoint needs the WAL free of readers.
        std::unique_lock lock(readers_mu_);
        readers_closed_ = true;
        readers_cv_.notify_all();
        readers_cv_.wait(lock, [&] { return idle_readers_.size() == reader_count_; });
        idle_readers_.clear();
    }
    Result<void> result = writer_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    writer_.reset();
    closed_ = true;
    return result;
}

// --- the queue ---------------------------------------------------------------------------

void SqliteStore::Pending::fail(Outcome& out, error_code ec) const {
    if (batch) out.batch = error(ec);
    else out.one = error(ec);
}

void SqliteStore::Pending::complete(Outcome&& out) const {
    std::visit(
        [&](const auto& d) {
            using D = std::decay_t<decltype(d)>;
            if constexpr (std::is_same_v<D, Completion<std::vector<WriteOutcome>>>) {
                if (d) d(std::move(out.batch));
            } else {
                complete_one(d, std::move(out.one));
            }
        },
        done);
}

void SqliteStore::enqueue(Pending&& request) {
    {
        std::unique_lock lock(mu_);
        if (!stopping_) {
            queued_ops_ += request.size();
            queue_.push_back(std::move(request));
            lock.unlock();
            cv_.notify_one();
            return;
        }
    }
    Outcome out;
    request.fail(out, Errc::closed);
    request.complete(std::move(out));
}

template <class T>
void SqliteStore::enqueue_one(WriteOp op, Completion<T> done) {
    enqueue(Pending{std::move(op), {}, false, Done(std::in_place_type<Completion<T>>, std::move(done))});
}

void SqliteStore::put(RecordKey key, std::string data, std::vector<IndexValue> index_values,
                      Completion<Record> done) {
    enqueue_one(PutOp{std::move(key), std::move(data), std::move(index_values)}, std::move(done));
}

void SqliteStore::remove(RecordKey key, Completion<Removed> done) {
    enqueue_one(RemoveOp{std::move(key)}, std::move(done));
}

void SqliteStore::reindex(RecordKey key, std::uint64_t version, std::vector<IndexValue> index_values,
                          Completion<void> done) {
    enqueue_one(ReindexOp{std::move(key), version, std::move(index_values)}, std::move(done));
}

void SqliteStore::keep_previous(std::string_view table_name, bool on) {
    if (const TableLayout* t = table(table_name)) t->keep_previous.store(on, std::memory_order_relaxed);
}

void SqliteStore::mark_index_ready(std::string table_name, std::string attribute, Completion<void> done) {
    enqueue_one(MarkIndexReadyOp{std::move(table_name), std::move(attribute)}, std::move(done));
}

void SqliteStore::kv_put(std::string ns, std::string key, std::string value, Completion<void> done) {
    enqueue_one(KvPutOp{std::move(ns), std::move(key), std::move(value)}, std::move(done));
}

void SqliteStore::kv_remove(std::string ns, std::string key, Completion<bool> done) {
    enqueue_one(KvRemoveOp{std::move(ns), std::move(key)}, std::move(done));
}

void SqliteStore::kv_remove_prefix(std::string ns, std::string prefix, Completion<std::uint64_t> done) {
    enqueue_one(KvRemovePrefixOp{std::move(ns), std::move(prefix)}, std::move(done));
}

void SqliteStore::write(WriteBatch batch, Completion<std::vector<WriteOutcome>> done) {
    enqueue(Pending{WriteOp{}, std::move(batch.ops()), true,
                    Done(std::in_place_type<Completion<std::vector<WriteOutcome>>>, std::move(done))});
}

// --- the writer thread -------------------------------------------------------------------

void SqliteStore::writer_loop() {
    std::vector<Pending> taken;
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
        if (queue_.empty()) return;  // stopping, and everything queued has completed
        taken.swap(queue_);          // queue_ gets the emptied buffer of the last round
        lock.unlock();
        // Groups of whole requests, up to max_group_ops ops each (a bigger batch goes alone).
        std::span<Pending> rest(taken);
        while (!rest.empty()) {
            std::size_t n = 0;
            std::size_t ops = 0;
            while (n < rest.size() && (n == 0 || ops + rest[n].size() <= options_.max_group_ops))
                ops += rest[n++].size();
            {
                std::scoped_lock queue_lock(mu_);
                queued_ops_ -= ops;  // Stats::queue_depth: queued, not yet in a group
            }
            run_group(rest.first(n));
            rest = rest.subspan(n);
        }
        taken.clear();  // every completion has run; keeps the capacity for the next swap
        lock.lock();
    }
}

Result<void> SqliteStore::run_sql(const std::string& sql) {
    auto stmt = writer_->prepare(sql);
    if (!stmt) return error(stmt.error());
    return stmt->run();
}

void SqliteStore::run_group(std::span<Pending> group) {
    const auto started = std::chrono::steady_clock::now();
    const std::uint64_t versions_before = last_version_;
    std::vector<Outcome> outcomes(group.size());
    std::uint64_t ops = 0;
    error_code group_failure;

    if (auto r = run_sql(begin_sql); !r) group_failure = r.error();
    for (std::size_t i = 0; i < group.size(); ++i) {
        ops += group[i].size();
        if (group_failure) {
            group[i].fail(outcomes[i], group_failure);
            continue;
        }
        apply_request(group[i], outcomes[i], group_failure);
    }
    if (!group_failure && last_version_ != versions_before) {
        // Invariant 4: the counter commits with the writes that used it.
        auto stmt = writer_->prepare(update_last_version_sql);
        if (!stmt) {
            group_failure = stmt.error();
        } else {
            stmt->bind_int(1, static_cast<std::int64_t>(last_version_));
            if (auto r = stmt->run(); !r) group_failure = r.error();
        }
    }
    if (!group_failure) {
        if (auto r = run_sql(commit_sql); !r) group_failure = r.error();
    }
    if (group_failure) {
        if (!writer_->autocommit()) (void)writer_->exec(rollback_sql);
        for (std::size_t i = 0; i < group.size(); ++i)
            if (!group[i].failed(outcomes[i])) group[i].fail(outcomes[i], group_failure);
    } else {
        // Invariant 6: publish ready indexes only once their catalog row is committed.
        const auto publish_ready = [&](const WriteOp& op) {
            const auto* mark = std::get_if<MarkIndexReadyOp>(&op);
            if (mark == nullptr) return;
            table(mark->table)->find_index(mark->attribute)->ready.store(true, std::memory_order_release);
        };
        for (std::size_t i = 0; i < group.size(); ++i) {
            if (group[i].failed(outcomes[i])) continue;
            if (!group[i].batch) publish_ready(group[i].op);
            for (const auto& op : group[i].ops) publish_ready(op);
        }
    }
    const auto latency = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started);
    {
        std::scoped_lock lock(stats_mu_);
        if (group_failure) ++stats_.failed_commits;
        else ++stats_.commits;
        stats_.ops += ops;
        stats_.batches += group.size();
        stats_.last_commit_latency = latency;
        stats_.total_commit_latency += latency;
        const double seconds = std::chrono::duration<double>(latency).count();
        std::size_t bucket = 0;
        while (bucket < commit_latency_bounds.size() && seconds > commit_latency_bounds[bucket]) ++bucket;
        ++stats_.commit_latency_buckets[bucket];
        stats_.last_version = last_version_;
    }
    // Invariant 3: outside any transaction and lock.
    for (std::size_t i = 0; i < group.size(); ++i) group[i].complete(std::move(outcomes[i]));
}

void SqliteStore::apply_request(Pending& request, Outcome& out, error_code& group_failure) {
    if (request.batch) {
        out.batch = apply_batch(request.ops, group_failure);
        return;
    }
    // Every op modifies the database with one SQL statement, which SQLite applies
    // atomically (a failing statement is rolled back on its own): a request of one op needs
    // no savepoint, and most requests are one put. A savepoint costs about as much as the put.
    out.one = apply(request.op);
    // Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM...) make SQLite roll back the
    // whole transaction; then nothing of the group survives (invariant 2).
    if (!out.one && writer_->autocommit()) group_failure = out.one.error();
}

Result<std::vector<WriteOutcome>> SqliteStore::apply_batch(std::vector<WriteOp>& ops, error_code& group_failure) {
    // As in apply_request, a batch of one op needs no savepoint.
    const bool savepoint = ops.size() != 1;
    if (savepoint) {
        if (auto r = run_sql(savepoint_sql); !r) {
            group_failure = r.error();
            return error(r.error());
        }
    }
    std::vector<WriteOutcome> outcomes;
    outcomes.reserve(ops.size());
    for (auto& op : ops) {
        auto outcome = apply(op);
        if (outcome) {
            outcomes.push_back(std::move(*outcome));
            continue;
        }
        // Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM...) make SQLite roll back
        // the whole transaction; then nothing of the group survives (invariant 2).
        if (writer_->autocommit()) {
            group_failure = outcome.error();
        } else if (!savepoint) {
            // The failed statement undid itself; nothing else of this request was written.
        } else if (auto r = run_sql(rollback_to_sql); !r) {
            group_failure = r.error();
        } else if (auto r2 = run_sql(release_sql); !r2) {
            group_failure = r2.error();
        }
        return error(outcome.error());
    }
    if (savepoint) {
        if (auto r = run_sql(release_sql); !r) {
            group_failure = r.error();
            return error(r.error());
        }
    }
    return outcomes;
}

Result<WriteOutcome> SqliteStore::apply(WriteOp& op) {
    return std::visit(
        [&](auto& o) -> Result<WriteOutcome> {
            using O = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<O, PutOp>) return apply_put(o);
            else if constexpr (std::is_same_v<O, RemoveOp>) return apply_remove(o);
            else if constexpr (std::is_same_v<O, ReindexOp>) return apply_reindex(o);
            else if constexpr (std::is_same_v<O, KvPutOp>) return apply_kv_put(o);
            else if constexpr (std::is_same_v<O, KvRemoveOp>) return apply_kv_remove(o);
            else if constexpr (std::is_same_v<O, KvRemovePrefixOp>) return apply_kv_remove_prefix(o);
            else return apply_mark_index_ready(o);
        },
        op);
}

Result<WriteOutcome> SqliteStore::apply_put(PutOp& op) {
    const TableLayout* t = table(op.key.table);
    if (t == nullptr) return error(Errc::unknown_table);
    if (op.index_values.size() != t->indexes.size()) return error(Errc::index_mismatch);
    std::string id;
    const std::uint64_t version = last_version_ + 1;
    Previous previous;
    if (t->keep_previous.load(std::memory_order_relaxed)) {
        // Inside the write's transaction: exactly the value this put replaces.
        auto stmt = writer_->prepare(t->get_sql);
        if (!stmt) return error(stmt.error());
        if (auto bound = bind_id(*stmt, 1, *t, op.key.id); !bound) return error(bound.error());
        auto row = stmt->step();
        if (!row) return error(row.error());
        previous.known = true;
        if (*row) previous.data = stmt->column_text(0);
    }
    {
        auto stmt = writer_->prepare(t->put_sql);
        if (!stmt) return error(stmt.error());
        auto bound = bind_id(*stmt, 1, *t, op.key.id);
        if (!bound) return error(bound.error());
        id = std::move(*bound);
        stmt->bind_blob(2, op.data);
        stmt->bind_int(3, static_cast<std::int64_t>(version));
        for (std::size_t i = 0; i < op.index_values.size(); ++i)
            stmt->bind(static_cast<int>(i) + 4, op.index_values[i]);
        // Taken even if the statement fails: a gap is harmless, a reuse would not be
        // (a failure after the insert, e.g. in COMMIT, must not hand this version out again).
        last_version_ = version;
        if (auto r = stmt->run(); !r) return error(r.error());
    }  // the statement is reset here, before op.data (bound without a copy) moves away
    return Record{RecordKey{std::move(op.key.table), std::move(id)}, std::move(op.data), version, std::move(previous)};
}

Result<WriteOutcome> SqliteStore::apply_remove(RemoveOp& op) {
    const TableLayout* t = table(op.key.table);
    if (t == nullptr) return error(Errc::unknown_table);
    const bool keep = t->keep_previous.load(std::memory_order_relaxed);
    auto stmt = writer_->prepare(keep ? t->remove_returning_sql : t->remove_sql);
    if (!stmt) return error(stmt.error());
    if (auto bound = bind_id(*stmt, 1, *t, op.key.id); !bound) return error(bound.error());
    const std::uint64_t version = ++last_version_;
    if (!keep) {
        if (auto r = stmt->run(); !r) return error(r.error());
        return Removed{version, writer_->changes() > 0, {}};
    }
    Previous previous{true, std::nullopt};
    auto row = stmt->step();
    if (!row) return error(row.error());
    if (*row) previous.data = stmt->column_text(0);
    if (auto r = stmt->run(); !r) return error(r.error());  // finish the statement
    return Removed{version, previous.data.has_value(), std::move(previous)};
}

Result<WriteOutcome> SqliteStore::apply_reindex(ReindexOp& op) {
    const TableLayout* t = table(op.key.table);
    if (t == nullptr) return error(Errc::unknown_table);
    if (op.index_values.size() != t->indexes.size()) return error(Errc::index_mismatch);
    auto stmt = writer_->prepare(t->reindex_sql);
    if (!stmt) return error(stmt.error());
    const int n = static_cast<int>(op.index_values.size());
    for (int i = 0; i < n; ++i) stmt->bind(i + 1, op.index_values[static_cast<std::size_t>(i)]);
    if (auto bound = bind_id(*stmt, n + 1, *t, op.key.id); !bound) return error(bound.error());
    stmt->bind_int(n + 2, static_cast<std::int64_t>(op.version));
    if (auto r = stmt->run(); !r) return error(r.error());
    if (writer_->changes() == 0) return error(Errc::version_mismatch);
    return WriteOutcome{};
}

Result<WriteOutcome> SqliteStore::apply_kv_put(KvPutOp& op) {
    auto stmt = writer_->prepare(kv_put_sql);
    if (!stmt) return error(stmt.error());
    stmt->bind_text(1, op.ns);
    stmt->bind_blob(2, op.key);
    stmt->bind_blob(3, op.value);
    if (auto r = stmt->run(); !r) return error(r.error());
    return WriteOutcome{};
}

Result<WriteOutcome> SqliteStore::apply_kv_remove(KvRemoveOp& op) {
    auto stmt = writer_->prepare(kv_remove_sql);
    if (!stmt) return error(stmt.error());
    stmt->bind_text(1, op.ns);
    stmt->bind_blob(2, op.key);
    if (auto r = stmt->run(); !r) return error(r.error());
    return KvRemoved{writer_->changes()};
}

Result<WriteOutcome> SqliteStore::apply_kv_remove_prefix(KvRemovePrefixOp& op) {
    const auto end = prefix_end(op.prefix);
    auto stmt = writer_->prepare(end ? "DELETE FROM kv WHERE ns = ?1 AND key >= ?2 AND key < ?3"
                                     : "DELETE FROM kv WHERE ns = ?1 AND key >= ?2");
    if (!stmt) return error(stmt.error());
    stmt->bind_text(1, op.ns);
    stmt->bind_blob(2, op.prefix);
    if (end) stmt->bind_blob(3, *end);
    if (auto r = stmt->run(); !r) return error(r.error());
    return KvRemoved{writer_->changes()};
}

Result<WriteOutcome> SqliteStore::apply_mark_index_ready(MarkIndexReadyOp& op) {
    const TableLayout* t = table(op.table);
    if (t == nullptr) return error(Errc::unknown_table);
    if (t->find_index(op.attribute) == nullptr) return error(Errc::unknown_index);
    auto stmt = writer_->prepare(mark_index_ready_sql);
    if (!stmt) return error(stmt.error());
    stmt->bind_text(1, op.table);
    stmt->bind_text(2, op.attribute);
    if (auto r = stmt->run(); !r) return error(r.error());
    return WriteOutcome{};
}

// --- reads -------------------------------------------------------------------------------

const TableLayout* SqliteStore::table(std::string_view name) const {
    auto it = tables_.find(name);
    return it == tables_.end() ? nullptr : it->second.get();
}

template <class T, class F>
Result<T> SqliteStore::with_reader(F&& f) const {
    std::unique_ptr<Connection> conn;
    {
        std::unique_lock lock(readers_mu_);
        readers_cv_.wait(lock, [&] { return readers_closed_ || !idle_readers_.empty(); });
        if (readers_closed_) return error(Errc::closed);
        conn = std::move(idle_readers_.back());
        idle_readers_.pop_back();
    }
    // Back into the pool however f leaves (a throw would otherwise hang close()).
    struct Return {
        const SqliteStore* store;
        std::unique_ptr<Connection>& conn;
        ~Return() {
            {
                std::scoped_lock lock(store->readers_mu_);
                store->idle_readers_.push_back(std::move(conn));
            }
            store->readers_cv_.notify_all();
        }
    } give_back{this, conn};
    return std::forward<F>(f)(*conn);
}

Result<std::optional<Record>> SqliteStore::get(const RecordKey& key) const {
    const TableLayout* t = table(key.table);
    if (t == nullptr) return error(Errc::unknown_table);
    return with_reader<std::optional<Record>>([&](Connection& c) -> Result<std::optional<Record>> {
        auto stmt = c.prepare(t->get_sql);
        if (!stmt) return error(stmt.error());
        auto id = bind_id(*stmt, 1, *t, key.id);
        if (!id) return error(id.error());
        auto row = stmt->step();
        if (!row) return error(row.error());
        if (!*row) return std::optional<Record>{};
        return std::optional<Record>(Record{RecordKey{t->name, std::move(*id)}, stmt->column_text(0),
                                            static_cast<std::uint64_t>(stmt->column_int(1))});
    });
}

Result<std::vector<Record>> SqliteStore::scan(std::string_view table_name, std::optional<std::string_view> after_id,
                                              std::size_t limit) const {
    const TableLayout* t = table(table_name);
    if (t == nullptr) return error(Errc::unknown_table);
    if (limit == 0) return std::vector<Record>{};
    return with_reader<std::vector<Record>>([&](Connection& c) -> Result<std::vector<Record>> {
        auto stmt = c.prepare(after_id ? t->scan_after_sql : t->scan_sql);
        if (!stmt) return error(stmt.error());
        if (after_id) {
            if (auto bound = bind_id(*stmt, 1, *t, *after_id); !bound) return error(bound.error());
        }
        stmt->bind_int(after_id ? 2 : 1, clamp_limit(limit));
        return read_records(*stmt, *t);
    });
}

Result<std::vector<Record>> SqliteStore::scan_where(std::string_view table_name, std::string_view where,
                                                    const std::vector<IndexValue>& params,
                                                    std::optional<std::string_view> after_id,
                                                    std::size_t limit) const {
    const TableLayout* t = table(table_name);
    if (t == nullptr) return error(Errc::unknown_table);
    auto compiled = compile_where(where, *t);
    if (!compiled) return error(compiled.error());
    if (compiled->params != params.size()) return error(Errc::bad_query);
    if (limit == 0) return std::vector<Record>{};
    const std::string sql = scan_where_sql(*t, *compiled, after_id.has_value());
    return with_reader<std::vector<Record>>([&](Connection& c) -> Result<std::vector<Record>> {
        auto stmt = c.prepare(sql);
        if (!stmt) return error(stmt.error());
        int index = 0;
        for (const auto& p : params) stmt->bind(++index, p);
        if (after_id) {
            if (auto bound = bind_id(*stmt, ++index, *t, *after_id); !bound) return error(bound.error());
        }
        stmt->bind_int(++index, clamp_limit(limit));
        return read_records(*stmt, *t);
    });
}

Result<std::vector<IndexedRecord>> SqliteStore::scan_where_by(std::string_view table_name, std::string_view attribute,
                                                             std::string_view where,
                                                             const std::vector<IndexValue>& params,
                                                             const std::optional<IndexCursor>& after,
                                                             std::size_t limit) const {
    const TableLayout* t = table(table_name);
    if (t == nullptr) return error(Errc::unknown_table);
    auto column = index_column(*t, attribute);
    if (!column) return error(column.error());
    auto compiled = compile_where(where, *t);
    if (!compiled) return error(compiled.error());
    if (compiled->params != params.size()) return error(Errc::bad_query);
    if (limit == 0) return std::vector<IndexedRecord>{};
    if (after && std::holds_alternative<std::monostate>(after->value)) return error(Errc::bad_query);
    const std::string sql = scan_where_by_sql(*t, *column, *compiled, after.has_value());
    return with_reader<std::vector<IndexedRecord>>([&](Connection& c) -> Result<std::vector<IndexedRecord>> {
        auto stmt = c.prepare(sql);
        if (!stmt) return error(stmt.error());
        int index = 0;
        for (const auto& p : params) stmt->bind(++index, p);
        if (after) {
            stmt->bind(++index, after->value);
            if (auto bound = bind_id(*stmt, ++index, *t, after->id); !bound) return error(bound.error());
        }
        stmt->bind_int(++index, clamp_limit(limit));
        std::vector<IndexedRecord> out;
        for (;;) {
            auto row = stmt->step();
            if (!row) return error(row.error());
            if (!*row) return out;
            out.push_back(IndexedRecord{Record{RecordKey{t->name, read_id(*stmt, 0, *t)}, stmt->column_text(1),
                                               static_cast<std::uint64_t>(stmt->column_int(2))},
                                        stmt->column_value(3)});
        }
    });
}

Result<std::string> SqliteStore::explain_scan_where_by(std::string_view table_name, std::string_view attribute,
                                                       std::string_view where, bool paged) const {
    const TableLayout* t = table(table_name);
    if (t == nullptr) return error(Errc::unknown_table);
    auto column = index_column(*t, attribute);
    if (!column) return error(column.error());
    auto compiled = compile_where(where, *t);
    if (!compiled) return error(compiled.error());
    return explain("EXPLAIN QUERY PLAN " + scan_where_by_sql(*t, *column, *compiled, paged));
}

Result<std::string> SqliteStore::explain_scan_where(std::string_view table_name, std::string_view where,
                                                    std::optional<std::string_view> after_id) const {
    const TableLayout* t = table(table_name);
    if (t == nullptr) return error(Errc::unknown_table);
    auto compiled = compile_where(where, *t);
    if (!compiled) return error(compiled.error());
    return explain("EXPLAIN QUERY PLAN " + scan_where_sql(*t, *compiled, after_id.has_value()));
}

Result<std::string> SqliteStore::explain(const std::string& sql) const {
    return with_reader<std::string>([&](Connection& c) -> Result<std::string> {
        auto stmt = c.prepare(sql);
        if (!stmt) return error(stmt.error());
        std::string plan;
        for (;;) {
            auto row = stmt->step();
            if (!row) return error(row.error());
            if (!*row) return plan;
            if (!plan.empty()) plan.push_back('\n');
            plan += stmt->column_text(3);  // columns: id, parent, notused, detail
        }
    });
}

Result<std::optional<std::string>> SqliteStore::kv_get(std::string_view ns, std::string_view key) const {
    return with_reader<std::optional<std::string>>([&](Connection& c) -> Result<std::optional<std::string>> {
        auto stmt = c.prepare(kv_get_sql);
        if (!stmt) return error(stmt.error());
        stmt->bind_text(1, ns);
        stmt->bind_blob(2, key);
        auto row = stmt->step();
        if (!row) return error(row.error());
        if (!*row) return std::optional<std::string>{};
        return std::optional<std::string>(stmt->column_text(0));
    });
}

Result<std::vector<KvEntry>> SqliteStore::kv_scan(std::string_view ns, std::string_view prefix,
                                                  std::optional<std::string_view> after_key,
                                                  std::size_t limit) const {
    if (limit == 0) return std::vector<KvEntry>{};
    // Both bounds go into the key range so the primary key index stops at the prefix's end.
    const bool after = after_key && *after_key >= prefix;
    const std::string_view low = after ? *after_key : prefix;
    const auto high = prefix_end(prefix);
    const std::string sql = std::string("SELECT key, value FROM kv WHERE ns = ?1 AND key ") + (after ? ">" : ">=") +
                            " ?2" + (high ? " AND key < ?3 ORDER BY key LIMIT ?4" : " ORDER BY key LIMIT ?3");
    return with_reader<std::vector<KvEntry>>([&](Connection& c) -> Result<std::vector<KvEntry>> {
        auto stmt = c.prepare(sql);
        if (!stmt) return error(stmt.error());
        stmt->bind_text(1, ns);
        stmt->bind_blob(2, low);
        if (high) stmt->bind_blob(3, *high);
        stmt->bind_int(high ? 4 : 3, clamp_limit(limit));
        std::vector<KvEntry> out;
        for (;;) {
            auto row = stmt->step();
            if (!row) return error(row.error());
            if (!*row) return out;
            out.push_back(KvEntry{stmt->column_text(0), stmt->column_text(1)});
        }
    });
}

std::vector<IndexRef> SqliteStore::pending_indexes() const {
    std::vector<IndexRef> out;
    for (const auto& [name, t] : tables_)
        for (const auto& ix : t->indexes)
            if (!ix.ready.load(std::memory_order_acquire)) out.push_back(IndexRef{name, ix.attribute});
    return out;
}

Result<void> SqliteStore::backup(const std::filesystem::path& dest) const {
    if (const auto dir = dest.parent_path(); !dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        if (ec) return error(to_boost(ec));
    }
    auto tmp = dest;
    tmp += ".tmp";
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    auto copied = with_reader<void>([&](Connection& src) -> Result<void> {
        auto target = Connection::open(tmp, Connection::Mode::read_write, options_.busy_timeout);
        if (!target) return error(target.error());
        sqlite3_backup* b = sqlite3_backup_init((*target)->handle(), "main", src.handle(), "main");
        if (b == nullptr) return error(sqlite_error(sqlite3_extended_errcode((*target)->handle())));
        // One step of all pages: a single read transaction, so the copy is one snapshot.
        const int step = sqlite3_backup_step(b, -1);
        const int finish = sqlite3_backup_finish(b);
        if (step != SQLITE_DONE) return error(sqlite_error(step));
        if (finish != SQLITE_OK) return error(sqlite_error(finish));
        return ok();
    });
    if (!copied) {
        std::filesystem::remove(tmp, ignored);
        return copied;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, dest, ec);
    if (ec) return error(to_boost(ec));
    return ok();
}

Stats SqliteStore::stats() const {
    Stats s;
    {
        std::scoped_lock lock(stats_mu_);
        s = stats_;
    }
    std::scoped_lock lock(mu_);
    s.queue_depth = queued_ops_;
    return s;
}

}  // namespace harperrt::daemon::store
