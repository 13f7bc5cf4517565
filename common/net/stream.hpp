// net::Stream: one connected byte stream, whatever carries it (TCP, TLS, WebSocket,
// secure WebSocket). Sessions and the client read and write MQTT bytes through it and
// never see the transport. WebSocket binary messages are presented as one byte stream:
// MQTT packets need not be aligned on frames (MQTT v5 §6 [MQTT-6.0.0-2]).
//
// Thread-safety: like an Asio socket: one read and one write may be outstanding at once,
// started from the stream's executor (the connection's strand).
#pragma once

#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace harperrt::net {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

enum class Transport { tcp, tls, ws, wss };

class Stream {
public:
    struct Impl;  // defined in stream_impl.hpp (the only header that needs TLS and Beast)

    explicit Stream(std::unique_ptr<Impl> impl);
    Stream(Stream&&) noexcept;
    Stream& operator=(Stream&&) noexcept;
    ~Stream();

    Transport transport() const;
    asio::any_io_executor get_executor() const;

    // Reads at least one byte into `buf`; on failure sets `ec` (EOF and a peer's
    // WebSocket close are asio::error::eof) and returns 0.
    asio::awaitable<std::size_t> async_read_some(asio::mutable_buffer buf, error_code& ec);

    // TCP: suspends until the socket has bytes to read (or EOF, an error), without a
    // buffer, so an idle connection need not hold one. Other transports may hold bytes of
    // their own (TLS records, WebSocket frames): returns false at once, read directly.
    // True when it waited (`ec` set on failure).
    asio::awaitable<bool> async_wait_readable(error_code& ec);
    // The same as a callback, for TCP only (the caller checks transport()): no coroutine
    // frame is held while waiting. `handler` runs on the stream's executor.
    void async_wait_readable(std::function<void(error_code)> handler);

    // TCP: takes the socket out of Asio (its reactor forgets it) and returns its descriptor,
    // which the caller watches itself and gives back with adopt_tcp() (daemon/session/
    // parking.hpp: an idle connection need not hold Asio's ~300 bytes per socket). Nothing
    // may be outstanding on the stream. -1 and `ec` set for other transports.
    int release_tcp(error_code& ec);
    // Takes back the descriptor release_tcp() returned. On failure (`ec` set) the caller
    // still owns it.
    void adopt_tcp(int fd, error_code& ec);

    // Writes every byte of `bufs` (one gather write on TCP); sets `ec` on failure.
    asio::awaitable<void> async_write(std::span<const asio::const_buffer> bufs, error_code& ec);

    // The same with a callback (no coroutine frame held per connection): done(owner.get(),
    // ec) runs on the stream's executor; `owner` is kept alive until then, and `buf` must
    // stay valid. A function pointer and an owner rather than a std::function, whose
    // capture of a shared_ptr is a heap block per write; the operation's own memory comes
    // from util::RecyclingAllocator.
    void async_write(asio::const_buffer buf, std::shared_ptr<void> owner, void (*done)(void* owner, error_code ec));

    // TCP: writes what the socket takes now without blocking and returns the count (0 when
    // it would block; `ec` set on failure). Other transports frame or encrypt their writes:
    // returns 0 and writes nothing. Not while an async_write is outstanding.
    std::size_t try_write_some(asio::const_buffer buf, error_code& ec);

    // Graceful end: TLS close_notify, WebSocket close frame, then TCP shutdown(send).
    // Errors are ignored: the peer may already be gone.
    asio::awaitable<void> async_shutdown();

    // Abortive close; cancels outstanding operations. Safe to call more than once.
    void close();

    // "address:port" of the peer ("" once closed), and its address alone.
    std::string remote_endpoint() const;
    std::string remote_address() const;

    // The verified TLS client certificate's subject CN, when there is one.
    std::optional<std::string> peer_common_name() const;

    // Application data a transport carried (e.g. the WebSocket upgrade's headers).
    struct UpgradeInfo {
        std::string content_type;   // the upgrade's Content-Type header
        std::string accept;         // the upgrade's Accept header
        std::string authorization;  // the upgrade's Authorization header
    };
    const UpgradeInfo& upgrade_info() const;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace harperrt::net
