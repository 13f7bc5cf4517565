// harperrt::client options: where and how to connect (transport, host, port, credentials,
// TLS), the client's own error codes, and URLs `mqtt://user:pass@host:port` turned into
// Options. No Asio here, so the URL rules are unit-tested without sockets.
#pragma once

#include "common/mqtt/packet.hpp"
#include "common/net/stream.hpp"
#include "common/util/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace harperrt::client {

// The client's own failures; MQTT refusals are mqtt::ReasonCode errors instead.
enum class Errc {
    cannot_connect = 1,  // DNS, refused, TLS handshake, WebSocket upgrade
    timeout,             // the deadline passed
    connection_closed,   // the server closed the connection without a DISCONNECT
    protocol_error,      // the server sent something that does not decode or fit
    bad_url,             // the URL cannot be parsed
};

const boost::system::error_category& client_category() noexcept;
inline boost::system::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), client_category()};
}

struct Options {
    net::Transport transport = net::Transport::tcp;
    std::string host = "127.0.0.1";  // a name or an address; an IPv6 address without brackets
    std::uint16_t port = 0;          // 0: default_port(transport)
    std::string path = "/mqtt";      // WebSocket request target
    std::optional<std::string> username;
    std::optional<std::string> password;
    std::string client_id;  // empty: the server assigns one (v5) / harperrt-<pid> (3.1.1)
    mqtt::Version version = mqtt::Version::v5;
    std::uint16_t keep_alive = 60;  // seconds; 0 disables
    bool clean_start = true;
    std::optional<std::uint32_t> session_expiry;  // v5 Session Expiry Interval, seconds
    // TLS (mqtts, wss).
    std::optional<std::string> cafile, certfile, keyfile;
    bool insecure = false;  // skip certificate and host name verification

    std::uint16_t effective_port() const noexcept;
    // "host:port", with an IPv6 address in brackets ("[::1]:1883"): the HTTP Host header
    // of a WebSocket upgrade, and how messages name the server.
    std::string authority() const;
};

// 1883 (tcp), 8883 (tls), 9926 (ws and wss: the daemon's HTTP port).
std::uint16_t default_port(net::Transport transport) noexcept;

// Applies a URL `scheme://[user[:password]@]host[:port][/path]` to `opts`.
//  - Schemes (case-insensitive): mqtt (alias tcp), mqtts (ssl, tls), ws, wss.
//  - User name and password are percent-decoded ("p%40ss" is "p@ss"); a URL without them
//    keeps those of `opts`.
//  - host is a name, an IPv4 address or an IPv6 address in brackets ("[::1]:1883").
//  - No port: the scheme's default (port 0 in Options). Ports are 1..65535.
//  - ws/wss: the path (with any query) is the request target, "/mqtt" when absent.
//    mqtt/mqtts take no path: the topic is given with -t.
// On failure returns Errc::bad_url and, if `problem` is given, stores what is wrong in it
// ("unknown scheme 'http' (expected mqtt, mqtts, ws or wss)").
Result<Options> apply_url(std::string_view url, Options opts, std::string* problem = nullptr);

}  // namespace harperrt::client

namespace boost::system {
template <>
struct is_error_code_enum<harperrt::client::Errc> : std::true_type {};
}  // namespace boost::system
