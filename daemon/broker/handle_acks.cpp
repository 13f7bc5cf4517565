// PUBACK, PUBREC, PUBREL, PUBCOMP from a client (v5 §3.4–3.7, §4.3).
#include "daemon/broker/broker.hpp"

#include "daemon/session/connection.hpp"
#include "daemon/session/session.hpp"

#include "common/util/log.hpp"

namespace harperrt::daemon::broker {

namespace {
// The connection's session, null when it has none (Broker::session_for): then nothing was
// sent to it and nothing is awaiting PUBREL, so every packet id is unknown.
session::Session* session_of(const std::shared_ptr<session::Connection>& conn) {
    return conn->state().session.get();
}
}  // namespace

void handle_puback(Broker&, const std::shared_ptr<session::Connection>& conn, std::uint16_t packet_id) {
    auto* session = session_of(conn);
    if (!session || !session->on_puback(packet_id))
        log::debug("client {}: PUBACK for unknown packet id {}", conn->state().client_id(), packet_id);
}

void handle_pubrec(Broker&, const std::shared_ptr<session::Connection>& conn, std::uint16_t packet_id,
                   mqtt::ReasonCode rc) {
    auto& st = conn->state();
    const bool failed = mqtt::is_failure(rc);
    if (st.session && st.session->on_pubrec(packet_id, failed)) {
        if (!failed) conn->send(mqtt::Pubrel{packet_id, mqtt::ReasonCode::success, {}});
    } else if (!failed) {
        // Unknown packet id: answer so the client can finish (v5 0x92).
        conn->send(mqtt::Pubrel{packet_id, mqtt::ReasonCode::packet_identifier_not_found, {}});
    }
}

void handle_pubrel(Broker&, const std::shared_ptr<session::Connection>& conn, const mqtt::Pubrel& r) {
    auto* session = session_of(conn);
    const bool known = session && session->inbound_qos2_release(r.packet_id);
    conn->send(mqtt::Pubcomp{r.packet_id,
                             known ? mqtt::ReasonCode::success : mqtt::ReasonCode::packet_identifier_not_found, {}});
}

void handle_pubcomp(Broker&, const std::shared_ptr<session::Connection>& conn, std::uint16_t packet_id) {
    auto* session = session_of(conn);
    if (!session || !session->on_pubcomp(packet_id))
        log::debug("client {}: PUBCOMP for unknown packet id {}", conn->state().client_id(), packet_id);
}

}  // namespace harperrt::daemon::broker
