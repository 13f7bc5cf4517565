// libFuzzer target for mqtt::decode() and the encoders. Each input is decoded as a packet of
// an MQTT 3.1, 3.1.1 and 5.0 connection. A failure must be a ReasonCode; a success must
// re-encode to bytes that frame to their own size, that encoded_size() predicts, that decode
// to an equal packet, and that encode to the same bytes again (codec.hpp design note 5).
#include "common/mqtt/codec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <variant>

using namespace harperrt::mqtt;

namespace {

[[noreturn]] void fail(const char* what, Version v) {
    std::fprintf(stderr, "fuzz_decode: %s (version %.*s)\n", what, static_cast<int>(name(v).size()),
                 name(v).data());
    std::abort();
}

void check(std::span<const std::byte> input, Version v) {
    const auto packet = decode(input, v);
    if (!packet) {
        if (!as_reason_code(packet.error())) fail("error outside the mqtt category", v);
        return;
    }
    // A CONNECT is encoded in its own version; so is the packet decoded again.
    const auto out = encode(*packet, v);
    if (out.size() != encoded_size(*packet, v)) fail("encoded_size disagrees with encode", v);
    const auto framed = frame_size(out, 0xffffffff);
    if (!framed || *framed != out.size()) fail("encoding does not frame to its own size", v);
    const auto again = decode(out, v);
    if (!again) fail("encoding of a decoded packet does not decode", v);
    if (!(*again == *packet)) fail("decode(encode(p)) != p", v);
    if (encode(*again, v) != out) fail("encoding is not stable", v);
    if (const auto* p = std::get_if<Publish>(&*packet)) {
        Bytes fast;
        encode_publish_to(*p, v, fast);
        if (fast != out || encoded_publish_size(*p, v) != out.size()) fail("publish fast path differs", v);
    }
    // The input itself encodes back exactly when it was in the shortest form; at least it
    // must never be shorter than what we write.
    if (input.size() < out.size()) fail("encoding is longer than a valid input", v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::byte> input(reinterpret_cast<const std::byte*>(data), size);
    for (auto v : {Version::v31, Version::v311, Version::v5}) check(input, v);
    (void)connect_version(input);
    return 0;
}
