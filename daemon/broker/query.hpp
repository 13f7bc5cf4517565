// Query subscriptions (DESIGN.md §5): a filter `Table/?query` on a declared table is not a
// topic filter but a live query over the table's records (common/query/query.hpp has the
// syntax and the comparison rules). This file turns such a filter into a LiveQuery, plans
// the snapshot (the conditions on indexed attributes become an SQL condition for
// Store::scan_where; the full query is then evaluated on each record the index yields), and
// streams the snapshot in batches. The write path (router.cpp) evaluates live changes with
// compiled predicates.
#pragma once

#include "daemon/broker/records.hpp"

#include "common/query/query.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace harperrt::daemon::broker {

// `Table/?query` where Table is a declared table; nullopt for any other filter.
struct QueryFilter {
    std::string table;
    std::string_view text;  // after the '?'
    std::size_t offset = 0;  // of `text` in the filter
};
std::optional<QueryFilter> query_filter(std::string_view filter, const topic::Tables& tables);

struct LiveQuery {
    std::string filter;  // as subscribed, `Table/?...`
    std::string table;
    std::string primary_key;
    query::Query query;
};

// A parsed query subscription, or why the filter is not a valid query: "query error at
// position N: ..." with N counted in characters of the whole filter, from 1.
struct LiveQueryResult {
    std::shared_ptr<const LiveQuery> query;
    std::string error;
};
LiveQueryResult make_live_query(std::string_view filter, const QueryFilter& qf, const Records& records);

// The part of a query an index can answer: an SQL condition for Store::scan_where over the
// primary key and the indexed attributes. It selects a superset of the matching records
// (the query is still evaluated on each), or nullopt when no index helps (a full scan).
struct ScanPlan {
    std::string where;
    std::vector<store::IndexValue> params;
};
std::optional<ScanPlan> plan_scan(const query::Query& q, std::string_view primary_key,
                                  const std::vector<std::string>& indexes);
// The indexed attribute that should order a query's snapshot (see QueryScan), if any.
std::optional<std::string> order_attribute(const query::Query& q, std::string_view primary_key,
                                           const std::vector<std::string>& indexes);

// One record of a query's result, trimmed to its select().
struct QueryMatch {
    RecordKey key;
    std::uint64_t version = 0;
    std::shared_ptr<const encoding::Value> value;
};

// Streams a query's result from the store, honouring limit(offset, n): each next() reads at
// most one batch of store rows. The order is the primary key's, except when a top-level
// range condition (=gt= =ge= =lt= =le= =sw=) is on an indexed attribute: then that index
// orders the result (so the range is read from the index, not by scanning the table) and
// limit() takes the records with the lowest values in the range. Falls back to a full
// scan while an index awaits its backfill.
class QueryScan {
public:
    QueryScan(const Records& records, std::shared_ptr<const LiveQuery> query, std::size_t batch = 256);

    // The next matches (possibly none while the scan goes on); errors come from the store.
    Result<std::vector<QueryMatch>> next();
    bool done() const noexcept { return done_; }
    // The SQL condition the scan uses (empty: full scan), for logs and tests.
    const std::string& plan() const noexcept { return plan_where_; }

private:
    // One batch of store rows, advancing the position.
    Result<std::vector<store::Record>> read();

    const Records& records_;
    std::shared_ptr<const LiveQuery> query_;
    std::size_t batch_;
    std::optional<ScanPlan> plan_;
    std::string plan_where_;
    std::optional<std::string> order_by_;  // the indexed attribute that orders the scan
    std::optional<std::string> after_;     // primary-key order: the last ID read
    std::optional<store::IndexCursor> cursor_;  // index order: the last position read
    std::size_t skipped_ = 0;
    std::size_t matched_ = 0;
    bool done_ = false;
};

}  // namespace harperrt::daemon::broker
