#include "daemon/broker/broker.hpp"

#include "daemon/session/connection.hpp"

#include <boost/asio/use_awaitable.hpp>

namespace harperrt::daemon::broker {

boost::asio::awaitable<void> dispatch(Broker& broker, const std::shared_ptr<session::Connection>& conn,
                                      mqtt::Packet packet) {
    auto& st = conn->state();
    if (!st.connected) {
        // The first packet must be CONNECT (v5 [MQTT-3.1.0-1], 3.1.1 [MQTT-3.1.0-1]).
        if (auto* c = std::get_if<mqtt::Connect>(&packet)) co_await handle_connect(broker, conn, *c);
        else conn->close(mqtt::ReasonCode::protocol_error);
        co_return;
    }
    switch (mqtt::type_of(packet)) {
    case mqtt::PacketType::publish: co_await handle_publish(broker, conn, std::get<mqtt::Publish>(packet)); break;
    case mqtt::PacketType::puback: handle_puback(broker, conn, std::get<mqtt::Puback>(packet)); break;
    case mqtt::PacketType::pubrec: handle_pubrec(broker, conn, std::get<mqtt::Pubrec>(packet)); break;
    case mqtt::PacketType::pubrel: handle_pubrel(broker, conn, std::get<mqtt::Pubrel>(packet)); break;
    case mqtt::PacketType::pubcomp: handle_pubcomp(broker, conn, std::get<mqtt::Pubcomp>(packet)); break;
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
}

}  // namespace harperrt::daemon::broker
