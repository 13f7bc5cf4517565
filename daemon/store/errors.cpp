#include "daemon/store/errors.hpp"

#include <sqlite3.h>

#include <string>

namespace harperrt::daemon::store {
namespace {

// Boost 1.74's error_category has a non-virtual destructor by design (categories are
// never deleted through a base pointer), which -Wnon-virtual-dtor flags.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class StoreCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "harperrt.store"; }
    std::string message(int ev) const override {
        switch (static_cast<Errc>(ev)) {
        case Errc::closed: return "store is closed";
        case Errc::unknown_table: return "table is not declared";
        case Errc::bad_key: return "record ID is not valid for the table's key type";
        case Errc::index_mismatch: return "number of index values differs from the declared indexes";
        case Errc::bad_query: return "condition refused (unknown column, token or parameter count)";
        case Errc::bad_option: return "invalid store options";
        case Errc::schema_mismatch: return "table was created with a different key type";
        case Errc::schema_too_new: return "database schema is newer than this program";
        case Errc::index_not_ready: return "index is waiting for a backfill";
        case Errc::unknown_index: return "attribute is not indexed";
        case Errc::version_mismatch: return "record changed since it was read";
        }
        return "unknown store error";
    }
};

class SqliteCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "sqlite"; }
    std::string message(int ev) const override { return sqlite3_errstr(ev); }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& store_category() noexcept {
    static const StoreCategory category;
    return category;
}

const boost::system::error_category& sqlite_category() noexcept {
    static const SqliteCategory category;
    return category;
}

}  // namespace harperrt::daemon::store
