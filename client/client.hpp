// harperrt::client: a small async MQTT 5.0 / 3.1.1 client on Asio coroutines over
// net::Stream (TCP, TLS, WebSocket, secure WebSocket), made for the CLI: one connection,
// operations awaited one after another, no reconnect loop. Incoming PUBLISHes that arrive
// while an operation waits for its ack are queued for async_receive(); QoS 1 and 2
// deliveries are acknowledged as they are read.
//
// Design notes
//
//   1. One reader. Whichever operation is awaiting reads packets and dispatches them
//      (dispatch()): acks complete the operation that waits for them, PUBLISHes go to the
//      inbox, PINGRESPs are counted. Writes go through an outbox with one writer at a time,
//      so the keep-alive pinger may write while an operation reads.
//   2. Barrier (DESIGN.md §2): async_barrier() sends a PINGREQ after everything sent so
//      far; PINGRESPs come back in order, so when the n-th arrives every retained message
//      of an earlier SUBSCRIBE has been read. async_receive() then reports the barrier.
//   3. Deadline: set_deadline() arms one timer; on expiry the stream is closed and every
//      pending and later operation fails with Errc::timeout.
//
// Thread-safety: none; use one Client from one thread (the CLI runs one io_context).
#pragma once

#include "client/options.hpp"
#include "common/mqtt/packet.hpp"
#include "common/net/stream.hpp"
#include "common/util/result.hpp"

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace harperrt::client {

namespace asio = boost::asio;

// A PUBACK/PUBCOMP (or a PUBREC that failed), as the server reported it.
struct Ack {
    mqtt::ReasonCode reason_code = mqtt::ReasonCode::success;
    std::optional<std::string> reason_string;
};

class Client {
public:
    Client(asio::any_io_executor executor, Options options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Fails every operation with Errc::timeout once `deadline` passes; nullopt disarms.
    void set_deadline(std::optional<std::chrono::steady_clock::time_point> deadline);
    bool timed_out() const noexcept { return timed_out_; }

    // Opens the transport and sends CONNECT. Errors: Errc::cannot_connect (detail() says
    // why: DNS, refused, TLS, WebSocket upgrade, or the server closed the connection before
    // CONNACK, as a TLS 1.3 server does after the handshake when it wants a client
    // certificate), Errc::timeout, a CONNACK's failure ReasonCode (3.1.1 codes are mapped,
    // see mqtt::to_reason_code), Errc::protocol_error.
    asio::awaitable<error_code> async_connect();
    const mqtt::Connack& connack() const noexcept { return connack_; }

    // Publishes; QoS 1 waits for PUBACK, QoS 2 for PUBREC then PUBCOMP. Returns the ack
    // (a failure reason code is a value, not an error); QoS 0 returns success at once.
    // The packet id is assigned here.
    asio::awaitable<Result<Ack>> async_publish(mqtt::Publish publish);

    // Subscribes and waits for SUBACK; returns it (one reason code per subscription).
    asio::awaitable<Result<mqtt::Suback>> async_subscribe(std::vector<mqtt::Subscription> subscriptions,
                                                          mqtt::Properties properties);

    // Sends a PINGREQ that marks everything before it (note 2).
    asio::awaitable<error_code> async_barrier();

    // The next incoming PUBLISH, or nullopt when a barrier completed (one nullopt per
    // async_barrier). A server DISCONNECT is its ReasonCode (success if normal).
    asio::awaitable<Result<std::optional<mqtt::Publish>>> async_receive();

    // Sends DISCONNECT (normal) and closes the transport gracefully.
    asio::awaitable<void> async_disconnect();

    // Closes abortively; safe to call more than once.
    void close();

    // Human detail of the last error: the transport's message, a reason string.
    const std::string& detail() const noexcept { return detail_; }

private:
    asio::awaitable<error_code> async_open();
    asio::awaitable<error_code> async_send(const mqtt::Packet& packet);
    asio::awaitable<Result<mqtt::Packet>> async_read_packet();
    asio::awaitable<error_code> async_dispatch(mqtt::Packet& packet);
    asio::awaitable<Result<mqtt::Packet>> async_wait_for(std::uint16_t packet_id);
    asio::awaitable<void> async_keep_alive();
    std::uint16_t next_packet_id();
    error_code fail(error_code ec, std::string detail = {});
    error_code io_error(const error_code& ec);

    asio::any_io_executor executor_;
    Options options_;
    std::unique_ptr<net::Stream> stream_;
    std::shared_ptr<void> tls_context_;  // asio::ssl::context, kept alive with the stream
    asio::steady_timer deadline_timer_;
    asio::steady_timer ping_timer_;
    asio::steady_timer idle_timer_;  // a condition variable: cancelled when the writer is idle
    // False once the Client is destroyed: coroutines and handlers that outlive it (the
    // keep-alive pinger, a timer completion already queued) check it before touching `this`.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    bool timed_out_ = false;
    // Keep alive in the other direction: while a read waits, nothing at all from the server
    // for a whole keep alive period after a PINGREQ means it is gone (the connection is
    // closed, `peer_lost_`). Without a waiting read (`pub -l` between lines) nothing is judged.
    std::chrono::steady_clock::time_point last_received_ = std::chrono::steady_clock::now();
    bool peer_lost_ = false;
    bool reading_ = false;  // a read is waiting for the server (otherwise its answers wait unread)
    bool closed_ = false;
    mqtt::Connack connack_;
    std::string detail_;

    std::vector<std::byte> in_;
    std::size_t in_start_ = 0;
    std::deque<std::vector<std::byte>> outbox_;
    bool writing_ = false;
    error_code write_error_;

    std::uint16_t last_packet_id_ = 0;
    std::deque<mqtt::Publish> inbox_;
    std::set<std::uint16_t> inbound_qos2_;  // PUBREC sent, PUBREL not yet received
    std::uint64_t pings_sent_ = 0, pingresps_ = 0;
    std::deque<std::uint64_t> barriers_;  // ping numbers whose PINGRESP ends a barrier
    std::size_t barriers_done_ = 0;
    // What the operation in progress waits for.
    std::uint16_t wait_id_ = 0;
    std::optional<mqtt::Packet> wait_result_;
};

}  // namespace harperrt::client
