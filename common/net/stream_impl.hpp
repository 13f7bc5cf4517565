// The concrete transports behind net::Stream. Include this only where streams are made
// (listeners, HTTP upgrade, client connect): it pulls in OpenSSL and Beast.
#pragma once

#include "common/net/stream.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <variant>

namespace harperrt::net {

using tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<tcp::socket>;
using WsStream = boost::beast::websocket::stream<tcp::socket>;
using WssStream = boost::beast::websocket::stream<TlsStream>;

// A TCP socket is held inline; the other transports, several times larger (TLS engine
// state, WebSocket buffers), behind a pointer, so that the many plain TCP connections
// (10k idle ones) pay only for a socket. Alternative i is Transport i.
struct Stream::Impl {
    std::variant<tcp::socket, std::unique_ptr<TlsStream>, std::unique_ptr<WsStream>, std::unique_ptr<WssStream>> s;
    std::unique_ptr<UpgradeInfo> upgrade;  // WebSocket transports only
    bool closed = false;
    bool v6 = false;  // the socket's protocol, to take a released descriptor back

    template <class S>
    explicit Impl(S&& stream) : s(std::forward<S>(stream)) {}
};

// Each wraps a connected (and, for TLS/WS, handshaken) stream. TCP_NODELAY is set.
Stream make_tcp_stream(tcp::socket socket);
Stream make_tls_stream(TlsStream stream);
Stream make_ws_stream(WsStream stream, Stream::UpgradeInfo info);
Stream make_wss_stream(WssStream stream, Stream::UpgradeInfo info);

// The lowest-layer socket of any transport (for options and endpoints).
tcp::socket& lowest_socket(Stream::Impl& impl);

}  // namespace harperrt::net
