// The HTTP listener (DESIGN.md §7): GET /health, Prometheus GET /metrics, MQTT over
// WebSocket (subprotocol `mqtt`, any path, when mqtt.webSocket) and the REST view of the
// records: GET/PUT/DELETE /Table/ID and GET /Table/, content negotiated by Accept and
// Content-Type. REST writes go through the store and reach MQTT subscribers exactly like a
// retained PUBLISH (broker/record_write.hpp).
//
// Authentication: HTTP Basic, checked against the same users as CONNECT. REST without
// credentials is anonymous where that is allowed, else 401; a request its identity may not
// make is 403. A WebSocket upgrade is refused (401) only when it carries an Authorization
// header that does not verify: without one, the MQTT CONNECT that follows authenticates;
// with one, a CONNECT without a user name logs in as that user (handle_connect.cpp).
#pragma once

#include <utility>  // before Asio (Boost 1.74)

#include "daemon/broker/broker.hpp"
#include "daemon/listener.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace harperrt::daemon::http {

// Accepts HTTP connections until `acceptor` is closed; each gets its own strand and may
// send several requests (keep-alive) until it upgrades to WebSocket or goes idle.
// With `tls` (http.securePort) the same over HTTPS / WSS. Every socket passes `gate` first
// and holds one of its pre-connection slots until it closes or becomes an MQTT connection.
//
// Limits: a request header larger than max_header_bytes gets 431, a body larger than
// max_body_bytes (or mqtt.limits.maxPacketSize, if smaller) gets 413 as soon as the header
// shows it (Content-Length) or the limit is crossed (chunked); both then close the
// connection, so neither is buffered whole. A WebSocket message may be at most
// mqtt.limits.maxPacketSize bytes (one maximum-size MQTT packet): a larger one is refused
// from its frame header with close code 1009 (message too big).
//
// GET /Table/ streams: chunked transfer encoding, one chunk per batch of the store's scan,
// so memory does not grow with the table. JSON is an array, CBOR an indefinite-length
// array; MessagePack has no indefinite arrays, so the records are counted first and the
// response is aborted (closed before its last chunk, which a client sees as a truncated
// transfer) if the table's size changed between the count and the end of the stream.
boost::asio::awaitable<void> accept_http(boost::asio::ip::tcp::acceptor& acceptor, broker::Broker& broker,
                                         ConnectionGate& gate, const TlsContextHolder* tls = nullptr);

inline constexpr std::size_t max_header_bytes = 8 * 1024;
inline constexpr std::size_t max_body_bytes = 16 * 1024 * 1024;

// The Prometheus text exposition of the broker's and the store's counters and of `gate`.
std::string metrics_text(broker::Broker& broker, const ConnectionGate& gate);

}  // namespace harperrt::daemon::http
