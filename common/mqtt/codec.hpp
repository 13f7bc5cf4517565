// The MQTT codec: framing, decoding and encoding of whole control packets for MQTT 3.1,
// 3.1.1 and 5.0. Pure functions over byte spans: no I/O, no allocation beyond the packet
// being built, no exceptions on any input. Every malformed input gives the reason code the
// spec names.
//
// Design notes
//
//   1. Framing and decoding are separate. frame_size() looks only at the fixed header, so
//      a session can refuse an oversized packet before buffering its body; decode() then
//      gets exactly the bytes of one packet and refuses anything left over.
//   2. decode() takes the connection's version, fixed by its CONNECT. A CONNECT itself is
//      decoded from its own protocol name and level whatever the argument says; the session
//      learns the version from the result (Connect::version).
//   3. Errors carry v5 reason codes in every version (malformed_packet, protocol_error,
//      topic_name_invalid, topic_alias_invalid, unsupported_protocol_version). Before v5
//      the only consequence is closing the connection, so the finer code just goes to logs.
//   4. The decoder checks what one packet's bytes can show: encodings, lengths, flags,
//      reserved bits, property rules, packet identifier 0, wildcards in a PUBLISH topic
//      name. What needs connection state is the broker's: topic alias resolution and
//      maximum, receive maximum, client id rules, topic filter syntax, will topic syntax,
//      a Subscription Identifier sent by a client, who may send which packet.
//   5. encode(decode(x)) is x for every x in its shortest form (the minimal v5 ack forms,
//      properties in ascending id order), and decode(encode(p)) == p for every p that
//      decode can return: the fuzzer checks this.
//   6. encode() never fails. Its precondition is a struct that obeys the rules decode
//      enforces (lengths <= 65535, packet id != 0 where needed, allowed properties...);
//      violations are asserts, not errors.
//
// Thread-safety: every function is reentrant; there is no shared state.
#pragma once

#include "common/mqtt/packet.hpp"
#include "common/mqtt/reason_code.hpp"
#include "common/mqtt/version.hpp"
#include "common/mqtt/wire.hpp"
#include "common/util/result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace harperrt::mqtt {

// Largest possible packet: type byte, four length bytes, max_varint body bytes.
inline constexpr std::size_t max_frame_size = 1 + 4 + max_varint;

// The size of the packet at the front of `buffered`, from its fixed header alone:
//   0                    the fixed header (type byte + Remaining Length) is incomplete;
//   n > 0                the packet is n bytes (header included), whether or not all are
//                        buffered yet;
//   packet_too_large     n > max_packet_size (v5 [MQTT-3.1.2-24], the server's own limit);
//   malformed_packet     the Remaining Length has a fifth byte or is not in its shortest
//                        form (v5 [MQTT-1.5.5-1], v3.1.1 §2.2.3).
// The type byte itself is not checked here; decode() does that.
Result<std::size_t> frame_size(std::span<const std::byte> buffered, std::uint32_t max_packet_size);

// Decodes one whole packet, exactly the frame_size() bytes. `version` is the connection's
// protocol version (ignored for CONNECT, see note 2). Errors: malformed_packet,
// protocol_error, topic_name_invalid, topic_alias_invalid, unsupported_protocol_version
// (a CONNECT with an unknown protocol level), as each check's comment cites.
Result<Packet> decode(std::span<const std::byte> packet, Version version);

// decode() into `into`, for a reader that decodes packet after packet into one Packet:
// when `into` holds a Publish and `packet` is a PUBLISH, the topic and payload are assigned
// into that Publish's strings, so they allocate nothing when it has the capacity (a
// routed PUBLISH leaves it the empty strings of a recycled broker message, whatever their
// capacity). Any other packet replaces `into`, as decode() would return it. Same checks
// and errors as decode(); after an error `into` holds some valid packet.
Result<void> decode_into(std::span<const std::byte> packet, Version version, Packet& into);

// The version a CONNECT asks for, read from its protocol name and level without decoding
// the rest, or nullopt when `packet` is not a CONNECT with a known name and level. Lets a
// server answer a CONNECT that fails to decode with a CONNACK in the client's version.
std::optional<Version> connect_version(std::span<const std::byte> packet) noexcept;

// Appends the encoding of `packet` in `version` to `out`. A Connect is encoded in its own
// Connect::version and ignores `version`. Requires: `packet` is valid for `version` (note
// 6); an Auth requires v5.
void encode_to(const Packet& packet, Version version, Bytes& out);

// encode_to into a new buffer.
Bytes encode(const Packet& packet, Version version);

// The broker's per-delivery path: encode_to for a Publish without building a Packet.
void encode_publish_to(const Publish& publish, Version version, Bytes& out);

// Exactly how many bytes encode_to would append, for the peer's Maximum Packet Size check
// before sending (v5 [MQTT-3.1.2-25]).
std::size_t encoded_size(const Packet& packet, Version version);
std::size_t encoded_publish_size(const Publish& publish, Version version);

}  // namespace harperrt::mqtt
