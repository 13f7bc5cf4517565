#include "common/net/stream_impl.hpp"

#include "common/util/recycling_allocator.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/websocket/error.hpp>

#include <openssl/x509.h>

#include <array>

namespace harperrt::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

// The stream of alternative I of `impl`.
template <std::size_t I>
auto& at(Stream::Impl& impl) {
    if constexpr (I == 0) return std::get<0>(impl.s);
    else return *std::get<I>(impl.s);
}

template <class T>
T& deref(T& s) {
    return s;
}
template <class T>
T& deref(std::unique_ptr<T>& p) {
    return *p;
}

template <class T>
tcp::socket& lowest(T& s) {
    if constexpr (std::is_same_v<T, tcp::socket>) return s;
    else if constexpr (std::is_same_v<T, TlsStream>) return s.next_layer();
    else if constexpr (std::is_same_v<T, WsStream>) return s.next_layer();
    else return s.next_layer().next_layer();
}

Stream wrap(std::unique_ptr<Stream::Impl> impl) {
    error_code ignored;
    auto& sock = lowest_socket(*impl);
    sock.set_option(tcp::no_delay(true), ignored);
    impl->v6 = sock.local_endpoint(ignored).protocol() == tcp::v6();
    return Stream(std::move(impl));
}

}  // namespace

tcp::socket& lowest_socket(Stream::Impl& impl) {
    return std::visit([](auto& s) -> tcp::socket& { return lowest(deref(s)); }, impl.s);
}

Stream make_tcp_stream(tcp::socket socket) {
    return wrap(std::make_unique<Stream::Impl>(std::move(socket)));
}
Stream make_tls_stream(TlsStream stream) {
    return wrap(std::make_unique<Stream::Impl>(std::make_unique<TlsStream>(std::move(stream))));
}
Stream make_ws_stream(WsStream stream, Stream::UpgradeInfo info) {
    stream.binary(true);
    auto impl = std::make_unique<Stream::Impl>(std::make_unique<std::decay_t<decltype(stream)>>(std::move(stream)));
    impl->upgrade = std::make_unique<Stream::UpgradeInfo>(std::move(info));
    return wrap(std::move(impl));
}
Stream make_wss_stream(WssStream stream, Stream::UpgradeInfo info) {
    stream.binary(true);
    auto impl = std::make_unique<Stream::Impl>(std::make_unique<std::decay_t<decltype(stream)>>(std::move(stream)));
    impl->upgrade = std::make_unique<Stream::UpgradeInfo>(std::move(info));
    return wrap(std::move(impl));
}

Stream::Stream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&&) noexcept = default;
Stream::~Stream() = default;

Transport Stream::transport() const { return static_cast<Transport>(impl_->s.index()); }

asio::any_io_executor Stream::get_executor() const {
    return std::visit([](auto& s) { return asio::any_io_executor(deref(s).get_executor()); }, impl_->s);
}

namespace {
// A WebSocket read, as MQTT sees it: the close frame is the end of the stream, and a text
// frame is an error (MQTT needs binary frames).
template <class WebSocket>
asio::awaitable<std::size_t> ws_read_some(WebSocket& ws, asio::mutable_buffer buf, error_code& ec) {
    const auto n = co_await ws.async_read_some(buf, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == websocket::error::closed) ec = asio::error::eof;
    if (!ec && ws.got_text()) ec = asio::error::invalid_argument;
    co_return ec ? 0 : n;
}
}  // namespace

// Not a coroutine for TCP and TLS: it returns Asio's own awaitable, so a read costs no
// coroutine frame of ours. Asio 1.18 recycles one frame per thread; a second frame per
// read (this one around Asio's) was a heap allocation per read: 0.1 per message on QoS 1
// fan-in.
asio::awaitable<std::size_t> Stream::async_read_some(asio::mutable_buffer buf, error_code& ec) {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    switch (impl_->s.index()) {
    case 0: return at<0>(*impl_).async_read_some(buf, token);
    case 1: return at<1>(*impl_).async_read_some(buf, token);
    case 2: return ws_read_some(at<2>(*impl_), buf, ec);
    default: return ws_read_some(at<3>(*impl_), buf, ec);
    }
}

asio::awaitable<bool> Stream::async_wait_readable(error_code& ec) {
    if (impl_->s.index() != 0) co_return false;
    co_await at<0>(*impl_).async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    co_return true;
}

void Stream::async_wait_readable(std::function<void(error_code)> handler) {
    std::get<0>(impl_->s).async_wait(tcp::socket::wait_read, std::move(handler));
}

int Stream::release_tcp(error_code& ec) {
    if (impl_->s.index() != 0 || impl_->closed) {
        ec = asio::error::operation_not_supported;
        return -1;
    }
    return at<0>(*impl_).release(ec);
}

void Stream::adopt_tcp(int fd, error_code& ec) {
    at<0>(*impl_).assign(impl_->v6 ? tcp::v6() : tcp::v4(), fd, ec);
}

asio::awaitable<void> Stream::async_write(std::span<const asio::const_buffer> bufs, error_code& ec) {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    switch (impl_->s.index()) {
    case 0: co_await asio::async_write(at<0>(*impl_), bufs, token); break;
    case 1: co_await asio::async_write(at<1>(*impl_), bufs, token); break;
    case 2: co_await at<2>(*impl_).async_write(bufs, token); break;
    default: co_await at<3>(*impl_).async_write(bufs, token); break;
    }
}

namespace {
// The completion of Stream::async_write's callback form: its owner, its function, and the
// allocator Asio allocates the operation with (associated_allocator).
struct WriteDone {
    std::shared_ptr<void> owner;
    void (*fn)(void*, error_code);
    using allocator_type = util::RecyclingAllocator<void>;
    allocator_type get_allocator() const noexcept { return {}; }
    void operator()(error_code ec, std::size_t) const { fn(owner.get(), ec); }
};
}  // namespace

void Stream::async_write(asio::const_buffer buf, std::shared_ptr<void> owner, void (*fn)(void*, error_code)) {
    WriteDone done{std::move(owner), fn};
    switch (impl_->s.index()) {
    case 0: asio::async_write(at<0>(*impl_), buf, std::move(done)); break;
    case 1: asio::async_write(at<1>(*impl_), buf, std::move(done)); break;
    case 2: at<2>(*impl_).async_write(buf, std::move(done)); break;
    default: at<3>(*impl_).async_write(buf, std::move(done)); break;
    }
}

std::size_t Stream::try_write_some(asio::const_buffer buf, error_code& ec) {
    if (impl_->s.index() != 0 || impl_->closed) return 0;
    auto& sock = at<0>(*impl_);
    if (!sock.non_blocking()) sock.non_blocking(true, ec);
    if (ec) return 0;
    const auto n = sock.write_some(buf, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) ec.clear();
    return n;
}

asio::awaitable<void> Stream::async_shutdown() {
    error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    switch (impl_->s.index()) {
    case 1: co_await at<1>(*impl_).async_shutdown(token); break;
    case 2: co_await at<2>(*impl_).async_close(websocket::close_code::normal, token); break;
    case 3: co_await at<3>(*impl_).async_close(websocket::close_code::normal, token); break;
    default: break;
    }
    lowest_socket(*impl_).shutdown(tcp::socket::shutdown_send, ec);
}

void Stream::close() {
    if (impl_->closed) return;
    impl_->closed = true;
    error_code ignored;
    auto& sock = lowest_socket(*impl_);
    sock.shutdown(tcp::socket::shutdown_both, ignored);
    sock.close(ignored);
}

std::string Stream::remote_endpoint() const {
    error_code ec;
    const auto ep = lowest_socket(*impl_).remote_endpoint(ec);
    if (ec) return {};
    const auto addr = ep.address();
    return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" + std::to_string(ep.port());
}

std::string Stream::remote_address() const {
    error_code ec;
    const auto ep = lowest_socket(*impl_).remote_endpoint(ec);
    return ec ? std::string{} : ep.address().to_string();
}

std::optional<std::string> Stream::peer_common_name() const {
    SSL* ssl = nullptr;
    if (auto* t = std::get_if<std::unique_ptr<TlsStream>>(&impl_->s)) ssl = (*t)->native_handle();
    else if (auto* w = std::get_if<std::unique_ptr<WssStream>>(&impl_->s)) ssl = (*w)->next_layer().native_handle();
    if (ssl == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (cert == nullptr) return std::nullopt;
    std::optional<std::string> cn;
    std::array<char, 256> buf{};
    const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf.data(),
                                            static_cast<int>(buf.size()));
    if (n > 0) cn.emplace(buf.data(), static_cast<std::size_t>(n));
    X509_free(cert);
    return cn;
}

const Stream::UpgradeInfo& Stream::upgrade_info() const {
    static const UpgradeInfo none;
    return impl_->upgrade ? *impl_->upgrade : none;
}

}  // namespace harperrt::net
