// Error codes of the record store: store::Errc for what the store itself refuses (closed,
// unknown table, bad key or query) and a second category that carries SQLite's extended
// result codes with sqlite3_errstr() messages. Both are boost::system categories, so they
// travel in the same error_code as Asio's and the MQTT reason codes (STYLE.md §5).
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace harperrt::daemon::store {

enum class Errc {
    closed = 1,          // the store is closed (or closing) and takes no more work
    unknown_table,       // the table is not declared in Options::tables
    bad_key,             // an integer table's ID is not a canonical 64-bit decimal
    index_mismatch,      // put/reindex got a different number of index values than declared
    bad_query,           // scan_where: a token, column name or parameter count is refused
    bad_option,          // Options: empty/duplicate table or attribute name, zero pool size
    schema_mismatch,     // a table's key type differs from the one it was created with
    schema_too_new,      // the database was written by a newer schema version
    index_not_ready,     // scan_where names an index that still needs a backfill
    unknown_index,       // mark_index_ready: the table declares no such index
    version_mismatch,    // reindex: the record changed (or went away) since it was read
};

const boost::system::error_category& store_category() noexcept;

// SQLite's result codes (extended ones included). Compare with sqlite_error(SQLITE_BUSY).
const boost::system::error_category& sqlite_category() noexcept;

inline boost::system::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), store_category()};
}

// The error_code for an SQLite result code `rc` (not SQLITE_OK/ROW/DONE).
inline boost::system::error_code sqlite_error(int rc) noexcept { return {rc, sqlite_category()}; }

}  // namespace harperrt::daemon::store

template <>
struct boost::system::is_error_code_enum<harperrt::daemon::store::Errc> : std::true_type {};
