// CBOR (RFC 8949) reader and writer for Value. See codec.hpp for the mapping rules.
//
// The reader is recursive descent over the bytes, bounded by max_depth (tags are skipped
// in a loop, so a chain of tags costs no stack). Every length is checked against the
// bytes left before it is used, and container counts against a budget (see take_budget)
// before anything is reserved, so memory stays proportional to the payload. The writer uses preferred serialization (§4.1).
#include "common/encoding/codec.hpp"
#include "common/encoding/detail.hpp"

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>

namespace harperrt::encoding::detail {
namespace {

// Major types (§3.1).
constexpr unsigned major_uint = 0, major_nint = 1, major_bytes = 2, major_text = 3, major_array = 4,
                   major_map = 5, major_tag = 6, major_simple = 7;
constexpr unsigned ai_indefinite = 31;
constexpr unsigned char break_byte = 0xff;

// §D: a half-precision float's value.
double half_to_double(unsigned h) noexcept {
    const unsigned exp = (h >> 10) & 0x1f;
    const unsigned mant = h & 0x3ff;
    double v;
    if (exp == 0) v = std::ldexp(mant, -24);
    else if (exp != 31) v = std::ldexp(mant + 1024, static_cast<int>(exp) - 25);
    else v = mant == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
    return (h & 0x8000) ? -v : v;
}

class Reader {
public:
    explicit Reader(std::string_view in) noexcept
        : p_(reinterpret_cast<const unsigned char*>(in.data())), end_(p_ + in.size()), budget_(in.size()) {}

    Errc run(Value& out) {
        if (Errc e = value(out, 0); e != Errc{}) return e;
        return p_ == end_ ? Errc{} : Errc::trailing_data;
    }

private:
    std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }

    std::uint64_t read_be(std::size_t n) noexcept {
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i) v = v << 8 | p_[i];
        p_ += n;
        return v;
    }

    // Reads an initial byte and its argument (§3). For ai 31 `arg` is 0 and the caller
    // decides whether indefinite length is allowed for the major type.
    Errc head(unsigned& major, unsigned& ai, std::uint64_t& arg) noexcept {
        if (p_ == end_) return Errc::truncated;
        const unsigned ib = *p_++;
        major = ib >> 5;
        ai = ib & 0x1f;
        if (ai < 24) {
            arg = ai;
        } else if (ai < 28) {
            const std::size_t n = std::size_t{1} << (ai - 24);  // 1, 2, 4, 8 bytes
            if (left() < n) return Errc::truncated;
            arg = read_be(n);
        } else if (ai == ai_indefinite) {
            arg = 0;
        } else {
            return Errc::syntax_error;  // 28..30 are reserved (§3)
        }
        return Errc{};
    }

    // A definite or indefinite string of major type 2 or 3 (head already read).
    Errc string_body(unsigned major, unsigned ai, std::uint64_t len, std::string& s) {
        if (ai != ai_indefinite) return chunk(major, len, s);
        for (;;) {  // §3.2.3: definite chunks of the same major type, then a break
            if (p_ == end_) return Errc::truncated;
            if (*p_ == break_byte) {
                ++p_;
                return Errc{};
            }
            unsigned m, a;
            std::uint64_t n;
            if (Errc e = head(m, a, n); e != Errc{}) return e;
            if (m != major || a == ai_indefinite) return Errc::syntax_error;
            if (Errc e = chunk(major, n, s); e != Errc{}) return e;
        }
    }

    Errc chunk(unsigned major, std::uint64_t len, std::string& s) {
        if (len > left()) return Errc::truncated;
        const auto n = static_cast<std::size_t>(len);
        if (major == major_text && !is_valid_utf8(p_, n)) return Errc::invalid_utf8;
        s.append(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return Errc{};
    }

    bool at_break() const noexcept { return p_ != end_ && *p_ == break_byte; }

    Errc value(Value& out, std::size_t depth) {
        unsigned major, ai;
        std::uint64_t arg;
        do {  // tags (§3.4) are skipped: the tagged item stands for itself
            if (Errc e = head(major, ai, arg); e != Errc{}) return e;
            if (ai == ai_indefinite && (major == major_uint || major == major_nint || major == major_tag))
                return Errc::syntax_error;
        } while (major == major_tag);

        switch (major) {
        case major_uint: out = Value(arg); return Errc{};
        case major_nint:
            if (arg > static_cast<std::uint64_t>(INT64_MAX)) return Errc::out_of_range;
            out = Value(-1 - static_cast<std::int64_t>(arg));
            return Errc{};
        case major_bytes: {
            std::string s;
            if (Errc e = string_body(major, ai, arg, s); e != Errc{}) return e;
            const auto* b = reinterpret_cast<const std::byte*>(s.data());
            out = Value(Bytes(b, b + s.size()));
            return Errc{};
        }
        case major_text: {
            std::string s;
            if (Errc e = string_body(major, ai, arg, s); e != Errc{}) return e;
            out = Value(std::move(s));
            return Errc{};
        }
        case major_array: return array(out, ai, arg, depth);
        case major_map: return map(out, ai, arg, depth);
        default: return simple(out, ai, arg);
        }
    }

    // Definite containers are sized once from their declared count, but only within
    // budget_: every item takes at least one byte, so the counts of all containers of a
    // valid payload add up to at most its size. A payload whose nested containers claim
    // more cannot be valid and is refused before anything is allocated for it.
    bool take_budget(std::uint64_t items) noexcept {
        if (items > budget_) return false;
        budget_ -= items;
        return true;
    }

    Errc array(Value& out, unsigned ai, std::uint64_t count, std::size_t depth) {
        if (++depth > max_depth) return Errc::too_deep;
        Array a;
        if (ai == ai_indefinite) {
            while (!at_break()) {
                if (p_ == end_) return Errc::truncated;
                if (Errc e = value(a.emplace_back(), depth); e != Errc{}) return e;
            }
            ++p_;  // the break
        } else {
            if (!take_budget(count)) return Errc::truncated;
            a.resize(static_cast<std::size_t>(count));
            for (Value& v : a)
                if (Errc e = value(v, depth); e != Errc{}) return e;
        }
        out = Value(std::move(a));
        return Errc{};
    }

    Errc map(Value& out, unsigned ai, std::uint64_t count, std::size_t depth) {
        if (++depth > max_depth) return Errc::too_deep;
        std::vector<Member> members;
        if (ai == ai_indefinite) {
            while (!at_break()) {
                if (p_ == end_) return Errc::truncated;
                if (Errc e = member(members.emplace_back(), depth); e != Errc{}) return e;
            }
            ++p_;  // the break
        } else {
            if (count > budget_ / 2 || !take_budget(2 * count)) return Errc::truncated;
            members.resize(static_cast<std::size_t>(count));
            for (Member& m : members)
                if (Errc e = member(m, depth); e != Errc{}) return e;
        }
        out = Value(Map(std::move(members)));
        return Errc{};
    }

    Errc member(Member& m, std::size_t depth) {
        // Fast path: a short definite text key (the usual case) goes straight into m.key.
        if (p_ != end_ && (*p_ >> 5) == major_text && (*p_ & 0x1f) < 24) {
            const std::size_t n = *p_ & 0x1fu;
            if (left() < n + 1) return Errc::truncated;
            if (!is_valid_utf8(p_ + 1, n)) return Errc::invalid_utf8;
            m.key.assign(reinterpret_cast<const char*>(p_ + 1), n);
            p_ += n + 1;
        } else {
            Value key;
            if (Errc e = value(key, depth); e != Errc{}) return e;
            switch (key.type()) {
            case Type::string: m.key = std::move(key.as_string()); break;
            case Type::int64: m.key = std::to_string(key.as_int64()); break;
            case Type::uint64: m.key = std::to_string(key.as_uint64()); break;
            default: return Errc::non_string_key;
            }
        }
        return value(m.value, depth);
    }

    // Major type 7 (§3.3): `arg` holds the simple value or the float's bits.
    Errc simple(Value& out, unsigned ai, std::uint64_t arg) {
        switch (ai) {
        case 20: out = Value(false); return Errc{};
        case 21: out = Value(true); return Errc{};
        case 22:                             // null
        case 23: out = Value(); return Errc{};  // undefined: the model has only null
        case 24: return arg < 32 ? Errc::syntax_error : Errc::unsupported_type;  // §3.3
        case 25: out = Value(half_to_double(static_cast<unsigned>(arg))); return Errc{};
        case 26: out = Value(std::bit_cast<float>(static_cast<std::uint32_t>(arg))); return Errc{};
        case 27: out = Value(std::bit_cast<double>(arg)); return Errc{};
        case ai_indefinite: return Errc::syntax_error;  // a break outside an indefinite item
        default: return Errc::unsupported_type;        // unassigned simple values 0..19
        }
    }

    const unsigned char* p_;
    const unsigned char* end_;
    std::uint64_t budget_;  // items that definite containers may still declare
};

void put_head(std::string& out, unsigned major, std::uint64_t arg) {
    const auto mt = static_cast<unsigned char>(major << 5);
    if (arg < 24) {
        out.push_back(static_cast<char>(mt | arg));
        return;
    }
    unsigned ai;
    std::size_t n;
    if (arg <= 0xff) ai = 24, n = 1;
    else if (arg <= 0xffff) ai = 25, n = 2;
    else if (arg <= 0xffffffff) ai = 26, n = 4;
    else ai = 27, n = 8;
    char buf[9];
    buf[0] = static_cast<char>(mt | ai);
    for (std::size_t i = 0; i < n; ++i) buf[1 + i] = static_cast<char>(arg >> (8 * (n - 1 - i)));
    out.append(buf, n + 1);
}

void put_be(std::string& out, unsigned char first, std::uint64_t bits, std::size_t n) {
    char buf[9];
    buf[0] = static_cast<char>(first);
    for (std::size_t i = 0; i < n; ++i) buf[1 + i] = static_cast<char>(bits >> (8 * (n - 1 - i)));
    out.append(buf, n + 1);
}

// The half-precision bits of `f` if it converts exactly, else false.
bool float_to_half(float f, unsigned& half) noexcept {
    const auto bits = std::bit_cast<std::uint32_t>(f);
    const unsigned sign = (bits >> 16) & 0x8000;
    const int exp = static_cast<int>((bits >> 23) & 0xff) - 127;
    const std::uint32_t mant = bits & 0x7fffff;
    if (exp == 128) {  // Infinity (NaN is handled by the caller)
        half = sign | 0x7c00;
        return true;
    }
    if (exp == -127) {  // zero or a float subnormal, far below half's smallest
        half = sign;
        return mant == 0;
    }
    if (exp > 15) return false;
    if (exp >= -14) {  // a normal half: the low 13 mantissa bits must be zero
        if (mant & 0x1fff) return false;
        half = sign | static_cast<unsigned>(exp + 15) << 10 | mant >> 13;
        return true;
    }
    if (exp < -24) return false;
    // A half subnormal: value = m * 2^-24 with m = (1.mant) * 2^(exp + 24).
    const std::uint32_t full = mant | 0x800000;
    const auto shift = static_cast<unsigned>(-(exp + 1));  // 14..23
    if (full & ((std::uint32_t{1} << shift) - 1)) return false;
    half = sign | full >> shift;
    return true;
}

void put_double(std::string& out, double d) {
    if (std::isnan(d)) {
        out.append("\xf9\x7e\x00", 3);  // the canonical quiet NaN (§4.2.2)
        return;
    }
    if (!(std::fabs(d) <= FLT_MAX) && !std::isinf(d)) {
        put_be(out, 0xfb, std::bit_cast<std::uint64_t>(d), 8);
        return;
    }
    const auto f = static_cast<float>(d);
    if (static_cast<double>(f) != d) {
        put_be(out, 0xfb, std::bit_cast<std::uint64_t>(d), 8);
        return;
    }
    unsigned half;
    if (float_to_half(f, half)) put_be(out, 0xf9, half, 2);
    else put_be(out, 0xfa, std::bit_cast<std::uint32_t>(f), 4);
}

void write(const Value& v, std::string& out) {
    switch (v.type()) {
    case Type::null: out.push_back('\xf6'); return;
    case Type::boolean: out.push_back(v.as_bool() ? '\xf5' : '\xf4'); return;
    case Type::int64: {
        const std::int64_t i = v.as_int64();
        if (i >= 0) put_head(out, major_uint, static_cast<std::uint64_t>(i));
        else put_head(out, major_nint, ~static_cast<std::uint64_t>(i));  // -1 - i
        return;
    }
    case Type::uint64: put_head(out, major_uint, v.as_uint64()); return;
    case Type::float64: put_double(out, v.as_double()); return;
    case Type::string:
        put_head(out, major_text, v.as_string().size());
        out += v.as_string();
        return;
    case Type::bytes: {
        const Bytes& b = v.as_bytes();
        put_head(out, major_bytes, b.size());
        out.append(reinterpret_cast<const char*>(b.data()), b.size());
        return;
    }
    case Type::array:
        put_head(out, major_array, v.as_array().size());
        for (const Value& e : v.as_array()) write(e, out);
        return;
    case Type::map:
        put_head(out, major_map, v.as_map().size());
        for (const Member& m : v.as_map()) {
            put_head(out, major_text, m.key.size());
            out += m.key;
            write(m.value, out);
        }
        return;
    }
}

}  // namespace

Errc decode_cbor(std::string_view in, Value& out) { return Reader(in).run(out); }

void encode_cbor(const Value& v, std::string& out) { write(v, out); }

}  // namespace harperrt::encoding::detail
