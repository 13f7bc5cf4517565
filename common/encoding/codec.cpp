#include "common/encoding/codec.hpp"

#include "common/encoding/detail.hpp"

namespace harperrt::encoding {

Result<Value> decode(std::string_view payload, Format format) {
    Value v;
    Errc e{};
    switch (format) {
    case Format::json: e = detail::decode_json(payload, v); break;
    case Format::cbor: e = detail::decode_cbor(payload, v); break;
    case Format::msgpack: e = detail::decode_msgpack(payload, v); break;
    }
    if (e != Errc{}) return error(e);
    return v;
}

Result<Value> decode_record(std::string_view payload, Format format) {
    auto v = decode(payload, format);
    if (v && !v->is_map()) return error(Errc::not_a_map);
    return v;
}

void encode_to(const Value& value, Format format, std::string& out) {
    switch (format) {
    case Format::json: detail::encode_json(value, out); return;
    case Format::cbor: detail::encode_cbor(value, out); return;
    case Format::msgpack: detail::encode_msgpack(value, out); return;
    }
}

std::string encode(const Value& value, Format format) {
    std::string out;
    encode_to(value, format, out);
    return out;
}

Result<void> transcode_to(std::string_view payload, Format from, Format to, std::string& out) {
    if (from == Format::msgpack && to == Format::json && detail::msgpack_to_json(payload, out)) return ok();
    auto v = decode(payload, from);
    if (!v) return error(v.error());
    encode_to(*v, to, out);
    return ok();
}

}  // namespace harperrt::encoding
