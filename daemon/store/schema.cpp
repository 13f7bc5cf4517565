#include "daemon/store/schema.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

namespace harperrt::daemon::store {
namespace {

// Migrates the schema from `version` to version + 1, inside prepare_schema's transaction.
// Version 1 is the first, so there is nothing to migrate yet: a case per older version goes
// here when version 2 arrives.
Result<void> migrate_from(std::int64_t version, Connection& conn) {
    (void)conn;
    switch (version) {
    default: return error(Errc::schema_mismatch);  // not a version we ever wrote
    }
}

constexpr const char* create_v1 = R"sql(
CREATE TABLE meta(
  key   TEXT PRIMARY KEY NOT NULL,
  value ANY
) STRICT, WITHOUT ROWID;
CREATE TABLE record_tables(
  name        TEXT PRIMARY KEY NOT NULL,            -- harperrt table name, case-sensitive
  sql_name    TEXT NOT NULL COLLATE NOCASE UNIQUE,  -- its rec_* table, unquoted
  key_type    TEXT NOT NULL,                        -- 'string' | 'integer'
  primary_key TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE record_indexes(
  table_name  TEXT NOT NULL,
  attribute   TEXT NOT NULL,
  column_name TEXT NOT NULL,                        -- unquoted
  index_name  TEXT NOT NULL,                        -- unquoted
  ready       INTEGER NOT NULL,                     -- 0 while a backfill is pending
  PRIMARY KEY(table_name, attribute)
) STRICT, WITHOUT ROWID;
CREATE TABLE kv(
  ns    TEXT NOT NULL,
  key   BLOB NOT NULL,                              -- BLOB: bytewise order for prefix scans
  value BLOB NOT NULL,
  PRIMARY KEY(ns, key)
) STRICT, WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('schema_version', 1), ('last_version', 0);
)sql";

const char* key_type_name(KeyType t) { return t == KeyType::integer ? "integer" : "string"; }

// Letters, digits and '_' kept, anything else '_', at most 40 bytes: the readable part of
// an SQL name. Uniqueness comes from unique_schema_name/unique_column.
std::string sanitize(std::string_view name) {
    std::string out;
    for (char c : name.substr(0, 40)) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u < 0x80 && (std::isalnum(u) != 0 || c == '_') ? c : '_');
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80) c = static_cast<char>(std::tolower(u));
    }
    return out;
}

Result<std::int64_t> query_int(Connection& conn, const std::string& sql, std::string_view arg = {}) {
    auto stmt = conn.prepare(sql);
    if (!stmt) return error(stmt.error());
    if (!arg.empty()) stmt->bind_text(1, arg);
    auto row = stmt->step();
    if (!row) return error(row.error());
    return *row ? stmt->column_int(0) : std::int64_t{0};
}

// `base`, or `base_2`, `base_3`... whichever no schema object uses, ignoring ASCII case.
Result<std::string> unique_schema_name(Connection& conn, const std::string& base) {
    std::string candidate = base;
    for (int n = 2;; ++n) {
        auto taken = query_int(conn, "SELECT count(*) FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE",
                               candidate);
        if (!taken) return error(taken.error());
        if (*taken == 0) return candidate;
        candidate = base + "_" + std::to_string(n);
    }
}

std::string unique_column(const std::set<std::string>& taken_lower, const std::string& base) {
    std::string candidate = base;
    for (int n = 2; taken_lower.contains(lower(candidate)); ++n) candidate = base + "_" + std::to_string(n);
    return candidate;
}

Result<std::set<std::string>> column_names_lower(Connection& conn, const std::string& sql_name) {
    auto stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)");
    if (!stmt) return error(stmt.error());
    stmt->bind_text(1, sql_name);
    std::set<std::string> names;
    for (;;) {
        auto row = stmt->step();
        if (!row) return error(row.error());
        if (!*row) return names;
        names.insert(lower(stmt->column_text(0)));
    }
}

// Fills in the statement texts once the columns are known.
void build_sql(TableLayout& t) {
    const std::string& T = t.sql_table;
    std::string cols = "id, data, version";
    std::string vals = "?1, ?2, ?3";
    std::string sets = "version = version";
    int n = 0;
    for (const auto& ix : t.indexes) {
        ++n;
        cols += ", " + ix.column;
        vals += ", ?" + std::to_string(n + 3);
        sets += ", " + ix.column + " = ?" + std::to_string(n);
    }
    t.put_sql = "INSERT OR REPLACE INTO " + T + "(" + cols + ") VALUES (" + vals + ")";
    t.get_sql = "SELECT data, version FROM " + T + " WHERE id = ?1";
    t.remove_sql = "DELETE FROM " + T + " WHERE id = ?1";
    t.remove_returning_sql = "DELETE FROM " + T + " WHERE id = ?1 RETURNING data";
    t.scan_sql = "SELECT id, data, version FROM " + T + " ORDER BY id LIMIT ?1";
    t.scan_after_sql = "SELECT id, data, version FROM " + T + " WHERE id > ?1 ORDER BY id LIMIT ?2";
    t.reindex_sql = "UPDATE " + T + " SET " + sets + " WHERE id = ?" + std::to_string(n + 1) +
                    " AND version = ?" + std::to_string(n + 2);
}

struct CatalogIndex {
    std::string attribute, column, index_name;
    bool ready = true;
};

Result<std::unique_ptr<TableLayout>> reconcile_table(Connection& conn, const TableSpec& spec) {
    auto layout = std::make_unique<TableLayout>();
    layout->name = spec.name;
    layout->key_type = spec.key_type;
    layout->primary_key = spec.primary_key;

    std::string sql_name;
    bool empty = true;
    {
        auto stmt = conn.prepare("SELECT sql_name, key_type, primary_key FROM record_tables WHERE name = ?1");
        if (!stmt) return error(stmt.error());
        stmt->bind_text(1, spec.name);
        auto row = stmt->step();
        if (!row) return error(row.error());
        if (*row) {
            sql_name = stmt->column_text(0);
            if (stmt->column_text(1) != key_type_name(spec.key_type)) return error(Errc::schema_mismatch);
            if (stmt->column_text(2) != spec.primary_key) {
                auto up = conn.prepare("UPDATE record_tables SET primary_key = ?2 WHERE name = ?1");
                if (!up) return error(up.error());
                up->bind_text(1, spec.name);
                up->bind_text(2, spec.primary_key);
                if (auto r = up->run(); !r) return error(r.error());
            }
        }
    }
    if (sql_name.empty()) {
        auto name = unique_schema_name(conn, "rec_" + sanitize(spec.name));
        if (!name) return error(name.error());
        sql_name = *name;
        const char* id_type = spec.key_type == KeyType::integer ? "INTEGER" : "TEXT";
        if (auto r = conn.exec("CREATE TABLE " + quote_identifier(sql_name) + "(id " + id_type +
                               " PRIMARY KEY NOT NULL, data BLOB NOT NULL, version INTEGER NOT NULL)"
                               " STRICT, WITHOUT ROWID");
            !r)
            return error(r.error());
        auto ins = conn.prepare("INSERT INTO record_tables(name, sql_name, key_type, primary_key) "
                                "VALUES (?1, ?2, ?3, ?4)");
        if (!ins) return error(ins.error());
        ins->bind_text(1, spec.name);
        ins->bind_text(2, sql_name);
        ins->bind_text(3, key_type_name(spec.key_type));
        ins->bind_text(4, spec.primary_key);
        if (auto r = ins->run(); !r) return error(r.error());
    } else {
        auto any = query_int(conn, "SELECT EXISTS (SELECT 1 FROM " + quote_identifier(sql_name) + ")");
        if (!any) return error(any.error());
        empty = *any == 0;
    }
    layout->sql_table = quote_identifier(sql_name);

    // The indexes the catalog has for this table.
    std::vector<CatalogIndex> existing;
    {
        auto stmt = conn.prepare("SELECT attribute, column_name, index_name, ready FROM record_indexes "
                                 "WHERE table_name = ?1");
        if (!stmt) return error(stmt.error());
        stmt->bind_text(1, spec.name);
        for (;;) {
            auto row = stmt->step();
            if (!row) return error(row.error());
            if (!*row) break;
            existing.push_back({stmt->column_text(0), stmt->column_text(1), stmt->column_text(2),
                                stmt->column_int(3) != 0});
        }
    }
    // Indexes no longer declared: drop the SQL index, then the column (SQLite refuses to
    // drop an indexed column), then the catalog row.
    for (const auto& ix : existing) {
        if (std::find(spec.indexes.begin(), spec.indexes.end(), ix.attribute) != spec.indexes.end()) continue;
        if (auto r = conn.exec("DROP INDEX IF EXISTS " + quote_identifier(ix.index_name)); !r)
            return error(r.error());
        if (auto r = conn.exec("ALTER TABLE " + quote_identifier(sql_name) + " DROP COLUMN " +
                               quote_identifier(ix.column));
            !r)
            return error(r.error());
        auto del = conn.prepare("DELETE FROM record_indexes WHERE table_name = ?1 AND attribute = ?2");
        if (!del) return error(del.error());
        del->bind_text(1, spec.name);
        del->bind_text(2, ix.attribute);
        if (auto r = del->run(); !r) return error(r.error());
    }
    // Declared indexes, in declared order; new ones get a column and an SQL index.
    for (const auto& attribute : spec.indexes) {
        auto& out = layout->indexes.emplace_back();
        out.attribute = attribute;
        auto found = std::find_if(existing.begin(), existing.end(),
                                  [&](const CatalogIndex& c) { return c.attribute == attribute; });
        if (found != existing.end()) {
            out.column = quote_identifier(found->column);
            out.ready.store(found->ready);
            continue;
        }
        auto taken = column_names_lower(conn, sql_name);
        if (!taken) return error(taken.error());
        const std::string column = unique_column(*taken, "ix_" + sanitize(attribute));
        auto index_name = unique_schema_name(conn, "idx_" + sql_name.substr(4) + "_" + sanitize(attribute));
        if (!index_name) return error(index_name.error());
        if (auto r = conn.exec("ALTER TABLE " + quote_identifier(sql_name) + " ADD COLUMN " +
                               quote_identifier(column) + " ANY");
            !r)
            return error(r.error());
        if (auto r = conn.exec("CREATE INDEX " + quote_identifier(*index_name) + " ON " +
                               quote_identifier(sql_name) + "(" + quote_identifier(column) + ")");
            !r)
            return error(r.error());
        auto ins = conn.prepare("INSERT INTO record_indexes(table_name, attribute, column_name, index_name, "
                                "ready) VALUES (?1, ?2, ?3, ?4, ?5)");
        if (!ins) return error(ins.error());
        ins->bind_text(1, spec.name);
        ins->bind_text(2, attribute);
        ins->bind_text(3, column);
        ins->bind_text(4, *index_name);
        ins->bind_int(5, empty ? 1 : 0);
        if (auto r = ins->run(); !r) return error(r.error());
        out.column = quote_identifier(column);
        out.ready.store(empty);
    }
    build_sql(*layout);
    return layout;
}

Result<SchemaState> prepare_in_transaction(Connection& conn, const std::vector<TableSpec>& tables) {
    auto has_meta = query_int(conn, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'");
    if (!has_meta) return error(has_meta.error());
    if (*has_meta == 0) {
        if (auto r = conn.exec(create_v1); !r) return error(r.error());
    } else {
        auto version = query_int(conn, "SELECT value FROM meta WHERE key = 'schema_version'");
        if (!version) return error(version.error());
        if (*version > current_schema_version) return error(Errc::schema_too_new);
        for (auto v = *version; v < current_schema_version; ++v) {
            if (auto r = migrate_from(v, conn); !r) return error(r.error());
            auto up = conn.prepare("UPDATE meta SET value = ?1 WHERE key = 'schema_version'");
            if (!up) return error(up.error());
            up->bind_int(1, v + 1);
            if (auto r = up->run(); !r) return error(r.error());
        }
    }

    SchemaState state;
    auto last = query_int(conn, "SELECT value FROM meta WHERE key = 'last_version'");
    if (!last) return error(last.error());
    state.last_version = static_cast<std::uint64_t>(*last);
    for (const auto& spec : tables) {
        auto layout = reconcile_table(conn, spec);
        if (!layout) return error(layout.error());
        state.tables.emplace(spec.name, std::move(*layout));
    }
    return state;
}

}  // namespace

std::string quote_identifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

const IndexLayout* TableLayout::find_index(std::string_view attribute) const {
    for (const auto& ix : indexes)
        if (ix.attribute == attribute) return &ix;
    return nullptr;
}

Result<void> validate_tables(const std::vector<TableSpec>& tables) {
    std::set<std::string_view> names;
    const auto bad_name = [](std::string_view s) { return s.empty() || s.find('\0') != std::string_view::npos; };
    for (const auto& t : tables) {
        if (bad_name(t.name) || bad_name(t.primary_key) || !names.insert(t.name).second)
            return error(Errc::bad_option);
        std::set<std::string_view> attributes;
        for (const auto& a : t.indexes)
            if (bad_name(a) || !attributes.insert(a).second) return error(Errc::bad_option);
    }
    return ok();
}

Result<SchemaState> prepare_schema(Connection& conn, const std::vector<TableSpec>& tables) {
    if (auto r = conn.exec("BEGIN IMMEDIATE"); !r) return error(r.error());
    auto state = prepare_in_transaction(conn, tables);
    if (!state) {
        (void)conn.exec("ROLLBACK");
        return state;
    }
    if (auto r = conn.exec("COMMIT"); !r) {
        (void)conn.exec("ROLLBACK");
        return error(r.error());
    }
    return state;
}

}  // namespace harperrt::daemon::store
