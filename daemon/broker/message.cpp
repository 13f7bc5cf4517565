#include "daemon/broker/message.hpp"

#include "common/encoding/detect.hpp"

namespace harperrt::daemon::broker {

std::optional<encoding::Format> Message::source_format_locked() const {
    if (undecodable_) return std::nullopt;
    if (declared_format) return declared_format;
    if (!detected_) {
        detected_ = true;
        if (encoding::looks_like_json(payload)) detected_format_ = encoding::Format::json;  // rule 3
    }
    return detected_format_;
}

Message::Delivery Message::payload_for(encoding::Format want) const {
    std::scoped_lock lock(cache_mu_);
    auto& slot = encoded_[static_cast<std::size_t>(want)];
    if (slot) return {*slot, want};
    const encoding::Value* source = value.get();
    if (source == nullptr) {
        const auto format = source_format_locked();
        if (!format) return {payload, std::nullopt};     // opaque: unchanged for everyone
        if (*format == want) return {payload, want};     // already in that format
        if (!decoded_ && *format == encoding::Format::msgpack && want == encoding::Format::json) {
            // A stored record to a JSON subscriber: one pass, no Value (codec.hpp).
            std::string json;
            if (!encoding::transcode_to(payload, *format, want, json)) {
                undecodable_ = true;
                return {payload, std::nullopt};
            }
            slot = std::move(json);
            return {*slot, want};
        }
        if (!decoded_) {
            auto v = encoding::decode(payload, *format);
            if (!v) {
                // Declared structured but not decodable: forward the bytes as they are.
                undecodable_ = true;
                return {payload, std::nullopt};
            }
            decoded_ = std::make_shared<const encoding::Value>(std::move(*v));
        }
        source = decoded_.get();
    }
    slot.emplace();
    encoding::encode_to(*source, want, *slot);
    return {*slot, want};
}

}  // namespace harperrt::daemon::broker
