// TestClient: a blocking MQTT client for integration tests, built on our codec over a
// plain socket, so a test can send exactly the packets it means (malformed ones too) and
// read exactly what the server answers. Every receive has a timeout; nothing sleeps.
#pragma once

#include "common/mqtt/codec.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace harperrt::test {

using namespace std::chrono_literals;

class TestClient {
public:
    TestClient(std::uint16_t port, mqtt::Version version);
    ~TestClient();
    TestClient(const TestClient&) = delete;
    TestClient& operator=(const TestClient&) = delete;

    mqtt::Version version() const { return version_; }

    void send(const mqtt::Packet& packet);
    void send_raw(const mqtt::Bytes& bytes);

    // The next packet, or nullopt when none arrives within `timeout` or the connection
    // closed (then closed() is true).
    std::optional<mqtt::Packet> receive(std::chrono::milliseconds timeout = 5s);
    // Like receive(), but fails the current test unless a T arrives.
    template <class T>
    T expect(std::chrono::milliseconds timeout = 5s);

    // True once the server has closed the connection (waits up to `timeout` for it).
    bool wait_closed(std::chrono::milliseconds timeout = 5s);
    bool closed() const { return closed_; }

    // CONNECT with `id` (and `clean`), returns the CONNACK.
    mqtt::Connack connect(const std::string& id, bool clean = true, mqtt::Properties props = {},
                          std::uint16_t keep_alive = 60);
    mqtt::Connack connect(mqtt::Connect c);
    // SUBSCRIBE one filter, returns the SUBACK.
    mqtt::Suback subscribe(const std::string& filter, mqtt::QoS qos, std::uint16_t packet_id = 1,
                           mqtt::SubscribeOptions options = {}, mqtt::Properties props = {});
    // PUBLISH; for QoS 1 waits for PUBACK, for QoS 2 completes PUBREC/PUBREL/PUBCOMP.
    void publish(const std::string& topic, const std::string& payload, mqtt::QoS qos = mqtt::QoS::at_most_once,
                 bool retain = false, std::uint16_t packet_id = 1, mqtt::Properties props = {});
    // Waits for a PUBLISH and acknowledges it as its QoS requires.
    mqtt::Publish receive_publish(std::chrono::milliseconds timeout = 5s);
    void disconnect(mqtt::ReasonCode rc = mqtt::ReasonCode::success);
    // True if the next packet to arrive is the PINGRESP to a PINGREQ sent now: nothing the
    // server had queued for this client before that moment is still on its way.
    bool nothing_pending();

private:
    int fd_ = -1;
    mqtt::Version version_;
    mqtt::Bytes rx_;
    bool closed_ = false;
};

}  // namespace harperrt::test

#include <gtest/gtest.h>

namespace harperrt::test {

template <class T>
T TestClient::expect(std::chrono::milliseconds timeout) {
    auto p = receive(timeout);
    if (!p) {
        ADD_FAILURE() << "expected a packet, got " << (closed_ ? "a closed connection" : "a timeout");
        return T{};
    }
    if (!std::holds_alternative<T>(*p)) {
        ADD_FAILURE() << "expected another packet type, got " << mqtt::name(mqtt::type_of(*p));
        return T{};
    }
    return std::get<T>(std::move(*p));
}

}  // namespace harperrt::test
