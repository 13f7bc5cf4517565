#include "common/query/query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace harperrt::query {

std::string_view name(Op op) noexcept {
    switch (op) {
    case Op::eq: return "=eq=";
    case Op::ne: return "=ne=";
    case Op::gt: return "=gt=";
    case Op::ge: return "=ge=";
    case Op::lt: return "=lt=";
    case Op::le: return "=le=";
    case Op::sw: return "=sw=";
    case Op::ew: return "=ew=";
    case Op::ct: return "=ct=";
    }
    return "?";
}

namespace {

// --- parsing ------------------------------------------------------------------------------

struct Failure {
    std::size_t position;
    std::string message;
};

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// True if `s` is a number in JSON syntax (no leading zeros, no '+', no hex, no inf/nan).
bool json_number(std::string_view s) {
    std::size_t i = 0;
    if (i < s.size() && s[i] == '-') ++i;
    if (i >= s.size()) return false;
    if (s[i] == '0') {
        ++i;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    } else {
        return false;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        const std::size_t digits = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == digits) return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        const std::size_t digits = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == digits) return false;
    }
    return i == s.size();
}

void read_number(std::string_view s, Literal& lit) {
    double d = 0;
    // from_chars for double is in libstdc++ 11+; JSON syntax is a subset of what it takes.
    if (std::from_chars(s.data(), s.data() + s.size(), d).ec != std::errc{} || !std::isfinite(d)) return;
    lit.number = d;
    if (s.find_first_of(".eE") == std::string_view::npos) {
        std::int64_t n = 0;
        if (std::from_chars(s.data(), s.data() + s.size(), n).ec == std::errc{}) lit.integer = n;
    }
}

class Parser {
public:
    explicit Parser(std::string_view text) : s_(text) {}

    ParseResult run() {
        ParseResult out;
        Query q;
        if (s_.empty()) {
            out.query = std::move(q);
            return out;
        }
        std::size_t branches = 0;
        auto node = parse_or(0, q, branches);
        if (failure_) {
            out.error = {failure_->position, std::move(failure_->message)};
            return out;
        }
        if (i_ < s_.size()) {
            out.error = {i_, s_[i_] == ')' ? "unbalanced ')'" : fmt::format("unexpected '{}'", s_[i_])};
            return out;
        }
        if (branches > 1 && first_call_) {
            out.error = {*first_call_, "select() and limit() cannot be combined with '|'"};
            return out;
        }
        q.where = std::move(node);
        out.query = std::move(q);
        return out;
    }

private:
    bool at(char c) const { return i_ < s_.size() && s_[i_] == c; }
    bool fail(std::size_t position, std::string message) {
        if (!failure_) failure_ = Failure{position, std::move(message)};
        return false;
    }

    // Joins `parts` under `kind`, flattening a single part.
    static std::optional<Node> join(Node::Kind kind, std::vector<Node> parts) {
        if (parts.empty()) return std::nullopt;
        if (parts.size() == 1) return std::move(parts.front());
        Node n;
        n.kind = kind;
        n.children = std::move(parts);
        return n;
    }

    std::optional<Node> parse_or(int depth, Query& q, std::size_t& branches) {
        std::vector<Node> parts;
        for (;;) {
            ++branches;
            auto part = parse_and(depth, q);
            if (failure_) return std::nullopt;
            if (part) parts.push_back(std::move(*part));  // none: only select()/limit()
            if (!at('|')) break;
            ++i_;
        }
        return join(Node::Kind::any, std::move(parts));
    }

    std::optional<Node> parse_and(int depth, Query& q) {
        std::vector<Node> parts;
        for (;;) {
            if (i_ >= s_.size() || at('&') || at('|') || at(')')) {
                fail(i_, "expected a condition");
                return std::nullopt;
            }
            if (at('(')) {
                const std::size_t open = i_;
                ++i_;
                std::size_t inner_branches = 0;
                Query inner;
                auto node = parse_or(depth + 1, inner, inner_branches);
                if (failure_) return std::nullopt;
                if (!at(')')) {
                    fail(open, "'(' without a matching ')'");
                    return std::nullopt;
                }
                ++i_;
                parts.push_back(std::move(*node));  // parse_or succeeded: at least one condition
            } else if (starts_call("select(") || starts_call("limit(")) {
                const std::size_t call = i_;
                if (depth > 0) {
                    fail(call, "select() and limit() are allowed only at the top level");
                    return std::nullopt;
                }
                if (!first_call_) first_call_ = call;
                if (!parse_call(q)) return std::nullopt;
            } else {
                auto c = parse_condition();
                if (!c) return std::nullopt;
                Node n;
                n.condition = std::move(*c);
                parts.push_back(std::move(n));
            }
            if (!at('&')) break;
            ++i_;
        }
        return join(Node::Kind::all, std::move(parts));
    }

    bool starts_call(std::string_view word) const { return s_.substr(i_, word.size()) == word; }

    // Percent-decodes s_[from, to). Reports the position of a bad escape.
    std::optional<std::string> decode(std::size_t from, std::size_t to) {
        std::string out;
        out.reserve(to - from);
        for (std::size_t k = from; k < to; ++k) {
            if (s_[k] != '%') {
                out.push_back(s_[k]);
                continue;
            }
            const int hi = k + 1 < to ? hex_digit(s_[k + 1]) : -1;
            const int lo = k + 2 < to ? hex_digit(s_[k + 2]) : -1;
            if (hi < 0 || lo < 0) {
                fail(k, "bad percent-encoding");
                return std::nullopt;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            k += 2;
        }
        if (out.find('\0') != std::string::npos) {
            fail(from, "a NUL character is not allowed");
            return std::nullopt;
        }
        return out;
    }

    bool parse_call(Query& q) {
        const std::size_t start = i_;
        const bool is_select = starts_call("select(");
        i_ += is_select ? 7 : 6;
        const std::size_t args = i_;
        while (i_ < s_.size() && s_[i_] != ')') {
            if (s_[i_] == '(' || s_[i_] == '&' || s_[i_] == '|') return fail(i_, fmt::format("unexpected '{}' in {}", s_[i_], is_select ? "select()" : "limit()"));
            ++i_;
        }
        if (!at(')')) return fail(start, is_select ? "select( without a closing ')'" : "limit( without a closing ')'");
        const std::size_t close = i_;
        ++i_;
        // Split the arguments on ',' before decoding (so %2C stays inside an argument).
        std::vector<std::pair<std::size_t, std::size_t>> ranges;
        std::size_t from = args;
        for (std::size_t k = args; k <= close; ++k) {
            if (k == close || s_[k] == ',') {
                ranges.emplace_back(from, k);
                from = k + 1;
            }
        }
        if (is_select) {
            if (!q.select.empty()) return fail(start, "select() given twice");
            for (auto [a, b] : ranges) {
                if (a == b) return fail(a, "select() needs attribute names");
                auto name = decode(a, b);
                if (!name) return false;
                if (std::find(q.select.begin(), q.select.end(), *name) == q.select.end()) q.select.push_back(std::move(*name));
            }
            return true;
        }
        if (q.limit) return fail(start, "limit() given twice");
        if (ranges.size() > 2) return fail(ranges[2].first, "limit() takes one or two numbers");
        std::vector<std::size_t> numbers;
        for (auto [a, b] : ranges) {
            std::size_t n = 0;
            const auto* first = s_.data() + a;
            const auto* last = s_.data() + b;
            auto [ptr, ec] = std::from_chars(first, last, n);
            if (a == b || ec != std::errc{} || ptr != last) return fail(a, "limit() needs a non-negative integer");
            numbers.push_back(n);
        }
        if (numbers.size() == 2) {
            q.offset = numbers[0];
            q.limit = numbers[1];
        } else {
            q.limit = numbers[0];
        }
        return true;
    }

    std::optional<Condition> parse_condition() {
        const std::size_t start = i_;
        while (i_ < s_.size() && s_[i_] != '=' && s_[i_] != '!' && s_[i_] != '&' && s_[i_] != '|' &&
               s_[i_] != '(' && s_[i_] != ')')
            ++i_;
        if (i_ == start) {
            fail(start, "expected an attribute name");
            return std::nullopt;
        }
        const std::size_t name_end = i_;
        if (!at('=') && !at('!')) {
            fail(i_, fmt::format("expected an operator after '{}'", s_.substr(start, name_end - start)));
            return std::nullopt;
        }
        auto attribute = decode(start, name_end);
        if (!attribute) return std::nullopt;

        Condition c;
        c.attribute = std::move(*attribute);
        const std::size_t op_pos = i_;
        bool strict_prefix = false;  // `==value*`
        if (s_.substr(i_, 2) == "!=") {
            c.op = Op::ne;
            i_ += 2;
        } else if (s_.substr(i_, 2) == "==") {
            c.op = Op::eq;
            i_ += 2;
            strict_prefix = true;
        } else if (at('!')) {
            fail(i_, "expected '!='");
            return std::nullopt;
        } else {
            // '=' alone, or a FIQL operator '=xx=' (letters between two '=').
            std::size_t k = i_ + 1;
            while (k < s_.size() && s_[k] >= 'a' && s_[k] <= 'z') ++k;
            if (k > i_ + 1 && k < s_.size() && s_[k] == '=') {
                const std::string_view word = s_.substr(i_ + 1, k - i_ - 1);
                static constexpr std::pair<std::string_view, Op> ops[] = {
                    {"eq", Op::eq}, {"ne", Op::ne}, {"gt", Op::gt}, {"ge", Op::ge}, {"lt", Op::lt},
                    {"le", Op::le}, {"sw", Op::sw}, {"ew", Op::ew}, {"ct", Op::ct}};
                const auto* found = std::find_if(std::begin(ops), std::end(ops), [&](auto& p) { return p.first == word; });
                if (found == std::end(ops)) {
                    fail(op_pos, fmt::format("unknown operator '={}='", word));
                    return std::nullopt;
                }
                c.op = found->second;
                i_ = k + 1;
            } else {
                c.op = Op::eq;
                ++i_;
            }
        }
        const std::size_t value_start = i_;
        while (i_ < s_.size() && s_[i_] != '&' && s_[i_] != '|' && s_[i_] != ')') ++i_;
        std::size_t value_end = i_;
        if (strict_prefix && value_end > value_start && s_[value_end - 1] == '*') {
            c.op = Op::sw;  // HarperDB's `name==prefix*`
            --value_end;
        }
        auto text = decode(value_start, value_end);
        if (!text) return std::nullopt;
        if (!literal(*text, value_start, c.value)) return std::nullopt;
        return c;
    }

    bool literal(std::string& text, std::size_t position, Literal& lit) {
        constexpr std::string_view number_prefix = "number:", string_prefix = "string:", boolean_prefix = "boolean:";
        const std::string_view t = text;
        if (t.starts_with(number_prefix)) {
            const auto rest = t.substr(number_prefix.size());
            if (!json_number(rest)) return fail(position, fmt::format("'{}' is not a number", rest));
            read_number(rest, lit);
            if (!lit.number) return fail(position, fmt::format("'{}' is out of range", rest));
            return true;
        }
        if (t.starts_with(string_prefix)) {
            lit.text = std::string(t.substr(string_prefix.size()));
            return true;
        }
        if (t.starts_with(boolean_prefix)) {
            const auto rest = t.substr(boolean_prefix.size());
            if (rest != "true" && rest != "false") return fail(position, fmt::format("'{}' is not a boolean", rest));
            lit.boolean = rest == "true";
            return true;
        }
        if (json_number(t)) read_number(t, lit);
        if (t == "true" || t == "false") lit.boolean = t == "true";
        lit.null = t == "null";
        lit.text = std::move(text);
        return true;
    }

    std::string_view s_;
    std::size_t i_ = 0;
    std::optional<Failure> failure_;
    std::optional<std::size_t> first_call_;
};

// --- evaluation ---------------------------------------------------------------------------

template <class T>
bool ordered(Op op, const T& a, const T& b) noexcept {
    switch (op) {
    case Op::eq: return a == b;
    case Op::ne: return !(a == b);
    case Op::gt: return a > b;
    case Op::ge: return a >= b;
    case Op::lt: return a < b;
    case Op::le: return a <= b;
    default: return false;
    }
}

bool compare_number(const encoding::Value& v, Op op, const Literal& lit) noexcept {
    if (v.is_int64() && lit.integer) return ordered(op, v.as_int64(), *lit.integer);
    const double d = v.is_int64() ? static_cast<double>(v.as_int64())
                     : v.is_uint64() ? static_cast<double>(v.as_uint64())
                                     : v.as_double();
    if (std::isnan(d)) return op == Op::ne;
    return ordered(op, d, *lit.number);
}

bool compare_string(const std::string& s, Op op, const std::string& text) noexcept {
    switch (op) {
    case Op::sw: return s.starts_with(text);
    case Op::ew: return s.ends_with(text);
    case Op::ct: return s.find(text) != std::string::npos;
    default: return ordered(op, std::string_view(s), std::string_view(text));
    }
}

bool element_equals(const encoding::Value& v, const Literal& lit) noexcept {
    if (v.is_number()) return lit.number && compare_number(v, Op::eq, lit);
    if (v.is_string()) return lit.text && v.as_string() == *lit.text;
    if (v.is_bool()) return lit.boolean && v.as_bool() == *lit.boolean;
    if (v.is_null()) return lit.null;
    return false;
}

}  // namespace

ParseResult parse(std::string_view text) { return Parser(text).run(); }

std::optional<std::string> prefix_end(std::string prefix) {
    while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
    if (prefix.empty()) return std::nullopt;
    prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
    return prefix;
}

bool compare(const encoding::Value* v, Op op, const Literal& lit) noexcept {
    if (v == nullptr || v->is_null()) {
        if (op == Op::eq) return lit.null;
        if (op == Op::ne) return !lit.null;
        return false;
    }
    if (v->is_number()) {
        if (lit.number && op != Op::sw && op != Op::ew && op != Op::ct) return compare_number(*v, op, lit);
        return op == Op::ne;
    }
    if (v->is_string()) {
        // An ordering against a number (`temp=gt=30`) means a numeric comparison: a string
        // attribute is not in range, however it sorts as text.
        const bool ordering = op == Op::gt || op == Op::ge || op == Op::lt || op == Op::le;
        if (lit.text && !(ordering && lit.number)) return compare_string(v->as_string(), op, *lit.text);
        return op == Op::ne;
    }
    if (v->is_bool()) {
        if (lit.boolean && (op == Op::eq || op == Op::ne)) return (v->as_bool() == *lit.boolean) == (op == Op::eq);
        return op == Op::ne;
    }
    if (v->is_array() && op == Op::ct) {
        const auto& a = v->as_array();
        return std::any_of(a.begin(), a.end(), [&](const encoding::Value& e) { return element_equals(e, lit); });
    }
    return op == Op::ne;
}

bool matches(const Node& node, const encoding::Value& record) noexcept {
    switch (node.kind) {
    case Node::Kind::condition: return compare(record.find(node.condition.attribute), node.condition.op, node.condition.value);
    case Node::Kind::all:
        return std::all_of(node.children.begin(), node.children.end(), [&](const Node& n) { return matches(n, record); });
    case Node::Kind::any:
        return std::any_of(node.children.begin(), node.children.end(), [&](const Node& n) { return matches(n, record); });
    }
    return false;
}

encoding::Value project(const encoding::Value& record, const std::vector<std::string>& select,
                        std::string_view primary_key) {
    if (!record.is_map()) return record;
    encoding::Map out;
    out.reserve(select.size() + 1);
    if (std::find(select.begin(), select.end(), primary_key) == select.end())
        if (const auto* id = record.find(primary_key)) out.set(primary_key, *id);
    for (const auto& attribute : select)
        if (const auto* v = record.find(attribute)) out.set(attribute, *v);
    return encoding::Value(std::move(out));
}

std::uint32_t Slots::slot(std::string_view attribute) {
    for (std::size_t i = 0; i < names_.size(); ++i)
        if (names_[i] == attribute) return static_cast<std::uint32_t>(i);
    names_.emplace_back(attribute);
    return static_cast<std::uint32_t>(names_.size() - 1);
}

void Slots::extract(const encoding::Value* record, std::vector<const encoding::Value*>& out) const {
    out.assign(names_.size(), nullptr);
    const auto* map = record != nullptr ? record->if_map() : nullptr;
    if (map == nullptr) return;
    // One pass over the record's members; each is matched against the slot names.
    for (const auto& member : map->members())
        for (std::size_t i = 0; i < names_.size(); ++i)
            if (out[i] == nullptr && names_[i] == member.key) out[i] = &member.value;
}

Compiled compile(const Node& node, Slots& slots) {
    Compiled c;
    c.kind = node.kind;
    if (node.kind == Node::Kind::condition) {
        c.slot = slots.slot(node.condition.attribute);
        c.op = node.condition.op;
        c.value = node.condition.value;
        return c;
    }
    c.children.reserve(node.children.size());
    for (const auto& child : node.children) c.children.push_back(compile(child, slots));
    return c;
}

bool evaluate(const Compiled& c, std::span<const encoding::Value* const> slots) noexcept {
    switch (c.kind) {
    case Node::Kind::condition: return compare(slots[c.slot], c.op, c.value);
    case Node::Kind::all:
        for (const auto& child : c.children)
            if (!evaluate(child, slots)) return false;
        return true;
    case Node::Kind::any:
        for (const auto& child : c.children)
            if (evaluate(child, slots)) return true;
        return false;
    }
    return false;
}

}  // namespace harperrt::query
