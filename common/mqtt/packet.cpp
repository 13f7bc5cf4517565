// The name() functions of version.hpp and packet.hpp.
#include "common/mqtt/packet.hpp"

namespace harperrt::mqtt {

std::string_view name(Version version) noexcept {
    switch (version) {
        case Version::v31: return "3.1";
        case Version::v311: return "3.1.1";
        case Version::v5: return "5.0";
    }
    return "unknown";
}

std::string_view name(PacketType type) noexcept {
    switch (type) {
        case PacketType::connect: return "CONNECT";
        case PacketType::connack: return "CONNACK";
        case PacketType::publish: return "PUBLISH";
        case PacketType::puback: return "PUBACK";
        case PacketType::pubrec: return "PUBREC";
        case PacketType::pubrel: return "PUBREL";
        case PacketType::pubcomp: return "PUBCOMP";
        case PacketType::subscribe: return "SUBSCRIBE";
        case PacketType::suback: return "SUBACK";
        case PacketType::unsubscribe: return "UNSUBSCRIBE";
        case PacketType::unsuback: return "UNSUBACK";
        case PacketType::pingreq: return "PINGREQ";
        case PacketType::pingresp: return "PINGRESP";
        case PacketType::disconnect: return "DISCONNECT";
        case PacketType::auth: return "AUTH";
    }
    return "UNKNOWN";
}

}  // namespace harperrt::mqtt
