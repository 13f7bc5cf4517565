// MQTT protocol versions and QoS levels: the two small enums every other codec header uses.
// The Version values are the protocol level byte of CONNECT, so a cast is the wire value.
#pragma once

#include <cstdint>
#include <string_view>

namespace harperrt::mqtt {

// The protocol level byte of CONNECT. v31 is MQTT 3.1 (protocol name "MQIsdp"), v311 is
// MQTT 3.1.1 and v5 is MQTT 5.0 (both protocol name "MQTT").
enum class Version : std::uint8_t { v31 = 3, v311 = 4, v5 = 5 };

// "3.1", "3.1.1" or "5.0".
std::string_view name(Version version) noexcept;

// True for MQTT 5.0, the only version with properties and reason codes on every ack.
constexpr bool is_v5(Version version) noexcept { return version == Version::v5; }

// Quality of service of a PUBLISH, a will or a subscription; the values are the wire bits.
// Scoped enums compare with < and std::min, so min(publish QoS, granted QoS) works as is.
enum class QoS : std::uint8_t { at_most_once = 0, at_least_once = 1, exactly_once = 2 };

}  // namespace harperrt::mqtt
