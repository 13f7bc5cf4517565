// Queries on records (DESIGN.md §5): HarperDB's REST query syntax, as it follows `?` in a
// subscription filter (`Sensor/?status=active&temp=gt=30`) or a REST URL (`GET /Sensor/?...`).
//
// Grammar (whitespace is significant: it is part of names and values):
//
//   query      := [ or-expr ]                  empty: every record
//   or-expr    := and-expr ( '|' and-expr )*
//   and-expr   := term ( '&' term )*           '&' binds tighter than '|'
//   term       := '(' or-expr ')' | condition | select | limit
//   condition  := NAME op VALUE
//   op         := '=' | '==' | '!=' | '=eq=' | '=ne=' | '=gt=' | '=ge=' | '=lt=' | '=le='
//               | '=sw=' | '=ew=' | '=ct='
//   select     := 'select(' NAME ( ',' NAME )* ')'     top level only, at most once
//   limit      := 'limit(' N ')' | 'limit(' OFFSET ',' N ')'   top level only, at most once
//
// NAME and VALUE are percent-decoded after the query is split, so `%26`, `%7C`, `%28`, `%29`,
// `%3D` and `%2C` put those characters into a name or value; '+' is a plain '+'. A NAME may
// not be empty; a VALUE may (it is the empty string). `==abc*` is "starts with abc" as in
// HarperDB. `select()` and `limit()` may not sit inside '|' or parentheses.
//
// Values compare by type: a literal has a string reading and, when it parses as one, a
// number reading (JSON number syntax), a boolean reading (`true`, `false`) and a null
// reading (`null`). Each comparison uses the reading that fits the attribute's type in
// the record: numbers compare as numbers (exactly between integers), strings bytewise,
// booleans only for (in)equality. `=gt=`, `=ge=`, `=lt=` and `=le=` with a literal that
// reads as a number compare numbers only (`temp=gt=30` never matches the string "hot"),
// while `=` and `=ne=` use either reading (`code=30` matches 30 and "30"). A prefix `number:`, `string:` or `boolean:` keeps only
// that reading. A record without the attribute (or with null) equals only `null`; any
// `=ne=` of another value is true for it, every other operator false. `=sw=`, `=ew=` and
// `=ct=` apply to strings (and `=ct=` also to an array: an element equal to the literal).
//
// Everything here is pure and thread-safe on const arguments.
#pragma once

#include "common/encoding/value.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace harperrt::query {

enum class Op : std::uint8_t { eq, ne, gt, ge, lt, le, sw, ew, ct };

// The operator as written in the canonical (FIQL) form, e.g. "=gt=".
std::string_view name(Op op) noexcept;

struct Literal {
    std::optional<std::string> text;      // string reading
    std::optional<double> number;         // number reading
    std::optional<std::int64_t> integer;  // the number reading when it is an exact int64
    std::optional<bool> boolean;          // boolean reading
    bool null = false;                    // null reading

    friend bool operator==(const Literal&, const Literal&) = default;
};

struct Condition {
    std::string attribute;
    Op op = Op::eq;
    Literal value;

    friend bool operator==(const Condition&, const Condition&) = default;
};

struct Node {
    enum class Kind : std::uint8_t { condition, all, any };
    Kind kind = Kind::condition;
    Condition condition;         // Kind::condition
    std::vector<Node> children;  // Kind::all (and), Kind::any (or); at least two

    friend bool operator==(const Node&, const Node&) = default;
};

struct Query {
    std::optional<Node> where;        // nullopt: every record matches
    std::vector<std::string> select;  // empty: every attribute
    std::size_t offset = 0;           // limit(OFFSET, N): records skipped by the snapshot
    std::optional<std::size_t> limit;  // most records a snapshot (or REST answer) holds

    friend bool operator==(const Query&, const Query&) = default;
};

struct ParseError {
    std::size_t position = 0;  // 0-based offset into the text given to parse()
    std::string message;
};

struct ParseResult {
    std::optional<Query> query;  // set on success
    ParseError error;            // meaningful when query is nullopt

    explicit operator bool() const noexcept { return query.has_value(); }
};

// Parses the text after '?'. Never throws on any input.
ParseResult parse(std::string_view text);

// True if `value` (an attribute of a record, nullptr when the record lacks it) satisfies
// `op literal`.
bool compare(const encoding::Value* value, Op op, const Literal& literal) noexcept;

// True if `record` (a map) matches `node`.
bool matches(const Node& node, const encoding::Value& record) noexcept;
inline bool matches(const Query& q, const encoding::Value& record) noexcept {
    return !q.where || matches(*q.where, record);
}

// The smallest string greater than every string that starts with `prefix` (bytewise), or
// nullopt when there is none (an empty prefix, or only 0xFF bytes): `=sw=` as a range.
std::optional<std::string> prefix_end(std::string prefix);

// `record` trimmed to the selected attributes in `select` order, plus `primary_key` first
// when it is not among them. A selected attribute the record lacks is left out.
encoding::Value project(const encoding::Value& record, const std::vector<std::string>& select,
                        std::string_view primary_key);

// --- compiled form, for evaluating many queries against one record ------------------------
//
// Every query of a set is compiled against one Slots: each attribute name any of them uses
// gets a slot number. A record is looked up once per slot (extract), and each compiled
// predicate reads slots by number instead of searching the record's map.

class Slots {
public:
    std::uint32_t slot(std::string_view attribute);
    const std::vector<std::string>& names() const noexcept { return names_; }

    // out[i] = the value of attribute names()[i] in `record` (nullptr when absent, or when
    // `record` is null / not a map).
    void extract(const encoding::Value* record, std::vector<const encoding::Value*>& out) const;

private:
    std::vector<std::string> names_;
};

struct Compiled {
    Node::Kind kind = Node::Kind::condition;
    std::uint32_t slot = 0;
    Op op = Op::eq;
    Literal value;
    std::vector<Compiled> children;
};

Compiled compile(const Node& node, Slots& slots);
bool evaluate(const Compiled& c, std::span<const encoding::Value* const> slots) noexcept;

}  // namespace harperrt::query
