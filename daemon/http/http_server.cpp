#include "daemon/http/http_server.hpp"

#include "daemon/auth/acl.hpp"
#include "daemon/broker/query.hpp"
#include "daemon/broker/record_write.hpp"

#include "common/encoding/codec.hpp"
#include "common/encoding/content_type.hpp"
#include "common/net/stream_impl.hpp"
#include "common/topic/record_topic.hpp"
#include "common/util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <type_traits>
#include <variant>

namespace harperrt::daemon::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

// How long a request may take to arrive, and one write of a response to be taken.
constexpr auto idle_timeout = std::chrono::seconds(30);
// After refusing a request whose body is still coming, how long and how much of it is read
// and discarded before closing, so that the client sees the response and not a reset.
constexpr auto linger_timeout = std::chrono::seconds(2);
constexpr std::size_t linger_bytes = 4 * 1024 * 1024;
// Records per batch of a streamed GET /Table/ (one chunk each).
constexpr std::size_t stream_batch = 500;

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

Response make_response(unsigned version, bool keep_alive, bhttp::status status, std::string body,
                       std::string_view content_type = "application/json") {
    Response res{status, version};
    res.set(bhttp::field::server, "harperrt");
    res.set(bhttp::field::content_type, beast::string_view(content_type.data(), content_type.size()));
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

Response make_response(const Request& req, bhttp::status status, std::string body,
                       std::string_view content_type = "application/json") {
    return make_response(req.version(), req.keep_alive(), status, std::move(body), content_type);
}

Response error_response(unsigned version, bool keep_alive, bhttp::status status, std::string_view message) {
    auto res = make_response(version, keep_alive, status, fmt::format(R"({{"error":"{}"}})", message));
    if (status == bhttp::status::unauthorized) res.set(bhttp::field::www_authenticate, R"(Basic realm="harperrt")");
    return res;
}

Response error_response(const Request& req, bhttp::status status, std::string_view message) {
    return error_response(req.version(), req.keep_alive(), status, message);
}

asio::awaitable<auth::Login> authenticate_off_strand(const auth::Authorizer* authorizer, auth::Credentials credentials) {
    co_return authorizer->authenticate_cached(credentials);
}

// Who sends `req`: nullopt (counted as an authentication failure; the caller answers 401)
// when it must authenticate or did and failed. Basic sends the password with every
// request, so a user name and password verified in the last 60 s are taken from the
// authorizer's credential cache (emptied on SIGHUP) without a PBKDF2 run. Otherwise the
// password is verified on the broker's auth pool, not on this connection's strand, which
// may be shared with others; a refusal is never cached, so a wrong password costs the
// full KDF (and is counted) every time.
asio::awaitable<std::optional<auth::Identity>> identify(broker::Broker& broker, const Request& req) {
    auth::Credentials cred;
    if (const auto h = req.find(bhttp::field::authorization); h != req.end()) {
        auto basic = auth::parse_basic_authorization(std::string_view(h->value().data(), h->value().size()));
        if (!basic) {
            broker::Stats::add(broker.stats().auth_failures_http);
            co_return std::nullopt;
        }
        cred = std::move(*basic);
    }
    auth::Login login;
    if (auto hit = broker.authorizer().cached_login(cred)) {
        login = std::move(*hit);  // no hop to the auth pool, which may be busy with misses
    } else if (cred.password) {
        auto task = authenticate_off_strand(&broker.authorizer(), std::move(cred));
        login = co_await asio::co_spawn(broker.auth_pool().get_executor(), std::move(task), asio::use_awaitable);
    } else {
        login = broker.authorizer().authenticate(cred);
    }
    if (login.result != auth::LoginResult::ok) {
        broker::Stats::add(broker.stats().auth_failures_http);
        co_return std::nullopt;
    }
    co_return auth::Identity{login.user, "http"};
}

encoding::Format response_format(const Request& req) {
    if (const auto h = req.find(bhttp::field::accept); h != req.end())
        if (auto f = encoding::choose_from_accept(std::string_view(h->value().data(), h->value().size()))) return *f;
    return encoding::Format::json;
}

Response health(const Request& req, broker::Broker& broker) {
    return make_response(req, bhttp::status::ok,
                         fmt::format(R"({{"status":"ok","connections":{},"sessions":{}}})", broker.connection_count(),
                                     broker.session_count()));
}

// GET /Table/ and GET /Table/?query: what to stream (write_collection) once rest() has
// checked the request.
struct Collection {
    std::string table;
    encoding::Format format = encoding::Format::json;
    std::shared_ptr<const broker::LiveQuery> query;  // GET /Table/?query (DESIGN.md §5 syntax)
};

// Reads a collection batch by batch, each record already encoded in the response format.
// Without a query the store's scan, MessagePack passed through as stored; with one, the
// query's QueryScan (its indexes, limit and select).
class CollectionReader {
public:
    CollectionReader(const broker::Records& records, const Collection& coll) : records_(records), coll_(coll) {
        if (coll.query) scan_.emplace(records, coll.query, stream_batch);
    }
    bool done() const { return done_; }
    // Appends the next batch's encoded records to `items`.
    Result<void> next(std::vector<std::string>& items) {
        if (scan_) {
            auto matches = scan_->next();
            if (!matches) return error(matches.error());
            for (const auto& m : *matches) items.push_back(encoding::encode(*m.value, coll_.format));
            done_ = scan_->done();
            return ok();
        }
        auto batch = records_.store().scan(coll_.table, after_, stream_batch);
        if (!batch) return error(batch.error());
        for (auto& rec : *batch) {
            if (coll_.format == encoding::Format::msgpack) {  // records are stored as MessagePack
                items.push_back(std::move(rec.data));
                continue;
            }
            std::string item;
            if (auto done = encoding::transcode_to(rec.data, encoding::Format::msgpack, coll_.format, item); !done) {
                log::warn("GET /{}/: record {} does not decode: {}", coll_.table, rec.key.id, done.error().message());
                continue;
            }
            items.push_back(std::move(item));
        }
        done_ = batch->size() < stream_batch;
        if (!done_) after_ = batch->back().key.id;
        return ok();
    }

private:
    const broker::Records& records_;
    const Collection& coll_;
    std::optional<broker::QueryScan> scan_;
    std::optional<std::string> after_;
    bool done_ = false;
};

using RestResult = std::variant<Response, Collection>;

Response denied(const Request& req, std::atomic<std::uint64_t>& counter) {
    broker::Stats::add(counter);
    return error_response(req, bhttp::status::forbidden, "not authorized");
}

// REST on /Table/ID and /Table/ (DESIGN.md §7).
asio::awaitable<RestResult> rest(const Request& req, broker::Broker& broker) {
    const auto target = std::string_view(req.target().data(), req.target().size());
    const auto path = target.substr(0, target.find('?'));
    const auto& records = broker.records();
    auto who = co_await identify(broker, req);
    if (!who) co_return error_response(req, bhttp::status::unauthorized, "authentication required");
    const auto topic_name = path.substr(1);
    const auto slash = topic_name.find('/');
    const auto table = topic_name.substr(0, slash);
    if (records.tables().find(table) == nullptr) co_return error_response(req, bhttp::status::not_found, "no such table");
    const auto& authorizer = broker.authorizer();
    auto& stats = broker.stats();
    const auto method = req.method();

    if (slash == std::string_view::npos || slash + 1 == topic_name.size()) {  // the collection
        if (method != bhttp::verb::get) co_return error_response(req, bhttp::status::method_not_allowed, "GET only");
        if (!authorizer.can_table(*who, table, auth::TableAction::read)) co_return denied(req, stats.denied_rest_read);
        Collection coll{std::string(table), response_format(req), nullptr};
        if (const auto q = target.find('?'); q != std::string_view::npos) {
            // The query string is a query (DESIGN.md §5), positions counted in it from 1.
            const broker::QueryFilter qf{std::string(table), target.substr(q + 1), 0};
            auto live = broker::make_live_query(std::string(table) + "/?" + std::string(qf.text), qf, records);
            if (!live.query) co_return error_response(req, bhttp::status::bad_request, live.error);
            coll.query = std::move(live.query);
        }
        co_return coll;
    }

    auto key = records.key_of(topic_name);
    if (!key || !*key) co_return error_response(req, bhttp::status::bad_request, "not a record path");
    const auto origin = std::make_shared<const broker::WriteOrigin>();
    switch (method) {
    case bhttp::verb::get: {
        if (!authorizer.can_table(*who, table, auth::TableAction::read)) co_return denied(req, stats.denied_rest_read);
        auto found = records.store().get(**key);
        if (!found) co_return error_response(req, bhttp::status::internal_server_error, found.error().message());
        if (!*found) co_return error_response(req, bhttp::status::not_found, "no such record");
        const auto format = response_format(req);
        std::string body;
        if (auto done = encoding::transcode_to((**found).data, encoding::Format::msgpack, format, body); !done)
            co_return error_response(req, bhttp::status::internal_server_error, done.error().message());
        auto res = make_response(req, bhttp::status::ok, std::move(body), encoding::content_type(format));
        res.set(bhttp::field::etag, fmt::format("\"{}\"", (**found).version));
        co_return res;
    }
    case bhttp::verb::put: {
        if (!authorizer.can_table(*who, table, auth::TableAction::insert_or_update))
            co_return denied(req, stats.denied_rest_write);
        auto format = encoding::Format::json;
        if (const auto h = req.find(bhttp::field::content_type); h != req.end()) {
            auto f = encoding::format_from_content_type(std::string_view(h->value().data(), h->value().size()));
            if (!f) co_return error_response(req, bhttp::status::unsupported_media_type, "JSON, CBOR or MessagePack");
            format = *f;
        }
        auto record = records.make_record(**key, req.body(), format);
        if (!record) co_return error_response(req, bhttp::status::bad_request, record.error().message());
        auto value = std::make_shared<const encoding::Value>(std::move(*record));
        auto put = co_await broker::async_put_record(broker, **key, std::move(value), origin);
        if (!put) co_return error_response(req, bhttp::status::internal_server_error, put.error().message());
        auto res = make_response(req, bhttp::status::no_content, "");
        res.set(bhttp::field::etag, fmt::format("\"{}\"", put->version));
        co_return res;
    }
    case bhttp::verb::delete_: {
        if (!authorizer.can_table(*who, table, auth::TableAction::remove))
            co_return denied(req, stats.denied_rest_delete);
        auto removed = co_await broker::async_remove_record(broker, **key, origin);
        if (!removed) co_return error_response(req, bhttp::status::internal_server_error, removed.error().message());
        if (!removed->existed) co_return error_response(req, bhttp::status::not_found, "no such record");
        co_return make_response(req, bhttp::status::no_content, "");
    }
    default:
        co_return error_response(req, bhttp::status::method_not_allowed, "GET, PUT or DELETE");
    }
}

bool wants_mqtt_subprotocol(const Request& req) {
    const auto h = req.find(bhttp::field::sec_websocket_protocol);
    if (h == req.end()) return false;
    std::string_view list(h->value().data(), h->value().size());
    while (!list.empty()) {
        const auto comma = list.find(',');
        auto item = list.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item == "mqtt") return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::string header(const Request& req, bhttp::field f) {
    const auto h = req.find(f);
    return h == req.end() ? std::string{} : std::string(h->value().data(), h->value().size());
}

tcp::socket& lowest(tcp::socket& s) { return s; }
tcp::socket& lowest(net::TlsStream& s) { return s.next_layer(); }

// Closes `socket` if `timer` (set to `timeout`) expires before it is cancelled: the bound
// on one read or write. The socket must outlive the wait, or the timer be cancelled first.
template <class Socket>
void arm(asio::steady_timer& timer, Socket& socket, std::chrono::steady_clock::duration timeout) {
    timer.expires_after(timeout);
    auto on_expiry = [&socket](const boost::system::error_code& e) {
        if (e) return;  // cancelled: the operation finished in time
        boost::system::error_code ignored;
        lowest(socket).close(ignored);
    };
    timer.async_wait(std::move(on_expiry));
}

// The MessagePack array header for `n` items.
std::string msgpack_array_header(std::uint64_t n) {
    std::string h;
    if (n < 16) {
        h.push_back(static_cast<char>(0x90 | n));
    } else if (n <= 0xffff) {
        h.push_back(static_cast<char>(0xdc));
        for (int shift = 8; shift >= 0; shift -= 8) h.push_back(static_cast<char>((n >> shift) & 0xff));
    } else {
        h.push_back(static_cast<char>(0xdd));
        for (int shift = 24; shift >= 0; shift -= 8) h.push_back(static_cast<char>((n >> shift) & 0xff));
    }
    return h;
}

// Writes `data` (and clears it) as one chunk, or raw when not `chunked`, bounded by
// idle_timeout through `timer`. False when the write failed.
template <class Socket>
asio::awaitable<bool> write_body_part(Socket& socket, asio::steady_timer& timer, bool chunked, std::string& data) {
    if (data.empty()) co_return true;
    boost::system::error_code ec;
    arm(timer, socket, idle_timeout);
    if (chunked)
        co_await asio::async_write(socket, bhttp::make_chunk(asio::buffer(data)), asio::redirect_error(asio::use_awaitable, ec));
    else
        co_await asio::async_write(socket, asio::buffer(data), asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    data.clear();
    co_return !ec;
}

// Streams GET /Table/ (see the header): the response header, then one chunk per batch of
// the store's scan. Returns whether the connection may serve another request; false after
// a failure in the middle (the response is then cut short by closing the connection).
template <class Socket>
asio::awaitable<bool> write_collection(Socket& socket, const Request& req, broker::Broker& broker,
                                       const Collection& coll) {
    const auto& records = broker.records();
    const auto format = coll.format;
    std::vector<std::string> items;
    // MessagePack announces its array's length: count first (a dry run of the same read).
    std::optional<std::uint64_t> count;
    if (format == encoding::Format::msgpack) {
        std::uint64_t n = 0;
        CollectionReader counter(records, coll);
        while (!counter.done()) {
            items.clear();
            if (auto r = counter.next(items); !r) {
                auto res = error_response(req, bhttp::status::internal_server_error, r.error().message());
                boost::system::error_code ec;
                co_await bhttp::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
                co_return !ec && res.keep_alive();
            }
            n += items.size();
            // Let the other connections on this thread run between batches.
            co_await asio::post(socket.get_executor(), asio::use_awaitable);
        }
        count = n;
    }

    // HTTP/1.0 has no chunked encoding: the body ends when the connection closes.
    const bool chunked = req.version() >= 11;
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::server, "harperrt");
    const auto type = encoding::content_type(format);
    res.set(bhttp::field::content_type, beast::string_view(type.data(), type.size()));
    res.keep_alive(chunked && req.keep_alive());
    if (chunked) res.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer{res};

    asio::steady_timer timer(socket.get_executor());
    boost::system::error_code ec;
    arm(timer, socket, idle_timeout);
    co_await bhttp::async_write_header(socket, serializer, asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    if (ec) co_return false;

    std::string chunk;
    switch (format) {
    case encoding::Format::json: chunk = "["; break;
    case encoding::Format::cbor: chunk.push_back(static_cast<char>(0x9f)); break;  // indefinite array (RFC 8949 §3.2.2)
    case encoding::Format::msgpack: chunk = msgpack_array_header(*count); break;
    }
    std::uint64_t sent = 0;
    bool first = true;
    bool grown = false;  // MessagePack: more records than counted
    CollectionReader reader(records, coll);
    while (!reader.done()) {
        items.clear();
        if (auto r = reader.next(items); !r) {
            log::warn("GET /{}/: read failed after {} records: {}", coll.table, sent, r.error().message());
            co_return false;
        }
        for (auto& item : items) {
            if (count && sent == *count) {
                grown = true;
                break;
            }
            if (format == encoding::Format::json && !first) chunk += ',';
            chunk += item;
            first = false;
            ++sent;
        }
        const bool last = reader.done();
        if (grown || (last && count && sent != *count)) {
            // MessagePack announced `count` items: a table whose size changed since cannot
            // be sent correctly. Cut the response short rather than send a wrong array.
            log::warn("GET /{}/ as MessagePack: the table changed while streaming; response aborted", coll.table);
            co_return false;
        }
        if (last) break;
        if (chunk.empty()) {
            // A query that matched nothing in this batch: let the other connections run.
            co_await asio::post(socket.get_executor(), asio::use_awaitable);
        } else if (!co_await write_body_part(socket, timer, chunked, chunk)) {
            co_return false;
        }
    }
    switch (format) {
    case encoding::Format::json: chunk += ']'; break;
    case encoding::Format::cbor: chunk.push_back(static_cast<char>(0xff)); break;  // "break"
    case encoding::Format::msgpack: break;
    }
    if (!co_await write_body_part(socket, timer, chunked, chunk)) co_return false;
    if (!chunked) co_return false;
    arm(timer, socket, idle_timeout);
    co_await asio::async_write(socket, bhttp::make_chunk_last(), asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    co_return !ec && res.keep_alive();
}

// After a refusal the client may still be sending (a body over the limit): read and drop up
// to linger_bytes for up to linger_timeout, so that closing does not reset the connection
// before the client has read the response.
template <class Socket>
asio::awaitable<void> linger(Socket& socket) {
    boost::system::error_code ec;
    lowest(socket).shutdown(tcp::socket::shutdown_send, ec);
    asio::steady_timer timer(socket.get_executor());
    arm(timer, socket, linger_timeout);
    std::array<char, 16384> sink{};
    for (std::size_t total = 0; total < linger_bytes;) {
        const auto n = co_await lowest(socket).async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
        total += n;
    }
    timer.cancel();
}

// Serves requests on `socket` (TCP, or TLS after its handshake) until it closes, goes
// idle or upgrades to WebSocket. `slot` is held until then.
template <class Socket>
asio::awaitable<void> serve_connection(broker::Broker& broker, ConnectionGate& gate, Socket socket, std::string address,
                                       ConnectionGate::Slot slot) {
    const auto body_limit = std::min<std::uint64_t>(max_body_bytes, broker.config().mqtt.limits.max_packet_size);
    beast::flat_buffer buffer;
    asio::steady_timer idle(socket.get_executor());
    for (;;) {
        bhttp::request_parser<bhttp::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
        parser.body_limit(body_limit);
        arm(idle, socket, idle_timeout);
        boost::system::error_code ec;
        co_await bhttp::async_read_header(socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        // A Content-Length over body_limit fails here already (Beast checks it with the
        // header), so such a body is never read; a chunked one fails once it crosses it.
        if (!ec && !parser.is_done()) {
            if (beast::iequals(header(parser.get(), bhttp::field::expect), "100-continue")) {
                bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, parser.get().version()};
                co_await bhttp::async_write(socket, cont, asio::redirect_error(asio::use_awaitable, ec));
                if (ec) break;
            }
            co_await bhttp::async_read(socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        }
        idle.cancel();
        if (ec == bhttp::error::header_limit || ec == bhttp::error::body_limit) {
            auto res = ec == bhttp::error::header_limit
                           ? error_response(11, false, bhttp::status::request_header_fields_too_large, "request header too large")
                           : error_response(11, false, bhttp::status::payload_too_large, "request body too large");
            co_await bhttp::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
            co_await linger(socket);
            break;
        }
        if (ec) break;
        auto req = parser.release();

        if (beast::websocket::is_upgrade(req)) {
            std::optional<Response> refusal;
            bool credentials_ok = true;
            if (req.find(bhttp::field::authorization) != req.end()) {
                auto who = co_await identify(broker, req);
                credentials_ok = who.has_value();
            }
            if (!broker.config().mqtt.web_socket || !wants_mqtt_subprotocol(req))
                refusal = error_response(req, bhttp::status::bad_request, "WebSocket needs subprotocol mqtt");
            else if (!credentials_ok)
                refusal = error_response(req, bhttp::status::unauthorized, "bad credentials");
            else if (!gate.allow_mqtt())
                refusal = error_response(req, bhttp::status::service_unavailable, "mqtt.limits.maxConnections reached");
            if (refusal) {
                refusal->keep_alive(false);
                co_await bhttp::async_write(socket, *refusal, asio::redirect_error(asio::use_awaitable, ec));
                break;
            }
            net::Stream::UpgradeInfo info{header(req, bhttp::field::content_type), header(req, bhttp::field::accept),
                                          header(req, bhttp::field::authorization)};
            beast::websocket::stream<Socket> ws(std::move(socket));
            auto decorate = [](beast::websocket::response_type& res) {
                res.set(bhttp::field::sec_websocket_protocol, "mqtt");
                res.set(bhttp::field::server, "harperrt");
            };
            ws.set_option(beast::websocket::stream_base::decorator(std::move(decorate)));
            ws.binary(true);
            // One message holds at most one maximum-size MQTT packet; a longer one is refused
            // from its frame header (close code 1009), before its payload is read.
            ws.read_message_max(broker.config().mqtt.limits.max_packet_size);
            arm(idle, ws.next_layer(), idle_timeout);
            co_await ws.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
            idle.cancel();
            if (ec) {
                log::debug("WebSocket upgrade from {} failed: {}", address, ec.message());
                co_return;
            }
            slot.release();  // an MQTT connection from now on: maxConnections counts it
            if constexpr (std::is_same_v<Socket, tcp::socket>)
                start_connection(broker, net::make_ws_stream(std::move(ws), std::move(info)), address);
            else
                start_connection(broker, net::make_wss_stream(std::move(ws), std::move(info)), address);
            co_return;
        }

        const auto target = std::string_view(req.target().data(), req.target().size());
        RestResult result;
        if (req.method() == bhttp::verb::get && target == "/health") result = health(req, broker);
        else if (req.method() == bhttp::verb::get && target == "/metrics")
            result = make_response(req, bhttp::status::ok, metrics_text(broker, gate), "text/plain; version=0.0.4");
        else if (target.size() > 1 && target.front() == '/') result = co_await rest(req, broker);
        else result = error_response(req, bhttp::status::not_found, "not found");
        bool keep = false;
        if (auto* coll = std::get_if<Collection>(&result)) {
            keep = co_await write_collection(socket, req, broker, *coll);
        } else {
            auto& res = std::get<Response>(result);
            keep = res.keep_alive();
            arm(idle, socket, idle_timeout);
            co_await bhttp::async_write(socket, res, asio::redirect_error(asio::use_awaitable, ec));
            idle.cancel();
        }
        if (ec || !keep) break;
    }
    boost::system::error_code ignored;
    lowest(socket).shutdown(tcp::socket::shutdown_send, ignored);
    lowest(socket).close(ignored);
}

// HTTPS: the TLS handshake (bounded by tls_handshake_timeout()), then serve_connection.
asio::awaitable<void> serve_tls_connection(broker::Broker& broker, ConnectionGate& gate,
                                           std::unique_ptr<net::TlsStream> stream, std::string address,
                                           ConnectionGate::Slot slot) {
    asio::steady_timer timer(stream->get_executor(), tls_handshake_timeout(broker));
    auto* raw = stream.get();
    auto on_timeout = [raw](const boost::system::error_code& e) {
        if (e) return;  // cancelled: the handshake ended first
        boost::system::error_code ignored;
        raw->next_layer().close(ignored);
    };
    timer.async_wait(std::move(on_timeout));
    broker::Stats::add(broker.stats().tls_handshakes_started);
    boost::system::error_code ec;
    co_await stream->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    if (ec) {
        broker::Stats::add(broker.stats().tls_handshakes_failed);
        log::debug("TLS handshake with {} failed: {}", address, ec.message());
        co_return;
    }
    auto task = serve_connection(broker, gate, std::move(*stream), std::move(address), std::move(slot));
    co_await std::move(task);
}

}  // namespace

std::string metrics_text(broker::Broker& broker, const ConnectionGate& gate) {
    auto& s = broker.stats();
    const auto st = broker.records().store().stats();
    std::string out;
    const auto metric = [&out](std::string_view name, std::string_view type, std::string_view help, auto value) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
    };
    // One metric with a label: `values` are (label value, sample) pairs.
    const auto labelled = [&out](std::string_view name, std::string_view help, std::string_view label,
                                 std::initializer_list<std::pair<std::string_view, std::uint64_t>> values) {
        out += fmt::format("# HELP {} {}\n# TYPE {} counter\n", name, help, name);
        for (const auto& [v, n] : values) out += fmt::format("{}{{{}=\"{}\"}} {}\n", name, label, v, n);
    };
    const auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    metric("harperrt_connections", "gauge", "Open client connections.", broker.connection_count());
    metric("harperrt_pending_connections", "gauge", "TLS handshakes and HTTP connections in progress.", gate.pending());
    metric("harperrt_sessions", "gauge", "Sessions (connected and persistent).", broker.session_count());
    metric("harperrt_clients_connected", "gauge", "Connected MQTT clients.", get(s.clients_connected));
    metric("harperrt_messages_received_total", "counter", "MQTT packets received.", get(s.messages_received));
    metric("harperrt_messages_sent_total", "counter", "MQTT packets sent.", get(s.messages_sent));
    metric("harperrt_publish_received_total", "counter", "PUBLISH packets received.", get(s.publish_received));
    metric("harperrt_publish_sent_total", "counter", "PUBLISH packets sent.", get(s.publish_sent));
    metric("harperrt_publish_dropped_total", "counter", "Messages dropped (queue full, too large, expired).",
           get(s.publish_dropped));
    metric("harperrt_bytes_received_total", "counter", "Bytes received from MQTT clients.", get(s.bytes_received));
    metric("harperrt_bytes_sent_total", "counter", "Bytes sent to MQTT clients.", get(s.bytes_sent));
    metric("harperrt_v3_rejections_total", "counter", "Refusals a 3.1.1 client could not be told.", get(s.v3_rejections));
    metric("harperrt_slow_consumers_disconnected_total", "counter", "Connections closed for not reading fast enough.",
           get(s.slow_consumers_disconnected));
    labelled("harperrt_auth_failures_total", "Failed logins: CONNACK 0x86/0x87 (3.1.1: 4/5), HTTP 401.", "protocol",
             {{"mqtt", get(s.auth_failures_mqtt)}, {"http", get(s.auth_failures_http)}});
    labelled("harperrt_acl_denied_total", "Actions the roles did not allow (PUBLISH, SUBSCRIBE, REST 403).", "action",
             {{"publish", get(s.denied_publish)},
              {"subscribe", get(s.denied_subscribe)},
              {"rest_read", get(s.denied_rest_read)},
              {"rest_write", get(s.denied_rest_write)},
              {"rest_delete", get(s.denied_rest_delete)}});
    labelled("harperrt_connections_refused_total", "Connections closed on accept by mqtt.limits.", "reason",
             {{"rate_limit", get(s.refused_rate_limit)}, {"max_connections", get(s.refused_max_connections)}});
    metric("harperrt_tls_handshakes_total", "counter", "TLS handshakes started.", get(s.tls_handshakes_started));
    metric("harperrt_tls_handshake_failures_total", "counter", "TLS handshakes that failed or timed out.",
           get(s.tls_handshakes_failed));
    const auto queues = broker.queue_totals();
    metric("harperrt_session_queued_messages", "gauge", "QoS 1/2 messages waiting in session queues.", queues.queued);
    metric("harperrt_session_inflight_messages", "gauge", "QoS 1/2 messages sent and not yet acknowledged.",
           queues.inflight);
    metric("harperrt_subscriptions", "gauge", "Subscriptions, queries included.", broker.router().size());
    metric("harperrt_snapshots_total", "counter", "Snapshots sent (a subscription's records and retained messages).",
           get(s.snapshots));
    metric("harperrt_query_snapshots_total", "counter", "Snapshots of query subscriptions.", get(s.query_snapshots));
    metric("harperrt_snapshot_messages_total", "counter", "Records and retained messages sent in snapshots.",
           get(s.snapshot_messages));
    metric("harperrt_store_commits_total", "counter", "Store group commits.", st.commits);
    metric("harperrt_store_failed_commits_total", "counter", "Store group commits that failed.", st.failed_commits);
    metric("harperrt_store_operations_total", "counter", "Store write operations.", st.ops);
    metric("harperrt_store_queue_depth", "gauge", "Store writes queued.", st.queue_depth);
    // A Prometheus histogram: cumulative buckets, then the sum and the count.
    out += "# HELP harperrt_store_commit_latency_seconds Latency of the store's group commits.\n"
           "# TYPE harperrt_store_commit_latency_seconds histogram\n";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < st.commit_latency_buckets.size(); ++i) {
        cumulative += st.commit_latency_buckets[i];
        const auto le = i < store::commit_latency_bounds.size() ? fmt::format("{}", store::commit_latency_bounds[i]) : "+Inf";
        out += fmt::format("harperrt_store_commit_latency_seconds_bucket{{le=\"{}\"}} {}\n", le, cumulative);
    }
    out += fmt::format("harperrt_store_commit_latency_seconds_sum {}\nharperrt_store_commit_latency_seconds_count {}\n",
                       std::chrono::duration<double>(st.total_commit_latency).count(), cumulative);
    metric("harperrt_store_last_commit_latency_seconds", "gauge", "Latency of the last commit.",
           std::chrono::duration<double>(st.last_commit_latency).count());
    return out;
}

asio::awaitable<void> accept_http(tcp::acceptor& acceptor, broker::Broker& broker, ConnectionGate& gate,
                                  const TlsContextHolder* tls) {
    auto& io = broker.io();
    for (;;) {
        boost::system::error_code ec;
        tcp::socket socket =
            co_await acceptor.async_accept(asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
            log::warn("http accept: {}", ec.message());
            if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
                asio::steady_timer t(io, std::chrono::milliseconds(100));  // out of descriptors: back off
                co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            }
            continue;
        }
        auto address = peer_address(socket);
        // The gate first: no TLS handshake and no parsing for a refused socket.
        if (!gate.allow_rate(address)) {
            log::debug("HTTP connection from {} refused: mqtt.limits.connectRatePerIp", address);
            socket.close(ec);
            continue;
        }
        auto slot = gate.acquire_pending();
        if (!slot) {
            log::debug("HTTP connection from {} refused: too many HTTP connections", address);
            socket.close(ec);
            continue;
        }
        const auto executor = socket.get_executor();
        if (tls != nullptr) {
            auto ctx = tls->get();
            auto stream = std::make_unique<net::TlsStream>(std::move(socket), *ctx);
            auto task = serve_tls_connection(broker, gate, std::move(stream), std::move(address), std::move(*slot));
            asio::co_spawn(executor, std::move(task), asio::detached);
            continue;
        }
        auto task = serve_connection(broker, gate, std::move(socket), std::move(address), std::move(*slot));
        asio::co_spawn(executor, std::move(task), asio::detached);
    }
}

}  // namespace harperrt::daemon::http
