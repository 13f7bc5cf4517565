#include "common/topic/record_topic.hpp"

#include "common/topic/levels.hpp"
#include "common/topic/topic.hpp"
#include "common/topic/utf8.hpp"

#include <array>
#include <charconv>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace harperrt::topic {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Appends the percent-decoding of `in` to `out`. A '/' is copied like any other byte, so
// decoding "a/b%2Fc" as one string equals decoding it level by level and joining with '/'
// (an escape cannot span a '/', which is not a hex digit). False on a bad escape.
bool percent_decode_append(std::string_view in, std::string& out) {
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        if (in.size() - i < 3) return false;
        const int hi = hex_value(in[i + 1]);
        const int lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(static_cast<unsigned char>(hi * 16 + lo));
        i += 2;
    }
    return true;
}

// Appends `id` with the bytes that cannot stand in a topic name level escaped: '+' and '#'
// are wildcards [MQTT-4.7.0-1], U+0000 is forbidden [MQTT-4.7.3-2], and '%' starts an
// escape. '/' is kept: it separates the segments of a composite ID.
void percent_encode_append(std::string_view id, std::string& out) {
    static constexpr std::array<char, 16> hex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                 '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    for (char c : id) {
        if (c == '%' || c == '+' || c == '#' || c == '\0') {
            const auto b = static_cast<unsigned char>(c);
            out += '%';
            out += hex[b >> 4];
            out += hex[b & 0x0F];
        } else {
            out += c;
        }
    }
}

// The canonical decimal form of a base-10 int64 ("007" → "7", "-0" → "0"), or nullopt.
std::optional<std::string> canonical_int(std::string_view s) {
    std::int64_t v = 0;
    const char* const end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, v);  // no '+', no spaces
    if (ec != std::errc{} || ptr != end) return std::nullopt;
    std::array<char, 24> buf{};
    const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return std::string(buf.data(), res.ptr);
}

// The decoded segment if `level` is the canonical encoding of one ID segment (what
// to_topic writes), else nullopt.
std::optional<std::string> canonical_segment(std::string_view level) {
    std::string decoded;
    if (!percent_decode_append(level, decoded)) return std::nullopt;
    if (decoded.find('/') != std::string::npos || !is_well_formed_utf8(decoded)) return std::nullopt;
    std::string encoded;
    percent_encode_append(decoded, encoded);
    if (encoded != level) return std::nullopt;
    return decoded;
}

// Which records of `table` have a canonical topic matched by the filter levels from `it`
// on (the levels after the table's own). Appends the answer to `out`, or nothing if none.
void scope_table(const TableInfo& table, LevelIterator it, std::vector<TableScope>& out) {
    const LevelIterator end;
    if (it == end) return;  // the bare table `T` names no record
    const auto one = [&](std::string id) { out.push_back({table.name, TableScope::Kind::one, std::move(id)}); };
    const auto scan = [&](std::string prefix) {
        out.push_back({table.name, TableScope::Kind::scan, std::move(prefix)});
    };

    if (table.key_type == KeyType::integer) {
        // An integer ID is one level, so only `T/x` and `T/x/#` can match a record.
        const std::string_view first = *it;
        ++it;
        if (it != end && *it != "#") return;
        if (first == "+" || first == "#") return scan({});
        if (auto id = canonical_int(first); id && *id == first) one(std::move(*id));
        return;
    }

    // String table: the ID levels are literal up to the first wildcard. Every literal level
    // must be in canonical form to equal a level of some record's to_topic().
    std::string prefix;  // the decoded literal levels before the first wildcard
    std::size_t literals = 0;
    std::string_view wildcard;
    for (; it != end; ++it) {
        const std::string_view level = *it;
        if (level == "+" || level == "#") {
            if (wildcard.empty()) wildcard = level;
            continue;
        }
        auto segment = canonical_segment(level);
        if (!segment) return;
        if (wildcard.empty()) {
            if (literals++ > 0) prefix += '/';
            prefix += *segment;
        }
    }
    if (wildcard.empty()) {
        if (!prefix.empty()) one(std::move(prefix));  // `T/` would be the empty ID
        return;
    }
    if (literals == 0) return scan({});
    // `T/a/+` matches IDs "a/…"; `T/a/#` matches "a" itself and "a/…". With an empty
    // literal part ("T//#") the parent ID "" is no record, so every match starts with '/'.
    if (wildcard == "+" || prefix.empty()) prefix += '/';
    scan(std::move(prefix));
}

}  // namespace

Result<void> validate_table_name(std::string_view name) {
    if (!validate_topic_name(name)) return error(Errc::bad_table_name);
    if (name.find_first_of("/%") != std::string_view::npos) return error(Errc::bad_table_name);
    if (name.front() == '$') return error(Errc::bad_table_name);  // [MQTT-4.7.2-1]: `#` would miss it
    return ok();
}

Tables::Tables(std::initializer_list<TableInfo> tables) {
    for (const auto& t : tables)
        if (!add(t)) throw std::invalid_argument("invalid or repeated table name: " + t.name);
}

Result<void> Tables::add(TableInfo table) {
    if (auto r = validate_table_name(table.name); !r) return r;
    if (index_.contains(table.name)) return error(Errc::bad_table_name);
    index_.emplace(table.name, tables_.size());
    tables_.push_back(std::move(table));
    return ok();
}

const TableInfo* Tables::find(std::string_view name) const noexcept {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &tables_[it->second];
}

Result<std::optional<RecordKey>> to_record_key(std::string_view topic, const Tables& tables) {
    const auto slash = topic.find('/');
    const TableInfo* table = tables.find(topic.substr(0, slash));
    if (!table) return std::optional<RecordKey>{};
    if (slash == std::string_view::npos) return error(Errc::no_id);  // bare `Table`
    const auto rest = topic.substr(slash + 1);
    if (rest.empty()) return error(Errc::no_id);  // `Table/`
    std::string id;
    id.reserve(rest.size());
    if (!percent_decode_append(rest, id) || !is_well_formed_utf8(id)) return error(Errc::bad_percent_encoding);
    if (table->key_type == KeyType::integer) {
        auto canonical = canonical_int(id);
        if (!canonical) return error(Errc::bad_int_key);
        id = std::move(*canonical);
    }
    return std::optional<RecordKey>(RecordKey{table->name, std::move(id)});
}

std::string to_topic(const RecordKey& key) {
    std::string topic;
    topic.reserve(key.table.size() + 1 + key.id.size());
    topic += key.table;
    topic += '/';
    percent_encode_append(key.id, topic);
    return topic;
}

Result<std::string> canonical_topic(std::string_view name, const Tables& tables) {
    auto key = to_record_key(name, tables);
    if (!key) return error(key.error());
    if (!*key) return std::string(name);
    return to_topic(**key);
}

std::string canonical_filter(std::string_view filter, const Tables& tables) {
    auto it = LevelIterator(filter);
    const TableInfo* table = tables.find(*it);
    if (!table) return std::string(filter);
    std::string out(table->name);
    out.reserve(filter.size());
    bool first_id_level = true;
    for (++it; it != LevelIterator(); ++it, first_id_level = false) {
        const std::string_view level = *it;
        out += '/';
        if (level == "+" || level == "#") {
            out += level;
            continue;
        }
        std::string decoded;
        if (!percent_decode_append(level, decoded) || !is_well_formed_utf8(decoded)) {
            out += level;  // matches no record either way; keep what the client wrote
            continue;
        }
        if (table->key_type == KeyType::integer && first_id_level) {
            if (auto n = canonical_int(decoded)) {
                out += *n;
                continue;
            }
        }
        percent_encode_append(decoded, out);  // a decoded '/' splits the level
    }
    return out;
}

const TableScope* FilterScope::find(std::string_view table) const noexcept {
    for (const auto& t : tables)
        if (t.table == table) return &t;
    return nullptr;
}

FilterScope scope(std::string_view filter, const Tables& tables) {
    FilterScope result;
    auto it = LevelIterator(filter);
    const std::string_view first = *it;
    ++it;
    if (first == "#" || first == "+") {
        result.plain_topics = true;
        for (const auto& table : tables.all()) {
            if (table.name.starts_with('$')) continue;  // [MQTT-4.7.2-1], if one was ever declared
            if (first == "#")
                result.tables.push_back({table.name, TableScope::Kind::scan, {}});
            else
                scope_table(table, it, result.tables);  // `+/x` is `T/x` for every table T
        }
        return result;
    }
    if (const TableInfo* table = tables.find(first))
        scope_table(*table, it, result.tables);
    else
        result.plain_topics = true;
    return result;
}

}  // namespace harperrt::topic
