// A thin RAII layer over one sqlite3 connection: opening with the store's pragmas, a cache
// of prepared statements, and a Statement handle that binds, steps and resets. Errors come
// back as sqlite_category() codes. A Connection is used by one thread at a time (the
// store opens connections with SQLITE_OPEN_NOMUTEX and hands each to one owner).
#pragma once

#include "common/util/result.hpp"
#include "daemon/store/store.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace harperrt::daemon::store {

// A prepared statement borrowed from a Connection's cache (or owned, when the cache is
// full). On destruction it is reset and its bindings cleared, so text bound without a copy
// must outlive only the Statement. Parameter indexes start at 1, columns at 0.
class Statement {
public:
    Statement() = default;
    Statement(sqlite3_stmt* stmt, bool owned) noexcept : stmt_(stmt), owned_(owned) {}
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Binding never copies: the bytes must stay valid while this Statement lives.
    void bind_null(int index);
    void bind_int(int index, std::int64_t value);
    void bind_double(int index, double value);
    void bind_text(int index, std::string_view value);
    void bind_blob(int index, std::string_view value);
    void bind(int index, const IndexValue& value);

    // True when a row is ready, false when the statement is done.
    Result<bool> step();
    // Steps to completion (for statements that return no rows of interest).
    Result<void> run();

    std::int64_t column_int(int col) const;
    std::string column_text(int col) const;   // TEXT or BLOB bytes; empty for NULL
    bool column_is_null(int col) const;
    // The column as an index value: integer, real, text (a BLOB reads as text), or NULL.
    IndexValue column_value(int col) const;

    sqlite3_stmt* handle() const noexcept { return stmt_; }

private:
    void release() noexcept;
    void note(int rc) noexcept;

    sqlite3_stmt* stmt_ = nullptr;
    bool owned_ = false;
    int bind_rc_ = 0;  // first failed bind's result code (SQLITE_OK = 0)
};

class Connection {
public:
    enum class Mode : std::uint8_t { read_write, read_only };

    // Opens (creating, in read_write mode) the database file and applies the pragmas every
    // store connection gets: extended result codes, busy timeout, and query_only for readers.
    static Result<std::unique_ptr<Connection>> open(const std::filesystem::path& path, Mode mode,
                                                    std::chrono::milliseconds busy_timeout);

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Runs one or more statements that return nothing we need (DDL, pragmas, BEGIN...).
    Result<void> exec(const std::string& sql);
    // A cached prepared statement for `sql`. Requires: the same SQL is not in use already
    // through another live Statement of this connection.
    Result<Statement> prepare(const std::string& sql);
    // The first column of the first row of `sql` as text (for pragmas), empty if no row.
    Result<std::string> query_text(const std::string& sql);

    // The last error's message (sqlite3_errmsg), for diagnostics.
    std::string last_message() const;
    // Rows changed by the last INSERT/UPDATE/DELETE.
    std::uint64_t changes() const noexcept;
    // True when no transaction is open (SQLite rolled back on its own after some errors).
    bool autocommit() const noexcept;
    sqlite3* handle() const noexcept { return db_; }

private:
    explicit Connection(sqlite3* db) noexcept : db_(db) {}

    static constexpr std::size_t max_cached = 256;  // then statements are prepared uncached

    sqlite3* db_;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace harperrt::daemon::store
