#include "common/encoding/display.hpp"

#include "common/encoding/detail.hpp"
#include "common/encoding/detect.hpp"

namespace harperrt::encoding {

std::string to_display_json(std::string_view payload, std::optional<Format> format) {
    std::string out;
    // One decode, not looks_like_json + decode: the two accept exactly the same texts.
    if (auto v = decode(payload, format.value_or(Format::json))) {
        encode_to(*v, Format::json, out);
    } else if (is_valid_utf8(payload)) {
        detail::append_json_string(out, payload);
    } else {
        out += "{\"";
        out += display_bytes_key;
        out += "\":\"";
        detail::append_base64(out, payload.data(), payload.size());
        out += "\"}";
    }
    return out;
}

}  // namespace harperrt::encoding
