// The database schema: the versioned catalog (meta, record_tables, record_indexes, kv), one
// SQL table per declared harperrt table, and the reconciliation run on every open that
// creates new tables, adds and drops index columns, and refuses key-type changes.
//
// SQL names are never built from caller strings as such: a table `Dog` gets the SQL table
// "rec_Dog" (unsafe characters replaced, a suffix added on a case-insensitive clash, since
// SQLite identifiers ignore ASCII case while harperrt table names do not). The catalog
// maps harperrt names to SQL names, so a renamed or re-cased table never adopts another's
// data. Every SQL name is still quoted where it is spliced.
#pragma once

#include "common/topic/record_key.hpp"
#include "common/util/result.hpp"
#include "daemon/store/connection.hpp"
#include "daemon/store/store.hpp"

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace harperrt::daemon::store {

// Version 1: meta, record_tables, record_indexes, kv and the rec_* tables.
inline constexpr std::int64_t current_schema_version = 1;

// `name` as an SQL identifier in double quotes, inner quotes doubled.
std::string quote_identifier(std::string_view name);

struct IndexLayout {
    std::string attribute;        // the harperrt attribute name
    std::string column;           // its SQL column, quoted
    mutable std::atomic<bool> ready{true};  // false until backfilled; the writer sets it
};

// How one declared table maps onto SQL, with the statement texts the store prepares.
// Const after open, except IndexLayout::ready.
struct TableLayout {
    std::string name;
    KeyType key_type = KeyType::string;
    std::string primary_key;
    std::string sql_table;        // quoted
    std::deque<IndexLayout> indexes;  // declared order (a deque: the atomics cannot move)

    std::string put_sql;          // ?1 id, ?2 data, ?3 version, ?4.. index values
    std::string get_sql;          // ?1 id -> data, version
    std::string remove_sql;       // ?1 id
    std::string scan_sql;         // ?1 limit -> id, data, version
    std::string scan_after_sql;   // ?1 after id, ?2 limit -> id, data, version
    std::string reindex_sql;      // ?1.. index values, then id, then version
    std::string remove_returning_sql;  // ?1 id -> data of the deleted row

    // Store::keep_previous: read by the writer thread, set from any thread.
    mutable std::atomic<bool> keep_previous{false};

    const IndexLayout* find_index(std::string_view attribute) const;
};

using TableMap = std::map<std::string, std::unique_ptr<TableLayout>, std::less<>>;

struct SchemaState {
    TableMap tables;
    std::uint64_t last_version = 0;  // the highest record version ever committed
};

// Checks the declarations: table and attribute names non-empty, without NUL, unique.
Result<void> validate_tables(const std::vector<TableSpec>& tables);

// Creates the schema in an empty database or migrates an older one, then reconciles the
// declared tables, all in one transaction. Tables the database holds but `tables` omits
// are left alone (their data is kept, they are just not served). A new index on a table
// that already has records starts not ready (see Store::pending_indexes).
// Errors: Errc::schema_too_new, Errc::schema_mismatch, SQLite errors.
// Requires: `conn` is the write connection and no transaction is open.
Result<SchemaState> prepare_schema(Connection& conn, const std::vector<TableSpec>& tables);

// SQL maintained by the schema module for the writer.
inline constexpr const char* update_last_version_sql = "UPDATE meta SET value = ?1 WHERE key = 'last_version'";
inline constexpr const char* mark_index_ready_sql =
    "UPDATE record_indexes SET ready = 1 WHERE table_name = ?1 AND attribute = ?2";

}  // namespace harperrt::daemon::store
