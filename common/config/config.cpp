#include "common/config/config.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

namespace harperrt::config {
namespace {

bool listener_enabled(const std::optional<std::uint16_t>& a, const std::optional<std::uint16_t>& b) {
    return a.has_value() || b.has_value();
}

bool is_b64(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
               c == '/' || c == '.' || c == '=' || c == '-' || c == '_';
    });
}

// Splits "$a$b$c" into {"a", "b", "c"}; empty when `s` does not start with '$'.
std::vector<std::string_view> phc_fields(std::string_view s) {
    std::vector<std::string_view> out;
    if (s.empty() || s.front() != '$') return out;
    s.remove_prefix(1);
    while (true) {
        const auto dollar = s.find('$');
        out.push_back(s.substr(0, dollar));
        if (dollar == std::string_view::npos) break;
        s.remove_prefix(dollar + 1);
    }
    return out;
}

}  // namespace

std::optional<PublicListener> first_public_listener(const Config& config) {
    const auto& net = config.mqtt.network;
    if (listener_enabled(net.port, net.secure_port) && !is_loopback_host(net.host))
        return PublicListener{"mqtt.network.host", net.host};
    // The HTTP listeners serve MQTT over WebSocket and the REST view of the same records,
    // so they count whether or not mqtt.webSocket is on.
    if (listener_enabled(config.http.port, config.http.secure_port) && !is_loopback_host(config.http.host))
        return PublicListener{"http.host", config.http.host};
    return std::nullopt;
}

bool effective_require_authentication(const Config& config) {
    if (config.mqtt.require_authentication) return *config.mqtt.require_authentication;
    return first_public_listener(config).has_value();
}

bool is_loopback_host(std::string_view host) {
    if (host == "localhost") return true;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const std::string h(host);
    in_addr v4{};
    if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
        static constexpr std::array<unsigned char, 16> loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        if (std::memcmp(v6.s6_addr, loopback.data(), loopback.size()) == 0) return true;
        static constexpr std::array<unsigned char, 12> v4_mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        return std::memcmp(v6.s6_addr, v4_mapped.data(), v4_mapped.size()) == 0 && v6.s6_addr[12] == 127;
    }
    return false;
}

bool is_password_hash(std::string_view password) {
    const auto f = phc_fields(password);
    if (f.size() != 4) return false;
    if (f[0] == "pbkdf2-sha256") {
        // i=<iterations>, decimal, no leading zero.
        const auto params = f[1];
        if (params.size() < 3 || params.substr(0, 2) != "i=" || params[2] == '0') return false;
        if (!std::all_of(params.begin() + 2, params.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return false;
    } else if (f[0] == "scrypt") {
        if (f[1].empty() || f[1].find('=') == std::string_view::npos) return false;  // ln=..,r=..,p=..
    } else {
        return false;
    }
    return is_b64(f[2]) && is_b64(f[3]);
}

}  // namespace harperrt::config
