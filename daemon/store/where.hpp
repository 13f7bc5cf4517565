// Compiles the caller's condition for Store::scan_where into SQL that is safe to splice:
// the output consists only of whitelisted keywords, operators, `?` placeholders and the
// quoted SQL columns of the table's primary key and ready indexes. Literals, comments,
// semicolons, functions and unknown names are refused, so no caller string reaches SQLite
// other than through a bound parameter.
#pragma once

#include "common/util/result.hpp"
#include "daemon/store/schema.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace harperrt::daemon::store {

struct CompiledWhere {
    std::string sql;          // e.g. `"ix_status" = ? AND "ix_temp" > ?`
    std::size_t params = 0;   // number of `?` placeholders, bound in order
};

// Grammar (tokens only; SQLite's parser checks the arrangement): attribute names, bare
// ([A-Za-z_][A-Za-z0-9_]*, exact case) or double-quoted with "" for a quote; `?`; `(` `)`
// (balanced); `,`; = == != <> < <= > >=; and the keywords AND OR NOT IS NULL LIKE GLOB
// BETWEEN IN ESCAPE (any case). A keyword-named attribute must be quoted.
// Errors: Errc::bad_query (empty, unknown token or attribute, unbalanced parentheses),
// Errc::index_not_ready (an index still waiting for its backfill).
Result<CompiledWhere> compile_where(std::string_view where, const TableLayout& table);

}  // namespace harperrt::daemon::store
