// The HTTP listener (DESIGN.md §7): GET /health, Prometheus GET /metrics, MQTT over
// WebSocket (subprotocol `mqtt`, any path, when mqtt.webSocket) and the REST view of the
// records: GET/PUT/DELETE /Table/ID and GET /Table/, content negotiated by Accept and
// Content-Type. REST writes go through the store and reach MQTT subscribers exactly like a
// retained PUBLISH (broker/record_write.hpp).
//
// Authentication: HTTP Basic, checked against the same users as CONNECT. REST without
// credentials is anonymous where that is allowed, else 401; a request its identity may not
// make is 403. A WebSocket upgrade is refused (401) only when it carries an Authorization
// header that does not verify: without one, the MQTT CONNECT that follows authenticates.
#pragma once

#include <utility>  // before Asio (Boost 1.74)

#include "daemon/broker/broker.hpp"
#include "daemon/listener.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace harperrt::daemon::http {

// Accepts HTTP connections until `acceptor` is closed; each gets its own strand and may
// send several requests (keep-alive) until it upgrades to WebSocket or goes idle.
// With `tls` (http.securePort) the same over HTTPS / WSS.
boost::asio::awaitable<void> accept_http(boost::asio::ip::tcp::acceptor& acceptor, broker::Broker& broker,
                                         ConnectRateLimiter& limiter, const TlsContextHolder* tls = nullptr);

// The Prometheus text exposition of the broker's and the store's counters.
std::string metrics_text(broker::Broker& broker);

}  // namespace harperrt::daemon::http
