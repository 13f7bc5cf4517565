// libFuzzer target for mqtt::frame_size(). Input: four bytes of maximum packet size
// (big-endian), then the buffered bytes. Checks the contract of codec.hpp: never reads past
// the buffer, 0 only while the header is incomplete, a size within the limit that stays the
// same however many more bytes arrive, and agreement with read_varint.
#include "common/mqtt/codec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

using namespace harperrt::mqtt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    const std::uint32_t max = (std::uint32_t{data[0]} << 24) | (std::uint32_t{data[1]} << 16) |
                              (std::uint32_t{data[2]} << 8) | std::uint32_t{data[3]};
    const std::span<const std::byte> buffered(reinterpret_cast<const std::byte*>(data + 4), size - 4);

    const auto whole = frame_size(buffered, max);
    // The header is at most 5 bytes: every prefix answers the same once it is complete,
    // and 0 before.
    for (std::size_t n = 0; n <= buffered.size() && n <= 6; ++n) {
        const auto part = frame_size(buffered.first(n), max);
        if (part && *part == 0) continue;                 // incomplete so far
        if (part.has_value() != whole.has_value()) std::abort();
        if (part ? *part != *whole : part.error() != whole.error()) std::abort();
    }
    if (!whole) {
        const auto rc = as_reason_code(whole.error());
        if (rc != ReasonCode::malformed_packet && rc != ReasonCode::packet_too_large) std::abort();
        return 0;
    }
    if (*whole == 0) {
        if (buffered.size() >= 5) std::abort();          // a complete header is at most 5 bytes
        return 0;
    }
    if (*whole > max || *whole < 2 || *whole > max_frame_size) std::abort();

    // The same Remaining Length as read_varint, and the header is where it says.
    auto rest = buffered.subspan(1);
    const auto remaining = read_varint(rest);
    if (!remaining) std::abort();
    const auto header = buffered.size() - rest.size();
    if (*whole != header + *remaining) std::abort();
    return 0;
}
