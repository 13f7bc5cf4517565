// JSON (RFC 8259) reader and writer for Value. See codec.hpp for the mapping rules.
//
// The reader is one recursive-descent parser instantiated twice: Build = true makes
// Values, Build = false only checks (looks_like_json), so both accept exactly the same
// texts. Recursion is bounded by max_depth. Array elements and map members are gathered
// on two stacks shared by the whole parse and moved into an exactly-sized vector when
// their container closes, so a container costs one allocation, not one per growth step.
#include "common/encoding/codec.hpp"
#include "common/encoding/detail.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <system_error>

namespace harperrt::encoding::detail {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Only called when std::from_chars reports result_out_of_range for a well-formed JSON
// number: decides whether its magnitude is above double's range (true) or below it, from
// the decimal exponent of its first significant digit.
bool number_overflows(const char* p, const char* end) noexcept {
    if (*p == '-') ++p;
    long lead = 0;        // position of the first significant digit relative to the point
    bool found = false;
    long int_digits = 0;
    while (p < end && is_digit(*p)) {
        if (found || *p != '0') {
            found = true;
            ++int_digits;
        }
        ++p;
    }
    if (found) {
        lead = int_digits;
    } else if (p < end && *p == '.') {
        ++p;
        long zeros = 0;
        while (p < end && *p == '0') ++zeros, ++p;
        lead = -zeros;
    }
    if (found && p < end && *p == '.') ++p;
    while (p < end && is_digit(*p)) ++p;
    long exp = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        ++p;
        bool neg = false;
        if (*p == '+' || *p == '-') neg = *p++ == '-';
        for (; p < end && is_digit(*p); ++p)
            if (exp < 1'000'000) exp = exp * 10 + (*p - '0');
        if (neg) exp = -exp;
    }
    return lead + exp > 0;
}

template <bool Build>
class Parser {
public:
    explicit Parser(std::string_view in) noexcept : p_(in.data()), end_(in.data() + in.size()) {}

    Errc run(Value* out) {
        skip_ws();
        if (Errc e = value(out, 0); e != Errc{}) return e;
        skip_ws();
        return p_ == end_ ? Errc{} : Errc::trailing_data;
    }

private:
    void skip_ws() noexcept {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }

    // Requires: p_ at the first character of a value (whitespace skipped).
    Errc value(Value* out, std::size_t depth) {
        if (p_ == end_) return Errc::truncated;
        switch (*p_) {
        case '{': return object(out, depth);
        case '[': return array(out, depth);
        case '"': {
            if constexpr (Build) {
                std::string s;
                if (Errc e = string(&s); e != Errc{}) return e;
                *out = Value(std::move(s));
                return Errc{};
            } else {
                return string(nullptr);
            }
        }
        case 't': return literal("true", out, Value(true));
        case 'f': return literal("false", out, Value(false));
        case 'n': return literal("null", out, Value());
        default: return number(out);
        }
    }

    Errc literal(std::string_view word, Value* out, Value v) {
        const auto avail = static_cast<std::size_t>(end_ - p_);
        if (avail < word.size())
            return std::string_view(p_, avail) == word.substr(0, avail) ? Errc::truncated : Errc::syntax_error;
        if (std::string_view(p_, word.size()) != word) return Errc::syntax_error;
        p_ += word.size();
        if constexpr (Build) *out = std::move(v);
        return Errc{};
    }

    Errc array(Value* out, std::size_t depth) {
        if (++depth > max_depth) return Errc::too_deep;
        ++p_;  // '['
        skip_ws();
        if (p_ == end_) return Errc::truncated;
        const std::size_t mark = values_.size();
        if (*p_ != ']') {
            for (;;) {
                Value v;
                if (Errc e = value(&v, depth); e != Errc{}) return e;
                if constexpr (Build) values_.push_back(std::move(v));
                skip_ws();
                if (p_ == end_) return Errc::truncated;
                const char c = *p_++;
                if (c == ']') break;
                if (c != ',') return Errc::syntax_error;
                skip_ws();
            }
        } else {
            ++p_;
        }
        if constexpr (Build) {
            const auto first = values_.begin() + static_cast<std::ptrdiff_t>(mark);
            *out = Value(Array(std::make_move_iterator(first), std::make_move_iterator(values_.end())));
            values_.erase(first, values_.end());
        }
        return Errc{};
    }

    Errc object(Value* out, std::size_t depth) {
        if (++depth > max_depth) return Errc::too_deep;
        ++p_;  // '{'
        skip_ws();
        if (p_ == end_) return Errc::truncated;
        const std::size_t mark = members_.size();
        if (*p_ != '}') {
            for (;;) {
                if (p_ == end_) return Errc::truncated;
                if (*p_ != '"') return Errc::syntax_error;
                std::string key;
                if (Errc e = string(Build ? &key : nullptr); e != Errc{}) return e;
                skip_ws();
                if (p_ == end_) return Errc::truncated;
                if (*p_++ != ':') return Errc::syntax_error;
                skip_ws();
                Value v;
                if (Errc e = value(&v, depth); e != Errc{}) return e;
                if constexpr (Build) members_.push_back(Member{std::move(key), std::move(v)});
                skip_ws();
                if (p_ == end_) return Errc::truncated;
                const char c = *p_++;
                if (c == '}') break;
                if (c != ',') return Errc::syntax_error;
                skip_ws();
            }
        } else {
            ++p_;
        }
        if constexpr (Build) {
            const auto first = members_.begin() + static_cast<std::ptrdiff_t>(mark);
            *out = Value(Map(std::vector<Member>(std::make_move_iterator(first), std::make_move_iterator(members_.end()))));
            members_.erase(first, members_.end());
        }
        return Errc{};
    }

    static int hex_digit(char c) noexcept {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    // Reads the 4 hex digits of a \u escape (p_ after the 'u').
    Errc hex4(unsigned& cp) noexcept {
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            if (p_ == end_) return Errc::truncated;
            const int d = hex_digit(*p_++);
            if (d < 0) return Errc::syntax_error;
            cp = cp << 4 | static_cast<unsigned>(d);
        }
        return Errc{};
    }

    static void append_utf8(std::string& s, unsigned cp) {
        if (cp < 0x80) {
            s.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            s.push_back(static_cast<char>(0xc0 | (cp >> 6)));
            s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
            s.push_back(static_cast<char>(0xe0 | (cp >> 12)));
            s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else {
            s.push_back(static_cast<char>(0xf0 | (cp >> 18)));
            s.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
            s.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            s.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        }
    }

    // Requires: p_ at the opening quote. Appends the unescaped text to *out (Build only).
    Errc string(std::string* out) {
        ++p_;
        const char* run = p_;  // verbatim stretch not yet copied to *out
        for (;;) {
            if (p_ == end_) return Errc::truncated;
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                if constexpr (Build) out->append(run, static_cast<std::size_t>(p_ - run));
                ++p_;
                return Errc{};
            }
            if (c == '\\') {
                if constexpr (Build) out->append(run, static_cast<std::size_t>(p_ - run));
                if (Errc e = escape(out); e != Errc{}) return e;
                run = p_;
                continue;
            }
            if (c < 0x20) return Errc::syntax_error;  // control characters must be escaped (§7)
            if (c < 0x80) {
                ++p_;
                continue;
            }
            const auto avail = static_cast<std::size_t>(end_ - p_);
            const std::size_t len = utf8_sequence(reinterpret_cast<const unsigned char*>(p_), avail);
            if (len == 0) {
                // A valid lead byte whose sequence runs past the end is cut text, not bad text.
                const std::size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
                if (c >= 0xc2 && c < 0xf5 && avail < need) return Errc::truncated;
                return Errc::invalid_utf8;
            }
            p_ += len;
        }
    }

    // Requires: p_ at a backslash inside a string.
    Errc escape(std::string* out) {
        ++p_;
        if (p_ == end_) return Errc::truncated;
        char simple;
        switch (*p_++) {
        case '"': simple = '"'; break;
        case '\\': simple = '\\'; break;
        case '/': simple = '/'; break;
        case 'b': simple = '\b'; break;
        case 'f': simple = '\f'; break;
        case 'n': simple = '\n'; break;
        case 'r': simple = '\r'; break;
        case 't': simple = '\t'; break;
        case 'u': {
            unsigned cp;
            if (Errc e = hex4(cp); e != Errc{}) return e;
            if (cp >= 0xdc00 && cp < 0xe000) return Errc::invalid_utf8;  // lone low surrogate
            if (cp >= 0xd800 && cp < 0xdc00) {
                // A high surrogate must be followed by an escaped low one (RFC 8259 §7).
                const auto avail = end_ - p_;
                if (avail == 0 || (avail == 1 && *p_ == '\\')) return Errc::truncated;
                if (p_[0] != '\\' || p_[1] != 'u') return Errc::invalid_utf8;
                p_ += 2;
                unsigned lo;
                if (Errc e = hex4(lo); e != Errc{}) return e;
                if (lo < 0xdc00 || lo >= 0xe000) return Errc::invalid_utf8;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if constexpr (Build) append_utf8(*out, cp);
            return Errc{};
        }
        default: return Errc::syntax_error;
        }
        if constexpr (Build) out->push_back(simple);
        return Errc{};
    }

    Errc number(Value* out) {
        const char* start = p_;
        if (*p_ == '-' && ++p_ == end_) return Errc::truncated;
        if (*p_ == '0') {
            ++p_;
        } else if (*p_ >= '1' && *p_ <= '9') {
            while (p_ != end_ && is_digit(*p_)) ++p_;
        } else {
            return Errc::syntax_error;
        }
        bool integral = true;
        if (p_ != end_ && *p_ == '.') {
            integral = false;
            if (++p_ == end_) return Errc::truncated;
            if (!is_digit(*p_)) return Errc::syntax_error;
            while (p_ != end_ && is_digit(*p_)) ++p_;
        }
        if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
            integral = false;
            if (++p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (p_ == end_) return Errc::truncated;
            if (!is_digit(*p_)) return Errc::syntax_error;
            while (p_ != end_ && is_digit(*p_)) ++p_;
        }
        if (p_ != end_ && is_digit(*p_)) return Errc::syntax_error;  // a leading zero: "01"
        if constexpr (Build) {
            const bool negative = *start == '-';
            if (integral) {
                std::uint64_t mag = 0;
                bool fits = true;
                for (const char* d = start + negative; d != p_; ++d) {
                    const auto digit = static_cast<std::uint64_t>(*d - '0');
                    if (mag > (UINT64_MAX - digit) / 10) {
                        fits = false;
                        break;
                    }
                    mag = mag * 10 + digit;
                }
                constexpr std::uint64_t min_mag = std::uint64_t{1} << 63;  // |INT64_MIN|
                if (fits && !negative) {
                    *out = Value(mag);
                    return Errc{};
                }
                if (fits && mag <= min_mag) {
                    *out = Value(mag == min_mag ? INT64_MIN : -static_cast<std::int64_t>(mag));
                    return Errc{};
                }
                // Beyond 64 bits: a float64, as JavaScript reads it.
            }
            double d = 0;
            const auto [ptr, ec] = std::from_chars(start, p_, d);
            if (ec == std::errc::result_out_of_range) {
                d = number_overflows(start, p_) ? std::numeric_limits<double>::infinity() : 0.0;
                if (negative) d = -d;
            } else if (ec != std::errc{} || ptr != p_) {
                return Errc::syntax_error;  // unreachable after the grammar check above
            }
            *out = Value(d);
        }
        return Errc{};
    }

    const char* p_;
    const char* end_;
    std::vector<Value> values_;
    std::vector<Member> members_;
};

// Writes the shortest digits that read back to `d` (std::to_chars) in the layout of
// JavaScript's Number::toString (ECMA-262 §6.1.6.1.20), so the text matches what
// JSON.stringify would print: fixed notation for decimal exponents -7 < e < 21
// (100000, 0.000001), exponential outside it (1e+21, 1e-7). An integral value also gets
// ".0" so it reads back as a float, not an integer.
void write(const Value& v, std::string& out) {
    char buf[24];
    switch (v.type()) {
    case Type::null: out += "null"; return;
    case Type::boolean: out += v.as_bool() ? "true" : "false"; return;
    case Type::int64: out.append(buf, std::to_chars(buf, buf + sizeof buf, v.as_int64()).ptr); return;
    case Type::uint64: out.append(buf, std::to_chars(buf, buf + sizeof buf, v.as_uint64()).ptr); return;
    case Type::float64: append_json_double(v.as_double(), out); return;
    case Type::string: append_json_string(out, v.as_string()); return;
    case Type::bytes:
        out.push_back('"');
        append_base64(out, v.as_bytes().data(), v.as_bytes().size());
        out.push_back('"');
        return;
    case Type::array: {
        out.push_back('[');
        bool first = true;
        for (const Value& e : v.as_array()) {
            if (!first) out.push_back(',');
            first = false;
            write(e, out);
        }
        out.push_back(']');
        return;
    }
    case Type::map: {
        out.push_back('{');
        bool first = true;
        for (const Member& m : v.as_map()) {
            if (!first) out.push_back(',');
            first = false;
            append_json_string(out, m.key);
            out.push_back(':');
            write(m.value, out);
        }
        out.push_back('}');
        return;
    }
    }
}

}  // namespace

void append_json_double(double d, std::string& out) {
    if (!std::isfinite(d)) {
        out += "null";  // JSON has no NaN or Infinity
        return;
    }
    char buf[40];
    const auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    // buf holds [-]d[.ddd]e(+|-)xx: split it into sign, significant digits and exponent.
    std::string_view sci(buf, static_cast<std::size_t>(res.ptr - buf));
    const bool negative = sci.front() == '-';
    if (negative) sci.remove_prefix(1);
    const auto e_pos = sci.find('e');
    char digits[20];
    std::size_t k = 0;
    for (char c : sci.substr(0, e_pos))
        if (c != '.') digits[k++] = c;
    int exp10 = 0;
    std::from_chars(sci.data() + e_pos + (sci[e_pos + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp10);
    const int n = exp10 + 1;  // position of the decimal point relative to the digits
    const auto kk = static_cast<int>(k);

    if (negative) out.push_back('-');
    if (kk <= n && n <= 21) {  // integral: digits, zeros, ".0"
        out.append(digits, k);
        out.append(static_cast<std::size_t>(n - kk), '0');
        out += ".0";
    } else if (0 < n && n <= 21) {  // point inside the digits
        out.append(digits, static_cast<std::size_t>(n));
        out.push_back('.');
        out.append(digits + n, k - static_cast<std::size_t>(n));
    } else if (-6 < n && n <= 0) {  // 0.000ddd
        out += "0.";
        out.append(static_cast<std::size_t>(-n), '0');
        out.append(digits, k);
    } else {  // d.ddde+x
        out.push_back(digits[0]);
        if (k > 1) {
            out.push_back('.');
            out.append(digits + 1, k - 1);
        }
        out.push_back('e');
        out.push_back(n - 1 < 0 ? '-' : '+');
        char eb[8];
        const int abs_e = n - 1 < 0 ? 1 - n : n - 1;
        out.append(eb, std::to_chars(eb, eb + sizeof eb, abs_e).ptr);
    }
}

Errc decode_json(std::string_view in, Value& out) { return Parser<true>(in).run(&out); }

Errc validate_json(std::string_view in) noexcept { return Parser<false>(in).run(nullptr); }

void encode_json(const Value& v, std::string& out) { write(v, out); }

}  // namespace harperrt::encoding::detail
