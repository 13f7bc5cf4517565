#include "daemon/session/connection.hpp"

#include "daemon/broker/broker.hpp"
#include "daemon/broker/thread_cache.hpp"
#include "daemon/session/session.hpp"

#include "common/util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <typeinfo>
#include <vector>

namespace harperrt::daemon::session {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {
constexpr std::size_t read_chunk = 16 * 1024;
constexpr auto close_grace = 5s;  // how long a closing connection may take to flush
constexpr std::size_t max_deferred = 1024;  // packets held behind a snapshot before reading pauses
constexpr auto busy_gap = 2ms;  // reads closer than this keep the read buffer (design note 5)
constexpr std::size_t small_write_buffer = 4096;  // an idle writer frees a buffer this small
constexpr std::uint32_t max_connect_size = 1024 * 1024;  // largest packet read before CONNECT

// Read buffers of read_chunk bytes, recycled per thread: a connection takes one when its
// socket is readable and gives it back once every byte is consumed (design note 5).
constexpr std::size_t pooled_buffers = 8;
thread_local std::vector<std::unique_ptr<std::byte[]>> t_buffers;

std::unique_ptr<std::byte[]> take_buffer() {
    if (t_buffers.empty()) return std::make_unique_for_overwrite<std::byte[]>(read_chunk);
    auto b = std::move(t_buffers.back());
    t_buffers.pop_back();
    return b;
}

void give_back_buffer(std::unique_ptr<std::byte[]> b, std::size_t capacity) {
    if (capacity == read_chunk && t_buffers.size() < pooled_buffers) t_buffers.push_back(std::move(b));
}

// The Packet a reader decodes into, taken from this thread's spares and given back when the
// batch is handled: decode_into reuses the buffers a routed PUBLISH leaves in it (the
// recycled message's empty strings), so decoding a PUBLISH allocates nothing once warm; and
// handle_buffered's frame holds a pointer, not a 1.2 KB Packet, so it fits Asio's frame
// recycling. A spare keeps at most a PUBLISH's buffers of kept_payload bytes.
using PacketCache = broker::ThreadCache<mqtt::Packet, 4>;
constexpr std::size_t kept_payload = 4096;
struct BatchPacket {
    std::unique_ptr<mqtt::Packet> packet = PacketCache::take();
    BatchPacket() {
        if (!packet) packet = std::make_unique<mqtt::Packet>(mqtt::Publish{});
    }
    BatchPacket(const BatchPacket&) = delete;
    BatchPacket& operator=(const BatchPacket&) = delete;
    ~BatchPacket() {
        auto* p = std::get_if<mqtt::Publish>(packet.get());
        if (p == nullptr || p->payload.capacity() > kept_payload || p->topic.capacity() > kept_payload)
            *packet = mqtt::Publish{};
        PacketCache::give(std::move(packet));
    }
};

// Design note 4: only a PUBLISH (handle_publish orders its own ack) and acks of our
// PUBLISHes (they answer nothing) may be handled while puts are pending.
bool waits_for_puts(mqtt::PacketType type) {
    return type != mqtt::PacketType::publish && type != mqtt::PacketType::puback &&
           type != mqtt::PacketType::pubrec && type != mqtt::PacketType::pubcomp;
}
}  // namespace

Connection::Connection(broker::Broker& broker, net::Stream stream)
    : broker_(broker),
      stream_(std::move(stream)),
      remote_(stream_.remote_endpoint()),
      wheel_(keep_alive_wheel(broker.io())),
      parking_(parking(broker.io())) {}

Connection::Pipeline& Connection::pipeline() {
    if (!pipeline_) pipeline_ = std::make_unique<Pipeline>(stream_.get_executor());
    return *pipeline_;
}

void Connection::snapshot_finished() {
    if (--snapshots_running_ > 0) return;
    if (!nothing_deferred() && !draining_) {
        draining_ = true;
        // The coroutine runs later: it must hold the connection from the start.
        asio::co_spawn(stream_.get_executor(), [self = shared_from_this()] { return self->drain_deferred(); },
                       asio::detached);
    } else if (nothing_deferred()) {
        notify_changed();
    }
}

asio::awaitable<void> Connection::drain_deferred() {
    auto self = shared_from_this();
    auto& deferred = pipeline().deferred;  // kept until the connection goes
    while (!deferred.empty() && snapshots_running_ == 0 && !closing_.load()) {
        auto packet = std::move(deferred.front());
        deferred.pop_front();
        if (ordered_pending() > 0 && waits_for_puts(mqtt::type_of(packet))) co_await async_wait_ordered(0);
        co_await broker::dispatch(broker_, self, packet);
    }
    draining_ = false;
    if (closing_.load()) deferred.clear();
    // A SUBSCRIBE among them may have started a snapshot; its end drains the rest.
    notify_changed();
}

asio::awaitable<void> Connection::async_wait_snapshots() {
    while ((snapshots_running_ > 0 || draining_ || !nothing_deferred()) && !closing_.load()) {
        error_code ec;
        co_await pipeline().changed.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> Connection::async_wait_room(steady::time_point until) {
    auto& p = pipeline();
    p.room.expires_at(until);
    return p.room.async_wait(asio::redirect_error(asio::use_awaitable, p.room_ec));
}

void Connection::room_available() {
    auto ex = stream_.get_executor();
    if (on_io_thread(ex)) {
        broker_.wakeups().wake_room(shared_from_this());  // design note 9
        return;
    }
    auto self = shared_from_this();
    asio::post(ex, [self] { self->end_room_wait(); });
}

void Connection::end_room_wait() {
    if (pipeline_) pipeline_->room.cancel();
}

std::uint64_t Connection::begin_ordered() {
    auto& p = pipeline();
    p.ordered.emplace_back();
    return p.ordered_base + p.ordered.size() - 1;
}

void Connection::complete_ordered(std::uint64_t ticket, std::optional<mqtt::Packet> ack) {
    if (!pipeline_) return;
    auto& p = *pipeline_;
    if (ticket < p.ordered_base || ticket - p.ordered_base >= p.ordered.size()) return;
    auto& slot = p.ordered[static_cast<std::size_t>(ticket - p.ordered_base)];
    slot.ready = true;
    if (ack) slot.ack = mqtt::encode(*ack, version_.load());
    bool sent = false;
    {
        std::scoped_lock lock(out_mu_);
        refill_out_locked();
        while (!p.ordered.empty() && p.ordered.front().ready) {
            const auto& bytes = p.ordered.front().ack;
            if (!bytes.empty() && !(closing_.load() && writer_done_.load()) && !overflowed_) {
                out_.insert(out_.end(), bytes.begin(), bytes.end());
                broker::Stats::add(broker_.stats().messages_sent);
                sent = true;
            }
            p.ordered.pop_front();
            ++p.ordered_base;
        }
    }
    if (sent) wake_writer();
    notify_changed();
}

void Connection::send_ordered(const mqtt::Packet& ack) {
    if (ordered_pending() == 0) {
        send(ack);
        return;
    }
    pipeline_->ordered.emplace_back(OrderedAck{true, mqtt::encode(ack, version_.load())});
}

asio::awaitable<void> Connection::async_wait_ordered(std::size_t max_pending) {
    while (ordered_pending() > max_pending && !closing_.load()) {
        error_code ec;
        co_await pipeline().changed.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

asio::awaitable<void> Connection::async_wait_drained(std::size_t max_bytes, std::size_t max_queued) {
    for (;;) {
        if (closing_.load()) co_return;
        bool drained = false;
        {
            std::scoped_lock lock(out_mu_);
            drained = out_.size() <= max_bytes;
        }
        // Session::queued() takes the session's lock: never under out_mu_ (Session::deliver
        // holds its lock while it calls send_publish, which takes out_mu_; found by TSan
        // with two threads as a lock-order inversion).
        if (drained && (!state_.session || state_.session->queued() <= max_queued)) co_return;
        // The writer cancels the timer after every write; nothing can run between the
        // check above and this wait (both on the strand), so no wake-up is missed.
        error_code ec;
        co_await pipeline().changed.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

Connection::~Connection() {
    // First: waits for a keep_alive_due of this connection that runs on another thread
    // (keep_alive.hpp, design note 3).
    wheel_.cancel(*this);
}

void Connection::start() {
    auto self = shared_from_this();
    accepted_or_grace_end_ = last_read_ = steady::now();
    if (stream_.transport() == net::Transport::tcp) {
        // No reader before the CONNECT's bytes arrive (design note 5): a readiness wait, not
        // a coroutine frame, for every connection of a burst of accepts.
        asio::post(stream_.get_executor(), [self] {
            self->watch_keep_alive();
            self->stream_.async_wait_readable([self](error_code e) { self->on_readable(e); });
        });
        return;
    }
    asio::co_spawn(stream_.get_executor(), [self] { return self->read_loop(false); }, crash_handler());
    asio::post(stream_.get_executor(), [self] { self->watch_keep_alive(); });
}

std::function<void(std::exception_ptr)> Connection::crash_handler() {
    return [self = shared_from_this()](std::exception_ptr e) {
        if (!e) return;
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            log::error("connection {} ({}): internal error: {}", self->remote_, self->state_.client_id(), ex.what());
        }
        self->close(mqtt::ReasonCode::unspecified_error);
        self->close_stream();
    };
}

void Connection::on_readable(error_code ec) {
    if (ec || closing_.load()) {
        if (ec && ec != asio::error::operation_aborted)
            log::debug("client {} ({}): read: {}", state_.client_id(), remote_, ec.message());
        try {  // a callback: an exception here would leave io_context::run()
            finish_reading(false);
        } catch (...) {
            crash_handler()(std::current_exception());
        }
        return;
    }
    auto self = shared_from_this();
    asio::co_spawn(stream_.get_executor(), [self] { return self->read_loop(true); }, crash_handler());
}

void Connection::wait_readable() {
    auto self = shared_from_this();
    error_code ec;
    // Not while the writer's write is outstanding: taking the socket out of Asio would
    // cancel it. The connection parks when it next idles.
    const int fd = writing_ ? -1 : stream_.release_tcp(ec);
    if (fd >= 0) {
        // Parked: the lot keeps this connection alive (as the readiness wait did).
        if (const auto slot = parking_.park(std::shared_ptr<Parking::Owner>(self, static_cast<Parking::Owner*>(this)), fd)) {
            parked_fd_ = fd;
            parked_slot_ = *slot;
            return;
        }
        stream_.adopt_tcp(fd, ec);
        if (ec) {
            ::close(fd);
            log::debug("client {} ({}): {}", state_.client_id(), remote_, ec.message());
            asio::post(stream_.get_executor(), [self, ec] { self->on_readable(ec); });
            return;
        }
    }
    stream_.async_wait_readable([self](error_code e) { self->on_readable(e); });
}

void Connection::unpark(bool wait) {
    if (parked_fd_ < 0) return;
    const int fd = std::exchange(parked_fd_, -1);
    if (!parking_.unpark(parked_slot_)) return;  // the lot has shut down (and closed it)
    error_code ec;
    stream_.adopt_tcp(fd, ec);
    auto self = shared_from_this();
    if (ec) {
        // Asio cannot watch it: the reader's end, as if the socket had failed (a reader
        // started instead of the wait fails on the closed stream the same way).
        ::close(fd);
        log::debug("client {} ({}): {}", state_.client_id(), remote_, ec.message());
        if (wait) asio::post(stream_.get_executor(), [self, ec] { self->on_readable(ec); });
        return;
    }
    if (wait) stream_.async_wait_readable([self](error_code e) { self->on_readable(e); });
}

void Connection::parked_ready() noexcept {
    // Any thread, from the lot: only hand over to the strand. The lot holds a reference.
    auto self = weak_from_this().lock();
    if (!self) return;
    try {
        const auto executor = stream_.get_executor();
        asio::post(executor, [self = std::move(self)] {
            if (self->parked_fd_ < 0) return;  // unparked since (parking.hpp, design note 3)
            self->unpark(false);
            asio::co_spawn(self->stream_.get_executor(), [self] { return self->read_loop(true); }, self->crash_handler());
        });
    } catch (...) {
        // Out of memory: the connection stays parked until its keep alive closes it.
    }
}

bool Connection::write_parked(error_code& ec) {
    std::size_t done = 0;
    while (done < writing_buf_.size()) {
        const auto n = ::send(parked_fd_, writing_buf_.data() + done, writing_buf_.size() - done,
                              MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) ec = error_code(errno, boost::system::system_category());
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    broker::Stats::add(broker_.stats().bytes_sent, done);
    writing_buf_.erase(writing_buf_.begin(), writing_buf_.begin() + static_cast<std::ptrdiff_t>(done));
    return writing_buf_.empty();
}

void Connection::close_stream() {
    unpark(true);  // a parked descriptor is the lot's until taken back
    stream_.close();
}

void Connection::finish_reading(bool clean) {
    if (!closing_.exchange(true)) wake_writer();
    watch_keep_alive();  // the close grace
    broker_.on_connection_closed(*this, !clean);
}

void Connection::set_peer_limits(mqtt::Version version, std::uint32_t max_packet_size,
                                 std::uint16_t topic_alias_maximum) {
    version_.store(version);
    std::scoped_lock lock(out_mu_);
    peer_max_packet_size_ = max_packet_size;
    peer_topic_alias_maximum_ = topic_alias_maximum;
}

void Connection::send(const mqtt::Packet& packet) {
    {
        std::scoped_lock lock(out_mu_);
        if (closing_.load() && writer_done_.load()) return;
        append_locked(packet);
    }
    wake_writer();
}

bool Connection::send_publish(mqtt::Publish& publish) {
    const auto version = version_.load();
    bool overflow = false;
    {
        std::scoped_lock lock(out_mu_);
        if (peer_topic_alias_maximum_ > 0 && mqtt::is_v5(version)) {
            // Server-assigned topic aliases (v5 §3.3.2.3.4): the first PUBLISH of a topic
            // carries topic + alias, later ones an empty topic and the alias.
            auto it = outbound_aliases_.find(publish.topic);
            if (it != outbound_aliases_.end()) {
                publish.properties.topic_alias = it->second;
                publish.topic.clear();
            } else if (outbound_aliases_.size() < peer_topic_alias_maximum_) {
                const auto alias = static_cast<std::uint16_t>(outbound_aliases_.size() + 1);
                outbound_aliases_.emplace(publish.topic, alias);
                publish.properties.topic_alias = alias;
            }
        }
        const auto size = mqtt::encoded_publish_size(publish, version);
        if (size > peer_max_packet_size_) {
            broker::Stats::add(broker_.stats().publish_dropped);
            return false;  // v5 [MQTT-3.1.2-25]
        }
        if (closing_.load() && writer_done_.load()) return true;
        if (!overflowed_ && out_.size() + size > broker_.config().mqtt.limits.max_output_buffer) {
            overflowed_ = overflow = true;
        } else if (!overflowed_) {
            refill_out_locked();
            mqtt::encode_publish_to(publish, version, out_);
            broker::Stats::add(broker_.stats().publish_sent);
            broker::Stats::add(broker_.stats().messages_sent);
        }
    }
    if (overflow) {
        // A slow consumer: more than maxOutputBuffer bytes wait for it (DESIGN.md §6).
        broker::Stats::add(broker_.stats().slow_consumers_disconnected);
        log::warn("client {} ({}) is not reading fast enough; disconnecting", state_.client_id(), remote_);
        auto self = shared_from_this();
        asio::post(stream_.get_executor(), [self] {
            self->closing_.store(true);
            self->close_stream();
        });
        return true;
    }
    wake_writer();
    return true;
}

void Connection::append_locked(const mqtt::Packet& packet) {
    if (overflowed_) return;
    refill_out_locked();
    mqtt::encode_to(packet, version_.load(), out_);
    broker::Stats::add(broker_.stats().messages_sent);
}

bool Connection::on_io_thread(const asio::any_io_executor& ex) const {
    // Boost 1.74's any_executor::target() casts without checking the type: a strand
    // connection's executor must not be taken for the io_context's.
    if (ex.target_type() != typeid(asio::io_context::executor_type)) return false;
    const auto* io = ex.target<asio::io_context::executor_type>();
    return &io->context() == &broker_.io() && io->running_in_this_thread();
}

void Connection::wake_writer() {
    if (wake_pending_.exchange(true)) return;
    auto ex = stream_.get_executor();
    if (on_io_thread(ex)) {
        broker_.wakeups().wake_writer(shared_from_this());  // design note 9
        return;
    }
    auto self = shared_from_this();
    asio::post(ex, [self] { self->write_next(); });
}

void Connection::close(std::optional<mqtt::ReasonCode> reason, std::string reason_string) {
    if (closing_.exchange(true)) return;
    if (reason && mqtt::is_v5(version_.load()) && state_.connected) {
        mqtt::Disconnect d{*reason, {}};
        if (!reason_string.empty() && state_.request_problem_information) d.properties.reason_string = std::move(reason_string);
        std::scoped_lock lock(out_mu_);
        mqtt::encode_to(d, mqtt::Version::v5, out_);
    }
    wake_writer();
    auto self = shared_from_this();
    asio::post(stream_.get_executor(), [self] { self->watch_keep_alive(); });  // the close grace
}

asio::awaitable<bool> Connection::handle_buffered(std::span<const std::byte> pending, std::size_t& consumed,
                                                  bool& clean) {
    // A coroutine of its own, so that the reader's frame (alive while the connection idles)
    // holds no decoded packet. Returns false when the connection is to end.
    auto self = shared_from_this();
    const std::uint32_t limit = broker_.config().mqtt.limits.max_packet_size;
    BatchPacket batch;
    auto& packet = *batch.packet;
    for (;;) {
        // Before CONNECT nobody is authenticated: a CONNECT is at most a few 64 KiB strings
        // plus properties, so a larger announced packet is refused before it is buffered.
        const std::uint32_t max_packet = state_.connected ? limit : std::min(limit, max_connect_size);
        auto size = mqtt::frame_size(pending, max_packet);
        if (!size) {
            const auto rc = broker::to_reason_code(size.error());
            log::debug("client {} ({}): {}", state_.client_id(), remote_, size.error().message());
            close(rc);
            co_return false;
        }
        if (*size == 0 || pending.size() < *size) co_return true;
        const auto frame = pending.first(*size);
        broker::Stats::add(broker_.stats().messages_received);
        const auto decoded = mqtt::decode_into(frame, state_.connected ? state_.version : mqtt::Version::v5, packet);
        if (!decoded) {
            const auto rc = broker::to_reason_code(decoded.error());
            if (!state_.connected) {
                // A CONNECT that fails: answer in the client's version when we know it
                // (v5 [MQTT-3.1.4-1..2], 3.1.1 [MQTT-3.1.2-2] for an unknown level).
                const auto v = mqtt::connect_version(frame);
                const bool is_connect = !frame.empty() && (std::to_integer<unsigned>(frame[0]) >> 4) == 1;
                if (is_connect && (v || rc == mqtt::ReasonCode::unsupported_protocol_version)) {
                    const auto answer_version = v.value_or(mqtt::Version::v311);
                    version_.store(answer_version);
                    send(mqtt::Connack{false, rc, {}});
                }
            }
            log::debug("client {} ({}): bad packet: {}", state_.client_id(), remote_, decoded.error().message());
            close(rc);
            co_return false;
        }
        pending = pending.subspan(*size);
        consumed += *size;
        clean = std::holds_alternative<mqtt::Disconnect>(packet);
        // Acks of our own PUBLISHes pass a running snapshot; anything else is deferred
        // behind it, in order (DESIGN.md §2: PINGRESP after the whole snapshot).
        const auto type = mqtt::type_of(packet);
        const bool ack = type == mqtt::PacketType::puback || type == mqtt::PacketType::pubrec ||
                         type == mqtt::PacketType::pubcomp;
        if (!ack && (snapshots_running_ > 0 || draining_ || !nothing_deferred())) {
            auto& deferred = pipeline().deferred;
            deferred.emplace_back(std::move(packet));
            // A client that keeps sending while a snapshot streams is read no faster
            // than it is served.
            if (deferred.size() >= max_deferred) co_await async_wait_snapshots();
            continue;
        }
        if (ordered_pending() > 0 && waits_for_puts(type)) co_await async_wait_ordered(0);
        if (!broker::dispatch_now(broker_, self, packet)) co_await broker::dispatch(broker_, self, packet);
        if (closing_.load()) co_return false;
        // Design note 6: part of a refilled window goes out while the rest is handled.
        if (ack && ++acks_unflushed_ >= early_flush_acks && pending.size() > 0) flush_now();
    }
}

asio::awaitable<void> Connection::read_loop(bool readable) {
    auto self = shared_from_this();
    // Received bytes: [begin, end) of a buffer of `capacity`, not zero-filled, held only
    // while bytes wait or the socket may have more (design note 5).
    std::unique_ptr<std::byte[]> rx;
    std::size_t capacity = 0;
    std::size_t begin = 0;
    std::size_t end = 0;
    bool drained = !readable;  // the last read left the socket empty (it did not fill the buffer)
    bool busy = false;    // the last two reads came less than busy_gap apart
    const bool can_wait = stream_.transport() == net::Transport::tcp;
    bool clean = false;
    while (!closing_.load()) {
        // Bare acks first (design note 7): no coroutine frame and no decoded packet for them.
        while (end - begin >= 4 && state_.connected && !closing_.load() &&
               broker::dispatch_bare_ack(broker_, self, std::span<const std::byte>(rx.get() + begin, 4))) {
            begin += 4;
            broker::Stats::add(broker_.stats().messages_received);
            if (++acks_unflushed_ >= early_flush_acks && end > begin) flush_now();
        }
        // Handle every complete packet already buffered, in order.
        if (end > begin) {
            std::size_t consumed = 0;
            const bool go_on =
                co_await handle_buffered(std::span<const std::byte>(rx.get() + begin, end - begin), consumed, clean);
            begin += consumed;
            if (!go_on) break;
        }
        if (closing_.load()) break;
        error_code ec;
        if (begin == end) {
            begin = end = 0;
            if (can_wait && drained && !busy) {
                // Idle: neither a buffer nor this coroutine while waiting (10k idle
                // connections hold no 16 KiB and no coroutine frame each): this reader ends
                // and on_readable starts the next one when bytes arrive. A busy connection
                // reads on with its buffer instead: the readiness wait costs a round
                // through the reactor, which a window of 20 QoS 1 messages (a snapshot)
                // feels.
                if (rx) give_back_buffer(std::move(rx), capacity);
                wait_readable();
                co_return;
            }
        } else if (begin > 0) {  // compact
            std::memmove(rx.get(), rx.get() + begin, end - begin);
            end -= begin;
            begin = 0;
        }
        if (!rx) {
            rx = take_buffer();
            capacity = read_chunk;
        } else if (capacity - end < read_chunk / 2) {
            // Grow (a packet larger than the buffer); no zero-fill.
            const std::size_t grown = capacity * 2;
            auto bigger = std::make_unique_for_overwrite<std::byte[]>(grown);
            if (end > 0) std::memcpy(bigger.get(), rx.get(), end);
            give_back_buffer(std::move(rx), capacity);
            rx = std::move(bigger);
            capacity = grown;
        }
        const auto room = capacity - end;
        const auto n = co_await stream_.async_read_some(asio::buffer(rx.get() + end, room), ec);
        end += n;
        drained = n < room;
        if (ec) {
            if (ec != asio::error::eof && ec != asio::error::operation_aborted && ec != asio::error::connection_reset)
                log::debug("client {} ({}): read: {}", state_.client_id(), remote_, ec.message());
            break;
        }
        broker::Stats::add(broker_.stats().bytes_received, n);
        const auto now = steady::now();
        busy = state_.connected && now - last_read_ < busy_gap;  // (not the CONNECT)
        last_read_ = now;
    }
    if (rx) give_back_buffer(std::move(rx), capacity);
    finish_reading(clean);
}

void Connection::write_next() {
    // The writer: callbacks rather than a coroutine, so an idle connection holds nothing
    // for it. One write at a time; its completion looks for more (design note 5).
    for (;;) {
        if (writing_ || writer_done_.load()) return;
        bool empty = false;
        {
            std::scoped_lock lock(out_mu_);
            empty = out_.empty();
            if (empty) wake_pending_.store(false);
            else std::swap(writing_buf_, out_);
        }
        if (empty) {
            // A parked (idle) connection, or one whose transport never parks, keeps no small
            // buffer (most idle connections last wrote a CONNACK); a large one is kept, for
            // the next burst. A busy TCP connection keeps both buffers: its writer idles
            // between bursts all the time, and freeing one there cost a reallocation (and
            // its growth steps) per burst: 0.28 allocations per message on QoS 1 fan-in.
            const bool idle = parked_fd_ >= 0 || stream_.transport() != net::Transport::tcp;
            if (idle && writing_buf_.capacity() <= small_write_buffer) {
                regrow_hint_.store(static_cast<std::uint8_t>((writing_buf_.capacity() + 63) / 64),
                                   std::memory_order_relaxed);
                mqtt::Bytes().swap(writing_buf_);
            }
            if (closing_.load()) finish_writing();
            return;
        }
        if (parked_fd_ < 0) break;
        // Parked (design note 8): straight to the socket while it takes every byte.
        acks_unflushed_ = 0;
        error_code ec;
        if (write_parked(ec)) {
            notify_changed();
            continue;
        }
        unpark(true);  // the rest, or the error, goes through Asio
        if (ec) {
            on_written(ec);
            return;
        }
        break;
    }
    writing_ = true;
    acks_unflushed_ = 0;
    stream_.async_write(asio::const_buffer(writing_buf_.data(), writing_buf_.size()), shared_from_this(),
                        [](void* self, error_code ec) { static_cast<Connection*>(self)->on_written(ec); });
}

void Connection::flush_now() {
    if (writing_ || writer_done_.load() || closing_.load()) return;
    std::size_t written = 0;
    {
        std::scoped_lock lock(out_mu_);
        if (out_.empty()) return;
        error_code ec;
        written = stream_.try_write_some(asio::const_buffer(out_.data(), out_.size()), ec);
        if (ec || written == 0) return;  // the writer meets an error too and ends the connection
        if (written == out_.size()) out_.clear();
        else out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(written));
    }
    acks_unflushed_ = 0;
    broker::Stats::add(broker_.stats().bytes_sent, written);
    notify_changed();
}

void Connection::on_written(error_code ec) {
    writing_ = false;
    if (ec) {
        finish_writing();
        return;
    }
    broker::Stats::add(broker_.stats().bytes_sent, writing_buf_.size());
    writing_buf_.clear();
    notify_changed();
    write_next();
}

void Connection::finish_writing() {
    if (writer_done_.exchange(true)) return;
    closing_.store(true);
    auto self = shared_from_this();
    asio::co_spawn(stream_.get_executor(), [self] { return self->shut_down(); }, asio::detached);
}

asio::awaitable<void> Connection::shut_down() {
    auto self = shared_from_this();
    unpark(true);
    co_await stream_.async_shutdown();
    stream_.close();
    wheel_.cancel(*this);
    notify_changed();
}

void Connection::rearm_keep_alive() {
    // Posted, as a wake-up of the watchdog: the CONNECT's handler goes on undisturbed.
    auto self = shared_from_this();
    asio::post(stream_.get_executor(), [self] { self->watch_keep_alive(); });
}

void Connection::keep_alive_due() noexcept {
    // Under the wheel's lock, on any thread (keep_alive.hpp): only hand over to the strand.
    // `self` moves into the handler, so the last reference is never dropped here.
    auto self = weak_from_this().lock();
    if (!self) return;  // being destroyed: its destructor cancels
    try {
        const auto executor = stream_.get_executor();
        asio::post(executor, [self = std::move(self)] { self->watch_keep_alive(); });
    } catch (...) {
        // Out of memory: the connection goes unwatched until its next wake-up.
    }
}

void Connection::watch_keep_alive() {
    // Each wake-up (a deadline passed, CONNECT, close) re-reads the state and schedules the
    // next deadline: traffic does not touch the wheel, a deadline that has moved on since
    // (last_read_ later) is simply scheduled again (keep_alive.hpp, design note 4).
    if (writer_done_.load()) {
        wheel_.cancel(*this);
        return;
    }
    const auto now = steady::now();
    if (closing_.load()) {
        // Give the writer a moment to flush a closing connection, then cut it.
        if (!grace_started_) {
            grace_started_ = true;
            accepted_or_grace_end_ = now + close_grace;
        }
        if (now >= accepted_or_grace_end_) {
            close_stream();  // ends the writer's write with an error: finish_writing follows
            return;
        }
        wheel_.schedule(*this, accepted_or_grace_end_);
        return;
    }
    steady::time_point deadline = steady::time_point::max();
    if (!state_.connected) {
        // From the accept, not the last byte: trickling a CONNECT does not extend it.
        deadline = accepted_or_grace_end_ + broker_.config().mqtt.limits.connect_timeout;
    } else if (state_.keep_alive.count() > 0) {
        // 1.5 times the keep alive (v5 [MQTT-3.1.2-22], 3.1.1 [MQTT-3.1.2-24]), to the
        // millisecond (whole seconds would make a 1 s keep alive a 1 s limit); the wheel
        // tells us up to one tick later, never earlier.
        deadline = last_read_ + std::chrono::milliseconds(state_.keep_alive) * 3 / 2;
    } else {
        wheel_.cancel(*this);  // keep alive 0: no limit (v5 [MQTT-3.1.2-22])
        return;
    }
    if (now >= deadline) {
        log::debug("client {} ({}): {}", state_.client_id(), remote_,
                   state_.connected ? "keep alive timeout" : "no CONNECT in time");
        close(mqtt::ReasonCode::keep_alive_timeout);
        watch_keep_alive();
        return;
    }
    wheel_.schedule(*this, deadline);
}

}  // namespace harperrt::daemon::session
