#include "tests/support/test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace harperrt::test {

TestClient::TestClient(std::uint16_t port, mqtt::Version version) : version_(version) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

TestClient::~TestClient() {
    if (fd_ >= 0) ::close(fd_);
}

void TestClient::send(const mqtt::Packet& packet) { send_raw(mqtt::encode(packet, version_)); }

void TestClient::send_raw(const mqtt::Bytes& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
        const auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
        if (n <= 0) {
            closed_ = true;
            return;
        }
        off += static_cast<std::size_t>(n);
    }
}

std::optional<mqtt::Packet> TestClient::receive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto size = mqtt::frame_size(rx_, 268435460u);
        if (size && *size > 0 && rx_.size() >= *size) {
            const std::span<const std::byte> frame(rx_.data(), *size);
            auto packet = mqtt::decode(frame, version_);
            rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(*size));
            if (!packet) throw std::runtime_error("server sent a malformed packet: " + packet.error().message());
            return std::move(*packet);
        }
        if (closed_) return std::nullopt;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
        std::byte buf[16384];
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) {
            closed_ = true;
            continue;
        }
        rx_.insert(rx_.end(), buf, buf + n);
    }
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        if (!receive(left)) continue;  // discard packets until the close
    }
    return true;
}

mqtt::Connack TestClient::connect(const std::string& id, bool clean, mqtt::Properties props, std::uint16_t keep_alive) {
    mqtt::Connect c;
    c.version = version_;
    c.client_id = id;
    c.clean_start = clean;
    c.keep_alive = keep_alive;
    c.properties = std::move(props);
    return connect(std::move(c));
}

mqtt::Connack TestClient::connect(mqtt::Connect c) {
    c.version = version_;
    send(c);
    return expect<mqtt::Connack>();
}

mqtt::Suback TestClient::subscribe(const std::string& filter, mqtt::QoS qos, std::uint16_t packet_id,
                                   mqtt::SubscribeOptions options, mqtt::Properties props) {
    options.qos = qos;
    send(mqtt::Subscribe{packet_id, {{filter, options}}, std::move(props)});
    return expect<mqtt::Suback>();
}

void TestClient::publish(const std::string& topic, const std::string& payload, mqtt::QoS qos, bool retain,
                         std::uint16_t packet_id, mqtt::Properties props) {
    mqtt::Publish p{topic, payload, qos, retain, false, qos == mqtt::QoS::at_most_once ? std::uint16_t{0} : packet_id,
                    std::move(props)};
    send(p);
    if (qos == mqtt::QoS::at_least_once) {
        EXPECT_EQ(expect<mqtt::Puback>().packet_id, packet_id);
    } else if (qos == mqtt::QoS::exactly_once) {
        EXPECT_EQ(expect<mqtt::Pubrec>().packet_id, packet_id);
        send(mqtt::Pubrel{packet_id, mqtt::ReasonCode::success, {}});
        EXPECT_EQ(expect<mqtt::Pubcomp>().packet_id, packet_id);
    }
}

mqtt::Publish TestClient::receive_publish(std::chrono::milliseconds timeout) {
    auto p = expect<mqtt::Publish>(timeout);
    if (p.qos == mqtt::QoS::at_least_once) {
        send(mqtt::Puback{p.packet_id, mqtt::ReasonCode::success, {}});
    } else if (p.qos == mqtt::QoS::exactly_once) {
        send(mqtt::Pubrec{p.packet_id, mqtt::ReasonCode::success, {}});
        expect<mqtt::Pubrel>(timeout);
        send(mqtt::Pubcomp{p.packet_id, mqtt::ReasonCode::success, {}});
    }
    return p;
}

void TestClient::disconnect(mqtt::ReasonCode rc) { send(mqtt::Disconnect{rc, {}}); }

bool TestClient::nothing_pending() {
    send(mqtt::Pingreq{});
    auto p = receive();
    return p && std::holds_alternative<mqtt::Pingresp>(*p);
}

}  // namespace harperrt::test
