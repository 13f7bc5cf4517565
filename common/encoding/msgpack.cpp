// MessagePack reader and writer for Value. See codec.hpp for the mapping rules.
//
// Same shape as the CBOR reader: recursive descent bounded by max_depth, every length
// checked against the bytes left and container counts against the payload-size budget
// before anything is reserved. The writer picks the smallest format for each value.
#include "common/encoding/codec.hpp"
#include "common/encoding/detail.hpp"

#include <bit>
#include <charconv>
#include <cstdint>
#include <optional>

namespace harperrt::encoding::detail {
namespace {

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

    // Reads an n-byte big-endian unsigned integer.
    Errc be(std::size_t n, std::uint64_t& v) noexcept {
        if (left() < n) return Errc::truncated;
        v = 0;
        for (std::size_t i = 0; i < n; ++i) v = v << 8 | p_[i];
        p_ += n;
        return Errc{};
    }

    Errc text(std::uint64_t len, Value& out) {
        if (len > left()) return Errc::truncated;
        const auto n = static_cast<std::size_t>(len);
        if (!is_valid_utf8(p_, n)) return Errc::invalid_utf8;
        out = Value(std::string(reinterpret_cast<const char*>(p_), n));
        p_ += n;
        return Errc{};
    }

    Errc bin(std::uint64_t len, Value& out) {
        if (len > left()) return Errc::truncated;
        const auto* b = reinterpret_cast<const std::byte*>(p_);
        out = Value(Bytes(b, b + len));
        p_ += len;
        return Errc{};
    }

    // Ext formats are outside the model; the payload is still checked for truncation first
    // so that a cut ext reports `truncated` like every other cut value.
    Errc ext(std::uint64_t len) noexcept {
        if (left() < len + 1) return Errc::truncated;  // type byte + data
        return Errc::unsupported_type;
    }

    Errc value(Value& out, std::size_t depth) {
        if (p_ == end_) return Errc::truncated;
        const unsigned b = *p_++;
        std::uint64_t n = 0;
        Errc e{};
        if (b <= 0x7f) {  // positive fixint
            out = Value(b);
            return Errc{};
        }
        if (b >= 0xe0) {  // negative fixint
            out = Value(static_cast<std::int64_t>(b) - 256);
            return Errc{};
        }
        if (b <= 0x8f) return map(out, b & 0x0f, depth);
        if (b <= 0x9f) return array(out, b & 0x0f, depth);
        if (b <= 0xbf) return text(b & 0x1f, out);
        switch (b) {
        case 0xc0: out = Value(); return Errc{};
        case 0xc1: return Errc::syntax_error;  // "never used"
        case 0xc2: out = Value(false); return Errc{};
        case 0xc3: out = Value(true); return Errc{};
        case 0xc4: case 0xc5: case 0xc6:  // bin 8/16/32
            if ((e = be(std::size_t{1} << (b - 0xc4), n)) != Errc{}) return e;
            return bin(n, out);
        case 0xc7: case 0xc8: case 0xc9:  // ext 8/16/32
            if ((e = be(std::size_t{1} << (b - 0xc7), n)) != Errc{}) return e;
            return ext(n);
        case 0xca:  // float 32
            if ((e = be(4, n)) != Errc{}) return e;
            out = Value(std::bit_cast<float>(static_cast<std::uint32_t>(n)));
            return Errc{};
        case 0xcb:  // float 64
            if ((e = be(8, n)) != Errc{}) return e;
            out = Value(std::bit_cast<double>(n));
            return Errc{};
        case 0xcc: case 0xcd: case 0xce: case 0xcf:  // uint 8/16/32/64
            if ((e = be(std::size_t{1} << (b - 0xcc), n)) != Errc{}) return e;
            out = Value(n);
            return Errc{};
        case 0xd0: case 0xd1: case 0xd2: case 0xd3: {  // int 8/16/32/64: sign-extend
            const std::size_t size = std::size_t{1} << (b - 0xd0);
            if ((e = be(size, n)) != Errc{}) return e;
            const unsigned unused = 64 - 8 * static_cast<unsigned>(size);
            out = Value(static_cast<std::int64_t>(n << unused) >> unused);
            return Errc{};
        }
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:  // fixext 1/2/4/8/16
            return ext(std::uint64_t{1} << (b - 0xd4));
        case 0xd9: case 0xda: case 0xdb:  // str 8/16/32
            if ((e = be(std::size_t{1} << (b - 0xd9), n)) != Errc{}) return e;
            return text(n, out);
        case 0xdc: case 0xdd:  // array 16/32
            if ((e = be(b == 0xdc ? 2 : 4, n)) != Errc{}) return e;
            return array(out, n, depth);
        default:  // 0xde, 0xdf: map 16/32
            if ((e = be(b == 0xde ? 2 : 4, n)) != Errc{}) return e;
            return map(out, n, depth);
        }
    }

    // Containers are sized once from their declared count, within budget_: every item
    // takes at least one byte, so the counts of all containers of a valid payload add up
    // to at most its size, and one whose counts claim more is refused before allocating.
    bool take_budget(std::uint64_t items) noexcept {
        if (items > budget_) return false;
        budget_ -= items;
        return true;
    }

    Errc array(Value& out, std::uint64_t count, std::size_t depth) {
        if (++depth > max_depth) return Errc::too_deep;
        if (!take_budget(count)) return Errc::truncated;
        Array a(static_cast<std::size_t>(count));
        for (Value& v : a)
            if (Errc e = value(v, depth); e != Errc{}) return e;
        out = Value(std::move(a));
        return Errc{};
    }

    Errc map(Value& out, std::uint64_t count, std::size_t depth) {
        if (++depth > max_depth) return Errc::too_deep;
        if (count > budget_ / 2 || !take_budget(2 * count)) return Errc::truncated;
        std::vector<Member> members(static_cast<std::size_t>(count));
        for (Member& m : members) {
            // Fast path: a fixstr key (the usual case) goes straight into m.key.
            if (p_ != end_ && (*p_ & 0xe0) == 0xa0) {
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
            if (Errc e = value(m.value, depth); e != Errc{}) return e;
        }
        out = Value(Map(std::move(members)));
        return Errc{};
    }

    const unsigned char* p_;
    const unsigned char* end_;
    std::uint64_t budget_;  // items that containers may still declare
};

// Appends marker byte `first` then the low n bytes of `v`, big-endian.
void put(std::string& out, unsigned first, std::uint64_t v, std::size_t n) {
    char buf[9];
    buf[0] = static_cast<char>(first);
    for (std::size_t i = 0; i < n; ++i) buf[1 + i] = static_cast<char>(v >> (8 * (n - 1 - i)));
    out.append(buf, n + 1);
}

void put_uint(std::string& out, std::uint64_t u) {
    if (u <= 0x7f) out.push_back(static_cast<char>(u));
    else if (u <= 0xff) put(out, 0xcc, u, 1);
    else if (u <= 0xffff) put(out, 0xcd, u, 2);
    else if (u <= 0xffffffff) put(out, 0xce, u, 4);
    else put(out, 0xcf, u, 8);
}

void put_int(std::string& out, std::int64_t i) {
    if (i >= 0) return put_uint(out, static_cast<std::uint64_t>(i));
    const auto bits = static_cast<std::uint64_t>(i);  // two's complement; put() keeps the low bytes
    if (i >= -32) out.push_back(static_cast<char>(bits));  // negative fixint
    else if (i >= INT8_MIN) put(out, 0xd0, bits, 1);
    else if (i >= INT16_MIN) put(out, 0xd1, bits, 2);
    else if (i >= INT32_MIN) put(out, 0xd2, bits, 4);
    else put(out, 0xd3, bits, 8);
}

// A size with a fix form (below `fix_limit`, added to `fix`), then 8/16/32-bit forms whose
// markers are `m8` (0 = none), `m16` and `m16 + 1`.
void put_size(std::string& out, std::size_t n, unsigned fix, std::size_t fix_limit, unsigned m8, unsigned m16) {
    if (n < fix_limit) out.push_back(static_cast<char>(fix + n));
    else if (m8 != 0 && n <= 0xff) put(out, m8, n, 1);
    else if (n <= 0xffff) put(out, m16, n, 2);
    else put(out, m16 + 1, n, 4);
}

void write(const Value& v, std::string& out) {
    switch (v.type()) {
    case Type::null: out.push_back('\xc0'); return;
    case Type::boolean: out.push_back(v.as_bool() ? '\xc3' : '\xc2'); return;
    case Type::int64: put_int(out, v.as_int64()); return;
    case Type::uint64: put_uint(out, v.as_uint64()); return;
    case Type::float64: put(out, 0xcb, std::bit_cast<std::uint64_t>(v.as_double()), 8); return;
    case Type::string:
        put_size(out, v.as_string().size(), 0xa0, 32, 0xd9, 0xda);
        out += v.as_string();
        return;
    case Type::bytes: {
        const Bytes& b = v.as_bytes();
        put_size(out, b.size(), 0, 0, 0xc4, 0xc5);
        out.append(reinterpret_cast<const char*>(b.data()), b.size());
        return;
    }
    case Type::array:
        put_size(out, v.as_array().size(), 0x90, 16, 0, 0xdc);
        for (const Value& e : v.as_array()) write(e, out);
        return;
    case Type::map:
        put_size(out, v.as_map().size(), 0x80, 16, 0, 0xde);
        for (const Member& m : v.as_map()) {
            put_size(out, m.key.size(), 0xa0, 32, 0xd9, 0xda);
            out += m.key;
            write(m.value, out);
        }
        return;
    }
}

// MessagePack -> JSON without Values (stored records go out as JSON this way: decoding
// into a Value and encoding it again allocated every string twice). It makes the Reader's
// checks in the same order (depth, container budget, UTF-8, ext and 0xc1 refused, no
// trailing bytes) and gives up (false) where the Value path could differ: any error, a
// non-text key (decoded to its decimal string), a repeated key (last value at the first
// position), a map too large for the pairwise check.
class JsonTranscoder {
public:
    JsonTranscoder(std::string_view in, std::string& out) noexcept
        : p_(reinterpret_cast<const unsigned char*>(in.data())), end_(p_ + in.size()), budget_(in.size()), out_(out),
          keys_(thread_keys()) {
        keys_.clear();
    }

    bool run() {
        const auto mark = out_.size();
        // One allocation for the usual record (strings and small numbers), not one per
        // doubling of the output.
        out_.reserve(mark + 2 * static_cast<std::size_t>(end_ - p_) + 16);
        if (value(0) && p_ == end_) return true;
        out_.resize(mark);
        return false;
    }

private:
    static constexpr std::size_t max_keys_checked = 64;

    std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }

    bool be(std::size_t n, std::uint64_t& v) noexcept {
        if (left() < n) return false;
        v = 0;
        for (std::size_t i = 0; i < n; ++i) v = v << 8 | p_[i];
        p_ += n;
        return true;
    }

    // A text string of `len` bytes at p_; its bytes, or nullopt.
    std::optional<std::string_view> text(std::uint64_t len) noexcept {
        if (len > left()) return std::nullopt;
        const auto n = static_cast<std::size_t>(len);
        if (!is_valid_utf8(p_, n)) return std::nullopt;
        std::string_view s(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        return s;
    }

    bool string(std::uint64_t len) {
        // The UTF-8 check of text() and the escaping in one pass.
        if (len > left()) return false;
        const auto n = static_cast<std::size_t>(len);
        if (!util::append_json_string_strict(out_, std::string_view(reinterpret_cast<const char*>(p_), n))) return false;
        p_ += n;
        return true;
    }

    bool bin(std::uint64_t len) {
        if (len > left()) return false;
        out_.push_back('"');
        append_base64(out_, p_, static_cast<std::size_t>(len));
        out_.push_back('"');
        p_ += len;
        return true;
    }

    template <class T>
    void number(T v) {
        char buf[24];
        out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    }

    bool take_budget(std::uint64_t items) noexcept {
        if (items > budget_) return false;
        budget_ -= items;
        return true;
    }

    bool value(std::size_t depth) {
        if (p_ == end_) return false;
        const unsigned b = *p_++;
        std::uint64_t n = 0;
        if (b <= 0x7f) {
            number(b);
            return true;
        }
        if (b >= 0xe0) {
            number(static_cast<std::int64_t>(b) - 256);
            return true;
        }
        if (b <= 0x8f) return map(b & 0x0f, depth);
        if (b <= 0x9f) return array(b & 0x0f, depth);
        if (b <= 0xbf) return string(b & 0x1f);
        switch (b) {
        case 0xc0: out_ += "null"; return true;
        case 0xc2: out_ += "false"; return true;
        case 0xc3: out_ += "true"; return true;
        case 0xc4: case 0xc5: case 0xc6:
            return be(std::size_t{1} << (b - 0xc4), n) && bin(n);
        case 0xca:
            if (!be(4, n)) return false;
            append_json_double(std::bit_cast<float>(static_cast<std::uint32_t>(n)), out_);
            return true;
        case 0xcb:
            if (!be(8, n)) return false;
            append_json_double(std::bit_cast<double>(n), out_);
            return true;
        case 0xcc: case 0xcd: case 0xce: case 0xcf:
            if (!be(std::size_t{1} << (b - 0xcc), n)) return false;
            number(n);  // Value normalises, but an unsigned prints the same either way
            return true;
        case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
            const std::size_t size = std::size_t{1} << (b - 0xd0);
            if (!be(size, n)) return false;
            const unsigned unused = 64 - 8 * static_cast<unsigned>(size);
            number(static_cast<std::int64_t>(n << unused) >> unused);
            return true;
        }
        case 0xd9: case 0xda: case 0xdb:
            return be(std::size_t{1} << (b - 0xd9), n) && string(n);
        case 0xdc: case 0xdd:
            return be(b == 0xdc ? 2 : 4, n) && array(n, depth);
        case 0xde: case 0xdf:
            return be(b == 0xde ? 2 : 4, n) && map(n, depth);
        default:  // 0xc1, ext: errors for the Value path to report
            return false;
        }
    }

    bool array(std::uint64_t count, std::size_t depth) {
        if (++depth > max_depth || !take_budget(count)) return false;
        out_.push_back('[');
        for (std::uint64_t i = 0; i < count; ++i) {
            if (i > 0) out_.push_back(',');
            if (!value(depth)) return false;
        }
        out_.push_back(']');
        return true;
    }

    bool map(std::uint64_t count, std::size_t depth) {
        if (++depth > max_depth || count > budget_ / 2 || !take_budget(2 * count)) return false;
        if (count > max_keys_checked) return false;
        const auto base = keys_.size();
        out_.push_back('{');
        for (std::uint64_t i = 0; i < count; ++i) {
            if (i > 0) out_.push_back(',');
            if (p_ == end_) return false;
            const unsigned b = *p_++;
            std::uint64_t len = 0;
            if ((b & 0xe0) == 0xa0) len = b & 0x1f;
            else if (b >= 0xd9 && b <= 0xdb) {
                if (!be(std::size_t{1} << (b - 0xd9), len)) return false;
            } else {
                return false;  // an integer (or invalid) key
            }
            auto key = text(len);
            if (!key) return false;
            for (std::size_t k = base; k < keys_.size(); ++k)
                if (keys_[k] == *key) return false;
            keys_.push_back(*key);
            append_json_string(out_, *key);
            out_.push_back(':');
            if (!value(depth)) return false;
        }
        keys_.resize(base);
        out_.push_back('}');
        return true;
    }

    const unsigned char* p_;
    const unsigned char* end_;
    std::uint64_t budget_;
    std::string& out_;
    // Keys of the maps being written, outermost first. One vector per thread, reused: a
    // transcoder runs to its end before the next starts on the same thread.
    static std::vector<std::string_view>& thread_keys() {
        thread_local std::vector<std::string_view> keys;
        return keys;
    }
    std::vector<std::string_view>& keys_;
};

}  // namespace

Errc decode_msgpack(std::string_view in, Value& out) { return Reader(in).run(out); }

bool msgpack_to_json(std::string_view in, std::string& out) { return JsonTranscoder(in, out).run(); }

void encode_msgpack(const Value& v, std::string& out) { write(v, out); }

}  // namespace harperrt::encoding::detail
