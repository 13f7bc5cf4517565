#include "daemon/broker/query.hpp"

#include "daemon/store/schema.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace harperrt::daemon::broker {

std::optional<QueryFilter> query_filter(std::string_view filter, const topic::Tables& tables) {
    const auto slash = filter.find('/');
    if (slash == std::string_view::npos || slash + 1 >= filter.size() || filter[slash + 1] != '?') return std::nullopt;
    const auto table = filter.substr(0, slash);
    if (tables.find(table) == nullptr) return std::nullopt;
    return QueryFilter{std::string(table), filter.substr(slash + 2), slash + 2};
}

LiveQueryResult make_live_query(std::string_view filter, const QueryFilter& qf, const Records& records) {
    auto parsed = query::parse(qf.text);
    if (!parsed)
        return {nullptr, fmt::format("query error at position {}: {}", qf.offset + parsed.error.position + 1,
                                     parsed.error.message)};
    auto q = std::make_shared<LiveQuery>();
    q->filter = std::string(filter);
    q->table = qf.table;
    q->primary_key = records.primary_key(qf.table);
    q->query = std::move(*parsed.query);
    return {std::move(q), {}};
}

namespace {

struct Piece {
    std::string sql;
    std::vector<store::IndexValue> params;
};

// One condition as SQL that holds for every record the condition holds for. An index
// column keeps each value's type (STRICT ... ANY: no affinity), so a literal is compared
// once per reading it has: as a number with numbers, as text with strings.
std::optional<Piece> condition_sql(const query::Condition& c) {
    const std::string col = store::quote_identifier(c.attribute);
    const auto& lit = c.value;
    std::vector<std::string> alternatives;
    Piece piece;
    auto compare = [&](std::string_view op, store::IndexValue v) {
        alternatives.push_back(col + " " + std::string(op) + " ?");
        piece.params.push_back(std::move(v));
    };
    auto numeric = [&](std::string_view op) {
        if (lit.integer) compare(op, *lit.integer);
        else if (lit.number) compare(op, *lit.number);
    };
    switch (c.op) {
    case query::Op::eq:
        if (lit.null) alternatives.push_back(col + " IS NULL");
        numeric("=");
        if (lit.text) compare("=", *lit.text);
        if (lit.boolean) compare("=", std::int64_t{*lit.boolean ? 1 : 0});  // booleans are indexed as 1 / 0
        break;
    case query::Op::gt:
    case query::Op::ge:
    case query::Op::lt:
    case query::Op::le: {
        const std::string_view op = c.op == query::Op::gt ? ">" : c.op == query::Op::ge ? ">=" : c.op == query::Op::lt ? "<" : "<=";
        numeric(op);
        if (lit.text && !lit.number) compare(op, *lit.text);  // a number orders numbers only
        break;
    }
    case query::Op::sw:
        if (lit.text) {
            // A range on the index: text >= prefix and < the next prefix. Numbers sort
            // before all text in SQLite, so they fall outside it.
            if (auto end = query::prefix_end(*lit.text)) {
                alternatives.push_back("(" + col + " >= ? AND " + col + " < ?)");
                piece.params.emplace_back(*lit.text);
                piece.params.emplace_back(std::move(*end));
            } else {
                compare(">=", *lit.text);
            }
        }
        break;
    case query::Op::ne:
    case query::Op::ew:
    case query::Op::ct: return std::nullopt;  // no index range answers these
    }
    if (alternatives.empty()) return std::nullopt;
    if (alternatives.size() == 1) {
        piece.sql = std::move(alternatives.front());
    } else {
        piece.sql = fmt::format("({})", fmt::join(alternatives, " OR "));
    }
    return piece;
}

std::optional<Piece> node_sql(const query::Node& n, std::string_view primary_key,
                              const std::vector<std::string>& indexes) {
    if (n.kind == query::Node::Kind::condition) {
        const auto& a = n.condition.attribute;
        if (a != primary_key && std::find(indexes.begin(), indexes.end(), a) == indexes.end()) return std::nullopt;
        return condition_sql(n.condition);
    }
    const bool all = n.kind == query::Node::Kind::all;
    std::vector<Piece> parts;
    for (const auto& child : n.children) {
        auto p = node_sql(child, primary_key, indexes);
        if (p) parts.push_back(std::move(*p));
        else if (!all) return std::nullopt;  // one unindexed branch of an OR: scan everything
    }
    if (parts.empty()) return std::nullopt;  // an AND of unindexed conditions
    if (parts.size() == 1) return std::move(parts.front());
    Piece out;
    out.sql = "(";
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i) out.sql += all ? " AND " : " OR ";
        out.sql += parts[i].sql;
        for (auto& p : parts[i].params) out.params.push_back(std::move(p));
    }
    out.sql += ")";
    return out;
}

}  // namespace

std::optional<ScanPlan> plan_scan(const query::Query& q, std::string_view primary_key,
                                  const std::vector<std::string>& indexes) {
    if (!q.where) return std::nullopt;
    auto piece = node_sql(*q.where, primary_key, indexes);
    if (!piece) return std::nullopt;
    return ScanPlan{std::move(piece->sql), std::move(piece->params)};
}

std::optional<std::string> order_attribute(const query::Query& q, std::string_view primary_key,
                                           const std::vector<std::string>& indexes) {
    if (!q.where) return std::nullopt;
    std::vector<const query::Node*> conjuncts;
    if (q.where->kind == query::Node::Kind::all) {
        for (const auto& child : q.where->children) conjuncts.push_back(&child);
    } else {
        conjuncts.push_back(&*q.where);
    }
    auto indexed = [&](const query::Node* n) {
        return n->kind == query::Node::Kind::condition && n->condition.attribute != primary_key &&
               std::find(indexes.begin(), indexes.end(), n->condition.attribute) != indexes.end();
    };
    // An equality with one reading is one point of its index, already in primary-key
    // order there: the default order reads it without sorting.
    auto point = [&](const query::Node* n) {
        if (n->kind != query::Node::Kind::condition || n->condition.op != query::Op::eq) return false;
        const auto& l = n->condition.value;
        return int(l.null) + int(l.number.has_value()) + int(l.text.has_value()) + int(l.boolean.has_value()) == 1;
    };
    for (const auto* n : conjuncts)
        if ((indexed(n) && point(n)) || (n->kind == query::Node::Kind::condition && n->condition.attribute == primary_key))
            return std::nullopt;
    // Otherwise a range (or an equality with several readings, several points) on an
    // indexed attribute is read in that index's order.
    for (const auto* n : conjuncts) {
        if (!indexed(n)) continue;
        const auto op = n->condition.op;
        if (op == query::Op::gt || op == query::Op::ge || op == query::Op::lt || op == query::Op::le ||
            op == query::Op::sw || (op == query::Op::eq && !n->condition.value.null))
            return n->condition.attribute;
    }
    return std::nullopt;
}

QueryScan::QueryScan(const Records& records, std::shared_ptr<const LiveQuery> query, std::size_t batch)
    : records_(records), query_(std::move(query)), batch_(std::max<std::size_t>(batch, 1)) {
    const auto& indexes = records_.indexes(query_->table);
    plan_ = plan_scan(query_->query, query_->primary_key, indexes);
    if (plan_) {
        order_by_ = order_attribute(query_->query, query_->primary_key, indexes);
        plan_where_ = plan_->where;
        if (order_by_) plan_where_ += " (in the order of " + *order_by_ + ")";
    }
    if (query_->query.limit && *query_->query.limit == 0) done_ = true;
}

Result<std::vector<store::Record>> QueryScan::read() {
    const auto& store = records_.store();
    if (plan_ && order_by_) {
        auto rows = store.scan_where_by(query_->table, *order_by_, plan_->where, plan_->params, cursor_, batch_);
        if (!rows) return error(rows.error());
        std::vector<store::Record> out;
        out.reserve(rows->size());
        if (rows->size() >= batch_) cursor_ = store::IndexCursor{rows->back().value, rows->back().record.key.id};
        for (auto& r : *rows) out.push_back(std::move(r.record));
        return out;
    }
    const std::optional<std::string_view> after = after_ ? std::optional<std::string_view>(*after_) : std::nullopt;
    auto rows = plan_ ? store.scan_where(query_->table, plan_->where, plan_->params, after, batch_)
                      : store.scan(query_->table, after, batch_);
    if (rows && rows->size() >= batch_) after_ = rows->back().key.id;
    return rows;
}

Result<std::vector<QueryMatch>> QueryScan::next() {
    std::vector<QueryMatch> out;
    if (done_) return out;
    const auto& q = query_->query;
    const bool first = !after_ && !cursor_;
    auto rows = read();
    if (!rows && first && plan_ && rows.error() == store::Errc::index_not_ready) {
        plan_.reset();  // the index is still being backfilled: scan, correct but slower
        order_by_.reset();
        plan_where_.clear();
        rows = read();
    }
    if (!rows) {
        done_ = true;
        return error(rows.error());
    }
    const bool full_batch = rows->size() >= batch_;
    for (auto& rec : *rows) {
        auto value = records_.decode_stored(rec.data);
        if (!query::matches(q, *value)) continue;
        if (skipped_ < q.offset) {
            ++skipped_;
            continue;
        }
        if (!q.select.empty()) value = std::make_shared<const encoding::Value>(query::project(*value, q.select, query_->primary_key));
        out.push_back(QueryMatch{std::move(rec.key), rec.version, std::move(value)});
        if (q.limit && ++matched_ >= *q.limit) {
            done_ = true;
            return out;
        }
    }
    if (!full_batch) done_ = true;
    return out;
}

}  // namespace harperrt::daemon::broker
