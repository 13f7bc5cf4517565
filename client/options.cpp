// client/options.cpp: error category, default ports and URL parsing (see options.hpp).
#include "client/options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace harperrt::client {

namespace {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"  // boost::system::error_category's own
class ClientCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "client"; }
    std::string message(int ev) const override {
        switch (static_cast<Errc>(ev)) {
        case Errc::cannot_connect: return "cannot connect";
        case Errc::timeout: return "timed out";
        case Errc::connection_closed: return "connection closed by the server";
        case Errc::protocol_error: return "protocol error";
        case Errc::bad_url: return "bad URL";
        }
        return "unknown client error";
    }
};
#pragma GCC diagnostic pop

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// RFC 3986 percent-decoding; nullopt for a truncated or non-hex escape and for %00 (MQTT
// strings cannot hold U+0000 [MQTT-1.5.4-2]).
std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

std::optional<net::Transport> transport_of(std::string scheme) {
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "mqtt" || scheme == "tcp") return net::Transport::tcp;
    if (scheme == "mqtts" || scheme == "ssl" || scheme == "tls") return net::Transport::tls;
    if (scheme == "ws") return net::Transport::ws;
    if (scheme == "wss") return net::Transport::wss;
    return std::nullopt;
}

bool is_ipv6_literal(std::string_view s) {
    if (s.find(':') == std::string_view::npos) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
    });
}

Failure bad(std::string* problem, std::string what) {
    if (problem != nullptr) *problem = std::move(what);
    return error(Errc::bad_url);
}

}  // namespace

const boost::system::error_category& client_category() noexcept {
    static const ClientCategory category;
    return category;
}

std::uint16_t default_port(net::Transport transport) noexcept {
    switch (transport) {
    case net::Transport::tcp: return 1883;
    case net::Transport::tls: return 8883;
    case net::Transport::ws:
    case net::Transport::wss: return 9926;
    }
    return 1883;
}

std::uint16_t Options::effective_port() const noexcept { return port != 0 ? port : default_port(transport); }

std::string Options::authority() const {
    const std::string p = std::to_string(effective_port());
    if (host.find(':') != std::string::npos) return "[" + host + "]:" + p;
    return host + ":" + p;
}

Result<Options> apply_url(std::string_view url, Options opts, std::string* problem) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos)
        return bad(problem, "expected scheme://host[:port] with scheme mqtt, mqtts, ws or wss");
    const auto scheme = url.substr(0, scheme_end);
    const auto transport = transport_of(std::string(scheme));
    if (!transport) return bad(problem, "unknown scheme '" + std::string(scheme) + "' (expected mqtt, mqtts, ws or wss)");
    auto authority = url.substr(scheme_end + 3);
    std::string_view path;
    if (const auto end = authority.find_first_of("/?#"); end != std::string_view::npos) {
        path = authority.substr(end);
        authority = authority.substr(0, end);
    }
    if (path.find('#') != std::string_view::npos) return bad(problem, "a URL fragment (#...) is not allowed");
    const bool websocket = *transport == net::Transport::ws || *transport == net::Transport::wss;
    if (!websocket && !path.empty() && path != "/")
        return bad(problem, std::string(scheme) + ":// URLs take no path (give the topic with -t)");

    std::optional<std::string> username, password;
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const auto userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        const auto colon = userinfo.find(':');
        username = percent_decode(userinfo.substr(0, colon));
        if (!username) return bad(problem, "bad percent-encoding in the user name");
        if (colon != std::string_view::npos) {
            password = percent_decode(userinfo.substr(colon + 1));
            if (!password) return bad(problem, "bad percent-encoding in the password");
        }
        if (username->empty() && colon == std::string_view::npos) username.reset();  // "mqtt://@host"
    }

    std::string_view host = authority, port;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return bad(problem, "missing ']' after the IPv6 address");
        host = authority.substr(1, close - 1);
        if (!is_ipv6_literal(host)) return bad(problem, "'" + std::string(host) + "' is not an IPv6 address");
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return bad(problem, "expected ':port' after ']'");
            port = after.substr(1);
            has_port = true;
        }
    } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
        if (authority.find(':', colon + 1) != std::string_view::npos)
            return bad(problem, "an IPv6 address needs brackets, e.g. " + std::string(scheme) + "://[::1]:1883");
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        has_port = true;
    }
    if (host.empty()) return bad(problem, "no host in the URL");

    std::uint16_t port_number = 0;
    if (has_port) {
        unsigned value = 0;
        const auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (port.empty() || ec != std::errc{} || ptr != port.data() + port.size() || value == 0 || value > 65535)
            return bad(problem, "bad port '" + std::string(port) + "' (expected 1 to 65535)");
        port_number = static_cast<std::uint16_t>(value);
    }

    opts.transport = *transport;
    opts.host = std::string(host);
    opts.port = port_number;
    if (username) opts.username = std::move(*username);
    if (password) opts.password = std::move(*password);
    if (websocket) {
        if (path.empty()) opts.path = "/mqtt";
        else if (path.front() == '?') opts.path = "/" + std::string(path);
        else opts.path = std::string(path);
    }
    return opts;
}

}  // namespace harperrt::client
