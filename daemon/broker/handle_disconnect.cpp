// DISCONNECT from a client (v5 §3.14, 3.1.1 §3.14): a normal disconnect discards the will;
// v5 0x04 keeps it; v5 may change the session expiry interval, but not from 0.
#include "daemon/broker/broker.hpp"

#include "daemon/session/connection.hpp"
#include "daemon/session/session.hpp"

#include <algorithm>

namespace harperrt::daemon::broker {

void handle_disconnect(Broker& broker, const std::shared_ptr<session::Connection>& conn, const mqtt::Disconnect& d) {
    auto& st = conn->state();
    if (mqtt::is_v5(st.version)) {
        if (auto sei = d.properties.session_expiry_interval) {
            if (st.session_expiry_interval == 0 && *sei != 0) {
                conn->close(mqtt::ReasonCode::protocol_error, "session expiry cannot be set on DISCONNECT when it was 0");  // v5 [MQTT-3.14.2-2]
                return;
            }
            const auto cap = static_cast<std::uint32_t>(
                std::min<std::int64_t>(broker.config().mqtt.limits.max_session_expiry.count(), 0xffffffff));
            st.session_expiry_interval = std::min(*sei, cap);
            if (st.session) st.session->expiry_interval.store(st.session_expiry_interval);  // none: expiry was 0
        }
    }
    // v5 [MQTT-3.14.4-3] / 3.1.1 [MQTT-3.14.4-3]: a normal DISCONNECT discards the will.
    if (d.reason_code != mqtt::ReasonCode::disconnect_with_will_message) st.will.reset();
    conn->close();
}

}  // namespace harperrt::daemon::broker
