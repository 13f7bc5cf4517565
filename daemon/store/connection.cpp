#include "daemon/store/connection.hpp"

#include <sqlite3.h>

#include <climits>
#include <variant>
#include <type_traits>
#include <utility>

namespace harperrt::daemon::store {

// --- Statement ------------------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), owned_(other.owned_), bind_rc_(other.bind_rc_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        release();
        stmt_ = std::exchange(other.stmt_, nullptr);
        owned_ = other.owned_;
        bind_rc_ = other.bind_rc_;
    }
    return *this;
}

Statement::~Statement() { release(); }

void Statement::release() noexcept {
    if (stmt_ == nullptr) return;
    if (owned_) {
        sqlite3_finalize(stmt_);
    } else {
        // Back into the cache: ready for the next use, holding no pointers into our callers.
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
    stmt_ = nullptr;
}

// A failed bind (SQLITE_TOOBIG for a value over SQLITE_LIMIT_LENGTH, SQLITE_RANGE) would
// leave the parameter NULL; remember the first failure so step() reports it instead.
void Statement::note(int rc) noexcept {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

void Statement::bind_null(int index) { note(sqlite3_bind_null(stmt_, index)); }

void Statement::bind_int(int index, std::int64_t value) {
    note(sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value)));
}

void Statement::bind_double(int index, double value) { note(sqlite3_bind_double(stmt_, index, value)); }

void Statement::bind_text(int index, std::string_view value) {
    // A non-null pointer even for "" so the value is an empty string, not NULL.
    note(sqlite3_bind_text64(stmt_, index, value.empty() ? "" : value.data(),
                             static_cast<sqlite3_uint64>(value.size()), SQLITE_STATIC, SQLITE_UTF8));
}

void Statement::bind_blob(int index, std::string_view value) {
    note(sqlite3_bind_blob64(stmt_, index, value.empty() ? "" : value.data(),
                             static_cast<sqlite3_uint64>(value.size()), SQLITE_STATIC));
}

void Statement::bind(int index, const IndexValue& value) {
    std::visit(
        [&](const auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::monostate>) bind_null(index);
            else if constexpr (std::is_same_v<V, std::int64_t>) bind_int(index, v);
            else if constexpr (std::is_same_v<V, double>) bind_double(index, v);
            else bind_text(index, v);
        },
        value);
}

Result<bool> Statement::step() {
    if (bind_rc_ != SQLITE_OK) return error(sqlite_error(bind_rc_));
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return error(sqlite_error(rc));
}

Result<void> Statement::run() {
    for (;;) {
        auto row = step();
        if (!row) return error(row.error());
        if (!*row) return ok();
    }
}

std::int64_t Statement::column_int(int col) const {
    return static_cast<std::int64_t>(sqlite3_column_int64(stmt_, col));
}

std::string Statement::column_text(int col) const {
    // Ask for the bytes before their length, as the SQLite docs require.
    const void* p = sqlite3_column_blob(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    if (p == nullptr || n <= 0) return {};
    return std::string(static_cast<const char*>(p), static_cast<std::size_t>(n));
}

bool Statement::column_is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

IndexValue Statement::column_value(int col) const {
    switch (sqlite3_column_type(stmt_, col)) {
    case SQLITE_NULL: return std::monostate{};
    case SQLITE_INTEGER: return column_int(col);
    case SQLITE_FLOAT: return sqlite3_column_double(stmt_, col);
    default: return column_text(col);
    }
}

// --- Connection -----------------------------------------------------------------------

namespace {
// Before SQLite's first use: no memory statistics (nothing reads them), which Debian's
// build keeps by default at the price of a global mutex around every SQLite allocation;
// and no bulk page-cache allocation on a connection's first read (20 pages, 87 KB, most
// of them never used by an idle daemon: its page cache grows a page at a time instead).
// Harmless if SQLite was initialised already (then the call is refused and nothing changes).
void configure_sqlite_once() {
    static const bool done = [] {
        (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        (void)sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0);
        return true;
    }();
    (void)done;
}
}  // namespace

Result<std::unique_ptr<Connection>> Connection::open(const std::filesystem::path& path, Mode mode,
                                                     std::chrono::milliseconds busy_timeout) {
    configure_sqlite_once();
    const int flags = SQLITE_OPEN_NOMUTEX |
                      (mode == Mode::read_write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                                : SQLITE_OPEN_READONLY);
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    // sqlite3_open_v2 hands out a handle even on failure; it must still be closed.
    std::unique_ptr<Connection> conn(new Connection(db));
    if (rc != SQLITE_OK) return error(sqlite_error(db ? sqlite3_extended_errcode(db) : rc));
    sqlite3_extended_result_codes(db, 1);

    const auto ms = busy_timeout.count();
    sqlite3_busy_timeout(db, ms > INT_MAX ? INT_MAX : (ms < 0 ? 0 : static_cast<int>(ms)));
    if (mode == Mode::read_only) {
        if (auto r = conn->exec("PRAGMA query_only = ON"); !r) return error(r.error());
    }
    return conn;
}

Connection::~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    // close_v2 defers the close if something is still open, instead of failing.
    sqlite3_close_v2(db_);
}

Result<void> Connection::exec(const std::string& sql) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return error(sqlite_error(sqlite3_extended_errcode(db_)));
    return ok();
}

Result<Statement> Connection::prepare(const std::string& sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) return Statement(it->second, false);
    const bool cached = cache_.size() < max_cached;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), -1,
                                      cached ? SQLITE_PREPARE_PERSISTENT : 0u, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return error(sqlite_error(rc));
    }
    if (stmt == nullptr) return error(sqlite_error(SQLITE_MISUSE));  // only whitespace/comment
    if (cached) cache_.emplace(sql, stmt);
    return Statement(stmt, !cached);
}

Result<std::string> Connection::query_text(const std::string& sql) {
    auto stmt = prepare(sql);
    if (!stmt) return error(stmt.error());
    auto row = stmt->step();
    if (!row) return error(row.error());
    if (!*row) return std::string{};
    return stmt->column_text(0);
}

std::string Connection::last_message() const { return sqlite3_errmsg(db_); }

std::uint64_t Connection::changes() const noexcept {
    return static_cast<std::uint64_t>(sqlite3_changes64(db_));
}

bool Connection::autocommit() const noexcept { return sqlite3_get_autocommit(db_) != 0; }

}  // namespace harperrt::daemon::store
