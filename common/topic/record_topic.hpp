// The mapping between MQTT topics and records (DESIGN.md §1): `Table/ID` names record ID
// of a declared table; every other topic is an ordinary MQTT topic. Also answers, for a
// subscription filter, which records it can match, so SUBSCRIBE can get one record or
// scan a table instead of reading everything.
//
// Design notes
//  1. The table is the first level, matched exactly and case-sensitively, never decoded.
//     The ID is the rest after `Table/`, percent-decoded level by level and joined with '/':
//     `T/a/b` and `T/a%2Fb` are both record "a/b". `%` must start an escape (two hex digits,
//     either case); decoded bytes must be well-formed UTF-8 (records are encoded as JSON,
//     CBOR, MessagePack text). A decoded U+0000 is allowed in an ID (to_topic escapes it).
//  2. An `integer` table's ID must be one base-10 int64 ("-5", "007"; no '+', no spaces).
//     It is kept in canonical form, so `T/007`, `T/7` and `T/%37` are all record "7".
//  3. Every record has one canonical topic, to_topic(key): each '/'-separated segment of
//     the ID with exactly `%`, `+`, `#` and U+0000 escaped (uppercase hex). For every key
//     to_record_key returns, to_record_key(to_topic(key)) == key.
//  4. Records travel under their canonical topic. The broker should route a publish to a
//     record topic under canonical_topic(name) and store subscriptions to a table under
//     canonical_filter(filter); then `T/007` and `T/7` reach the same subscribers, and
//     scope() (which tests records' canonical topics against the filter) agrees with the
//     trie. Filters whose first level is '+' or '#' are matched as written: `+/007` does
//     not match record 7 of an integer table, since its topic is `T/7`.
//  5. Table names are valid, non-empty topic levels without '%' and not starting with '$'
//     (validate_table_name), so a table's topics are unambiguous and `#` reaches them.
//
// Everything here is a pure function of its arguments; thread-safe on const Tables.
#pragma once

#include "common/topic/errc.hpp"
#include "common/topic/record_key.hpp"
#include "common/topic/string_hash.hpp"
#include "common/util/result.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace harperrt::topic {

// What the topic mapping needs to know of a declared table (config `tables.<name>`).
struct TableInfo {
    std::string name;
    KeyType key_type = KeyType::string;
};

// Checks that `name` can be a table: a valid topic name of one level (not empty, no '/',
// '+', '#', U+0000, '%', well-formed UTF-8) not starting with '$'. Error: bad_table_name.
Result<void> validate_table_name(std::string_view name);

// The declared tables, looked up by name without allocating. Built once from the config
// (and rebuilt on reload); read-only afterwards, so it can be shared between threads.
class Tables {
public:
    Tables() = default;
    // For literals (tests, defaults). Throws std::invalid_argument if a name is invalid
    // or repeated: a broken invariant, not bad input.
    Tables(std::initializer_list<TableInfo> tables);

    // Declares a table. Errors: bad_table_name (invalid, see validate_table_name, or
    // already declared).
    Result<void> add(TableInfo table);

    // The table called exactly `name`, or nullptr.
    const TableInfo* find(std::string_view name) const noexcept;
    // All tables, in declaration order.
    std::span<const TableInfo> all() const noexcept { return tables_; }
    std::size_t size() const noexcept { return tables_.size(); }
    bool empty() const noexcept { return tables_.empty(); }

private:
    std::vector<TableInfo> tables_;
    std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>> index_;
};

// Maps a topic name to the record it names. Returns nullopt if the first level is not a
// declared table (an ordinary topic; under mqtt.strictTopics the broker refuses it with
// Errc::not_a_table). Errors: no_id (`Table`, `Table/`), bad_percent_encoding (a '%'
// without two hex digits after it, or a decoded ID that is not well-formed UTF-8),
// bad_int_key (integer table, ID not an int64). Requires: validate_topic_name(topic)
// succeeded (a `/`-free `Table` is not checked for wildcards). Also fits a REST path
// without its leading '/': URL path escapes are the same percent-escapes.
Result<std::optional<RecordKey>> to_record_key(std::string_view topic, const Tables& tables);

// The canonical topic of a record (design note 3). Requires: key.id is not empty and is
// well-formed UTF-8, key.table is a valid table name, and an integer key is canonical
// (as to_record_key returns them). The result can exceed max_topic_bytes for a huge ID.
std::string to_topic(const RecordKey& key);

// The topic a publish to `name` should be routed and stored under: to_topic of its
// record for a record topic, `name` itself otherwise. Errors: those of to_record_key.
Result<std::string> canonical_topic(std::string_view name, const Tables& tables);

// The filter as it should be subscribed (design note 4): if its first level is a declared
// table, every literal level after it is decoded and re-encoded canonically (`%41` → `A`,
// `a%2Fb` → `a/b`, and for an integer table the first ID level "007" → "7"); a level that
// does not decode is left as it is (it can then match no record). Other filters, and
// wildcard levels, are returned unchanged. Requires: validate_topic_filter(filter)
// succeeded and no `$share/NAME/` prefix.
std::string canonical_filter(std::string_view filter, const Tables& tables);

// What a subscription filter can match in one table.
struct TableScope {
    enum class Kind : std::uint8_t {
        one,   // exactly one record could match: get `id`
        scan,  // scan the records whose ID starts with `id` (often ""), and keep those where
               // matches(filter, to_topic(key)) is true
    };
    std::string table;
    Kind kind = Kind::scan;
    std::string id;  // one: the record's ID; scan: a prefix of every matching ID

    RecordKey key() const { return {table, id}; }
    friend bool operator==(const TableScope&, const TableScope&) = default;
};

// What a subscription filter can match, for the snapshot SUBSCRIBE sends (DESIGN.md §2).
struct FilterScope {
    std::vector<TableScope> tables;  // in declaration order; a table not listed: no record
    bool plain_topics = false;       // may match topics outside every table (plain retained
                                     // messages): true for `#`, `+/…` and unknown first levels

    // The entry for `table`, or nullptr.
    const TableScope* find(std::string_view table) const noexcept;
};

// Which records of which tables have a canonical topic that matches `filter`, and whether
// ordinary topics can match too. `#` scans every table and plain topics; `+/x` gets record
// x of every table (where x is a canonical ID level); `T/+` and `T/#` scan T; `T/a/#`
// scans IDs starting with "a"; `T/ID` names one record; `T` and `T/` name none. A literal
// ID level that is not in canonical form (`T/%41`, `T/007` in an integer table) matches no
// record: pass the filter through canonical_filter first. Requires: validate_topic_filter
// succeeded and no `$share/NAME/` prefix. Never fails.
FilterScope scope(std::string_view filter, const Tables& tables);

}  // namespace harperrt::topic
