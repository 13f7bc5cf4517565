#include "daemon/broker/broker.hpp"

#include "daemon/session/connection.hpp"

#include <boost/asio/use_awaitable.hpp>

namespace harperrt::daemon::broker {

bool dispatch_now(Broker& broker, const std::shared_ptr<session::Connection>& conn, mqtt::Packet& packet) {
    if (!conn->state().connected) return false;  // CONNECT or not, dispatch() answers
    switch (mqtt::type_of(packet)) {
    case mqtt::PacketType::publish: return false;
    case mqtt::PacketType::puback: handle_puback(broker, conn, std::get<mqtt::Puback>(packet).packet_id); break;
    case mqtt::PacketType::pubrec: {
        const auto& r = std::get<mqtt::Pubrec>(packet);
        handle_pubrec(broker, conn, r.packet_id, r.reason_code);
        break;
    }
    case mqtt::PacketType::pubrel: handle_pubrel(broker, conn, std::get<mqtt::Pubrel>(packet)); break;
    case mqtt::PacketType::pubcomp: handle_pubcomp(broker, conn, std::get<mqtt::Pubcomp>(packet).packet_id); break;
    case mqtt::PacketType::subscribe: handle_subscribe(broker, conn, std::get<mqtt::Subscribe>(packet)); break;
    case mqtt::PacketType::unsubscribe: handle_unsubscribe(broker, conn, std::get<mqtt::Unsubscribe>(packet)); break;
    case mqtt::PacketType::pingreq: conn->send(mqtt::Pingresp{}); break;
    case mqtt::PacketType::disconnect: handle_disconnect(broker, conn, std::get<mqtt::Disconnect>(packet)); break;
    case mqtt::PacketType::connect:
        // A second CONNECT is a protocol violation (v5 [MQTT-3.1.0-2]).
        conn->close(mqtt::ReasonCode::protocol_error);
        break;
    case mqtt::PacketType::auth:
        // Enhanced authentication was not negotiated in CONNECT (v5 [MQTT-4.12.0-1]).
        conn->close(mqtt::ReasonCode::protocol_error);
        break;
    default:
        // CONNACK, SUBACK, UNSUBACK, PINGRESP only go from server to client.
        conn->close(mqtt::ReasonCode::protocol_error);
        break;
    }
    return true;
}

bool dispatch_bare_ack(Broker& broker, const std::shared_ptr<session::Connection>& conn,
                       std::span<const std::byte> frame) {
    if (frame.size() != 4 || std::to_integer<unsigned>(frame[1]) != 2) return false;
    const auto id = static_cast<std::uint16_t>(std::to_integer<unsigned>(frame[2]) << 8 | std::to_integer<unsigned>(frame[3]));
    if (id == 0) return false;  // a protocol error: the decoder says so
    switch (std::to_integer<unsigned>(frame[0])) {  // type and flags ([MQTT-2.2.2-1]: 0 for these)
    case 0x40: handle_puback(broker, conn, id); return true;
    case 0x50: handle_pubrec(broker, conn, id, mqtt::ReasonCode::success); return true;
    case 0x70: handle_pubcomp(broker, conn, id); return true;
    default: return false;
    }
}

namespace {
// The awaitable of a packet that dispatch() has handled already.
boost::asio::awaitable<void> handled() { co_return; }
}  // namespace

// Not a coroutine: it does its work when called and returns the handler's own awaitable,
// which the caller awaits at once. So a PUBLISH gets one coroutine frame (handle_publish's),
// not two nested ones: Asio recycles one frame per thread, and a second would be allocated
// for every PUBLISH.
boost::asio::awaitable<void> dispatch(Broker& broker, const std::shared_ptr<session::Connection>& conn,
                                      mqtt::Packet& packet) {
    if (dispatch_now(broker, conn, packet)) return handled();
    if (!conn->state().connected) {
        // The first packet must be CONNECT (v5 [MQTT-3.1.0-1], 3.1.1 [MQTT-3.1.0-1]).
        if (auto* c = std::get_if<mqtt::Connect>(&packet)) return handle_connect(broker, conn, *c);
        conn->close(mqtt::ReasonCode::protocol_error);
        return handled();
    }
    return handle_publish(broker, conn, std::get<mqtt::Publish>(packet));
}

}  // namespace harperrt::daemon::broker
