// Connection: one client's network connection. Reads bytes, frames and decodes packets and
// hands each to broker::dispatch in order (the next packet is not read before the handler
// of the previous one has finished). Writes are batched: anything queued by handlers,
// deliveries from other sessions and acks goes into one output buffer, and the writer
// coroutine sends all of it with one write per wake-up.
//
// Design notes
//   1. The reader (a coroutine), the writer and the keep-alive watchdog (callbacks) run on
//      the connection's strand (with threads: 1, the io_context's executor, which
//      serializes them as well: listener.cpp). The watchdog's deadlines sit on the
//      io_context's KeepAliveWheel (keep_alive.hpp), which posts to the strand when one
//      passes.
//      Protocol state (the `ProtocolState` members) is strand-only. The output buffer and
//      outbound topic aliases are guarded by out_mu_, because sessions deliver into it from
//      publishers' threads.
//   2. Output is bounded: when more than mqtt.limits.maxOutputBuffer bytes wait to be
//      written, the client is a slow consumer and the connection is closed (v5 DISCONNECT
//      0x97 quota exceeded is attempted, nothing more is buffered).
//   3. Closing: close() marks the connection closing, optionally queues a v5 DISCONNECT,
//      and wakes the writer, which flushes and then closes the stream; that ends the
//      reader. The reader's exit path (on the strand) runs broker::on_connection_closed
//      exactly once.
//   4. Pipelined record writes: a retained PUBLISH to Table/ID is handed to the store
//      without waiting for its commit (handle_publish.cpp), so the reader goes on with the
//      next PUBLISH and one group commit can hold many puts of one connection. Each such
//      put reserves its place (begin_ordered) and fills it when its commit completes
//      (complete_ordered); acknowledgements are written in the order the PUBLISHes were
//      read, an ack queued with send_ordered after every reserved one. Any packet other
//      than a PUBLISH or an ack of ours waits until no put is pending, so its answer (and
//      a later non-retained PUBLISH's routing) comes after the puts before it.
//   5. Memory while idle: a TCP connection holds no read buffer and no reader coroutine
//      while it waits for data: the reader ends, a readiness callback (on_readable) starts
//      a new one when bytes arrive, which reads into a buffer from a per-thread pool and
//      gives it back once every byte is consumed. Only a busy connection (reads less than
//      2 ms apart) reads on with its buffer, until a read finds it idle again. The strand
//      waits share one timer, created by the first wait with the deferred packets and
//      ordered acks (`Pipeline`); topic aliases and the session (Broker::session_for) are
//      created on first need; the client id is shared with the session and the broker's
//      registry. The keep-alive watchdog is a 32-byte hook on a shared wheel, not a timer
//      and a pending wait per connection. Measured (bench/README.md): 10k idle clients
//      0.90 -> 0.64 KiB each.
//   6. Early flush: the writer sends once per wake-up, after the reader has handled every
//      packet it read. A client acking a QoS 1/2 window (a snapshot: 20 PUBLISHes out, 20
//      PUBACKs back in one read) would then get the refilled window in one write at the
//      end, and client and server would take turns, each sleeping while the other works.
//      So after every early_flush_acks acks, when more packets wait in the read buffer,
//      the reader writes what is queued itself (a non-blocking write; TCP only; never while
//      the writer's write is outstanding): the client reads and acks the first part while
//      the rest is handled. Measured (bench/README.md): a 100k snapshot 195k -> ~280k msg/s;
//      a write after every ack was slower than none (each small write wakes the client).
//      Every 4 acks rather than 8 once acks cost less (design note 7): alternating A/B,
//      253k-339k -> 349k-379k msg/s; every 2 was slower again (260k-319k).
//   7. Bare acks: a four-byte PUBACK, PUBREC or PUBCOMP at the front of the read buffer is
//      handled by the reader itself (broker::dispatch_bare_ack), not decoded into a
//      1.2 KB Packet in handle_buffered's coroutine frame, whose allocation is too large
//      for Asio's frame recycling. A subscriber's acks of a QoS 1/2 stream are nearly all
//      it sends; a snapshot of 20k records: 9.1k -> 8.4k instructions per record.
//   8. Parking (TCP): an idle reader does not leave a readiness wait with Asio (which
//      keeps ~300 bytes per socket it watches) but hands the descriptor to the
//      io_context's Parking lot (parking.hpp), one epoll set of our own. A parked
//      connection writes straight to its descriptor (a CONNACK, a PINGRESP, a delivery
//      now and then) while the socket takes every byte; a write that would block, the
//      close path (shut_down, close_stream) and the lot's parked_ready (bytes or end of
//      stream arrived) take the socket back into Asio first, so everything else sees an
//      ordinary socket. A reader that idles while the writer's write is outstanding
//      waits with Asio (taking the socket out would cancel the write) and parks the next
//      time. The reader exists in exactly one form at a time: a running read_loop, Asio's
//      readiness wait, or the parked descriptor; each ends in finish_reading once.
//   9. Wake-ups, one handler per round: a connection with nothing being written wakes
//      its writer with a post, and a publisher waiting for room in a subscriber's queue is
//      woken with one. On an io_context run by one thread (threads: 1, no strands), a
//      wake-up from a handler of that thread joins the io_context's Wakeups instead, and
//      one posted handler runs every writer and ends every wait on it. A PUBLISH to 100
//      subscribers then posts once, not 100 times: each post whose handler is not yet run
//      allocates (Asio recycles one handler block per thread), about 2 allocations per
//      published message on fan-out before. Wake-ups from other threads (the store's
//      commits, strands with threads > 1) post as before.

#pragma once

#include "daemon/broker/message.hpp"
#include "daemon/session/keep_alive.hpp"
#include "daemon/session/parking.hpp"
#include "daemon/session/wakeups.hpp"

#include "common/mqtt/codec.hpp"
#include "common/net/stream.hpp"
#include "common/util/lazy_deque.hpp"
#include "common/util/lazy_map.hpp"
#include "common/util/shared_string.hpp"
#include "common/util/small_mutex.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace harperrt::daemon::broker {
class Broker;
}

namespace harperrt::daemon::session {

class Session;

// What the broker's handlers know about the connection. Strand-only. Members by size (no
// padding).
struct ProtocolState {
    // The authenticated user (the certificate's CN under mTLS); null: anonymous. Behind a
    // pointer: 8 bytes, where an optional string is 40 in every connection.
    std::unique_ptr<const std::string> username;
    // The client's session. Null until something needs one (Broker::session_for): a client
    // that starts clean, with session expiry 0, no will delay, and never subscribes or
    // publishes at QoS 2 has no state to keep, and 10k idle ones would hold 10k empty
    // sessions. Its session, in MQTT terms, is the empty one that ends with the connection.
    std::shared_ptr<Session> session;
    std::unique_ptr<mqtt::Will> will;       // behind a pointer: most clients have none
    util::LazyMap<std::uint16_t, std::string> inbound_aliases;  // topic aliases of the client
    std::uint32_t client_max_packet_size = 268435455 + 5;  // v5 Maximum Packet Size of the client
    std::uint32_t session_expiry_interval = 0;  // as asked in CONNECT (after capping)
    std::uint16_t client_receive_maximum = 65535;
    std::uint16_t client_topic_alias_maximum = 0;
    std::chrono::duration<std::uint16_t> keep_alive{0};  // seconds; the one in force (after server keep alive)
    std::optional<encoding::Format> inbound_format;  // the connection's default inbound format (§4 rule 2)
    mqtt::Version version = mqtt::Version::v5;
    bool connected = false;                 // CONNECT accepted
    bool request_problem_information = true;
    bool will_sent_or_cleared = false;

    // The client identifier once the CONNECT is accepted ("" before); shared with the
    // broker's registry and the session (util::SharedString).
    util::SharedString id;
    const util::SharedString& client_id() const noexcept { return id; }
};

class Connection final : public std::enable_shared_from_this<Connection>,
                         private KeepAliveWheel::Entry,
                         private Parking::Owner {
public:
    Connection(broker::Broker& broker, net::Stream stream);
    ~Connection();

    // Starts the coroutines. Call once.
    void start();

    // Queues a packet for writing. Any thread.
    void send(const mqtt::Packet& packet);

    // Queues a delivery; assigns an outbound topic alias when the client allows them.
    // Returns false, queuing nothing, when the PUBLISH is larger than the client's Maximum
    // Packet Size (v5 [MQTT-3.1.2-25]: the message is discarded as if delivered). Any thread.
    bool send_publish(mqtt::Publish& publish);

    // Ends the connection after flushing what is queued. With a reason and a v5 client, a
    // DISCONNECT with that reason (and a reason string, if given) is sent first. Any thread;
    // later calls do nothing.
    void close(std::optional<mqtt::ReasonCode> reason = std::nullopt, std::string reason_string = {});

    bool closing() const noexcept { return closing_.load(); }
    const net::Stream& stream() const noexcept { return stream_; }

    // Its place in the broker's connection registry (Broker::add_connection); guarded by
    // the broker's lock.
    std::uint32_t registry_slot() const noexcept { return registry_slot_; }
    void set_registry_slot(std::uint32_t slot) noexcept { registry_slot_ = slot; }
    std::string remote() const { return remote_; }

    ProtocolState& state() noexcept { return state_; }  // strand-only
    mqtt::Version version() const noexcept { return version_.load(); }

    // The format deliveries take when their subscription names none (DESIGN.md §4 rule 2,
    // else mqtt.defaultFormat). Any thread.
    encoding::Format preferred_format() const noexcept { return preferred_format_.load(); }
    void set_preferred_format(encoding::Format f) noexcept { preferred_format_.store(f); }

    // Snapshots (DESIGN.md §2): while one streams, the reader handles PUBACK, PUBREC and
    // PUBCOMP at once (so QoS 1/2 snapshots can flow) and defers every other packet, in
    // order, until all snapshots are written; then they are handled in order. Strand-only.
    void snapshot_started() noexcept { ++snapshots_running_; }
    void snapshot_finished();
    // Suspends until at most `max_bytes` wait in the output buffer and the session's queue
    // holds at most `max_queued` messages (or the connection closes). Strand-only.
    boost::asio::awaitable<void> async_wait_drained(std::size_t max_bytes, std::size_t max_queued);

    // Back-pressure (handle_publish.cpp): suspends until room_available() or `until`,
    // whichever is first (then the caller rechecks). Strand-only; one wait at a time. Not a
    // coroutine: the timer's own awaitable, so a wait costs no frame of ours.
    boost::asio::awaitable<void> async_wait_room(std::chrono::steady_clock::time_point until);
    // A congested subscriber's queue has room again (Session::wait_for_room): ends the
    // wait. Any thread; only posts.
    void room_available();

    // Ordered acknowledgements (design note 4). Strand-only.
    std::uint64_t begin_ordered();
    void complete_ordered(std::uint64_t ticket, std::optional<mqtt::Packet> ack);
    void send_ordered(const mqtt::Packet& ack);
    std::size_t ordered_pending() const noexcept { return pipeline_ ? pipeline_->ordered.size() : 0; }
    // Suspends until at most `max_pending` reserved places are unfilled (or the connection
    // closes).
    boost::asio::awaitable<void> async_wait_ordered(std::size_t max_pending);

    // Re-reads the keep-alive settings after CONNECT. Strand-only.
    void rearm_keep_alive();

    // Fixes the protocol version (on CONNECT) and the limits of the client's side.
    void set_peer_limits(mqtt::Version version, std::uint32_t max_packet_size, std::uint16_t topic_alias_maximum);

private:
    // Reads and handles packets until the connection ends or idles (design note 5);
    // `readable`: started because the socket has bytes.
    boost::asio::awaitable<void> read_loop(bool readable);
    // The idle reader's readiness callback: starts a reader, or ends the connection.
    void on_readable(boost::system::error_code ec);
    // The reader's end: marks the connection closing and tells the broker (once).
    void finish_reading(bool clean);
    // Strand-only, TCP. The idle reader's wait for bytes: parked (design note 8), or Asio's
    // readiness wait while a write is outstanding or when the lot refuses the socket.
    void wait_readable();
    // Strand-only. Takes a parked socket back into Asio; with `wait`, Asio's readiness wait
    // (on_readable) takes over from the lot. Nothing when not parked.
    void unpark(bool wait);
    // The lot's call when the parked socket is readable (any thread): posts the reader.
    void parked_ready() noexcept override;
    // Strand-only. Writes what a parked socket takes now, without Asio; true when all of
    // writing_buf_ went (design note 8).
    bool write_parked(boost::system::error_code& ec);
    // Strand-only. Closes the stream (unparked first: a parked descriptor is the lot's).
    void close_stream();
    // Logs and closes when a coroutine of the connection throws.
    std::function<void(std::exception_ptr)> crash_handler();
    // Handles the complete packets at the start of `pending`, in order; adds the bytes used
    // to `consumed`. False when the connection is to end.
    boost::asio::awaitable<bool> handle_buffered(std::span<const std::byte> pending, std::size_t& consumed,
                                                 bool& clean);
    // The writer (strand-only): writes what is queued, one write at a time; on_written
    // continues; finish_writing ends the stream once (after the last write, or an error).
    void write_next();
    // Strand-only. Writes what is queued now, from the reader, when the writer has no write
    // outstanding (design note 6; TCP only).
    void flush_now();
    static constexpr std::size_t early_flush_acks = 4;
    void on_written(boost::system::error_code ec);
    void finish_writing();
    boost::asio::awaitable<void> shut_down();
    mqtt::Bytes writing_buf_;  // strand-only; the bytes of the write in progress
    // Strand-only. Closes the connection when its CONNECT or keep alive is overdue, cuts a
    // closing one after close_grace; otherwise schedules its next deadline on wheel_. Runs
    // at start, when a deadline passes, after CONNECT and when closing.
    void watch_keep_alive();
    // The wheel's call when the scheduled deadline has passed: posts watch_keep_alive.
    void keep_alive_due() noexcept override;
    // Wakes the strand's waiters (the ones on Pipeline::changed).
    void notify_changed() {
        if (pipeline_) pipeline_->changed.cancel();
    }
    void wake_writer();
    // Strand-only. Ends a wait of async_wait_room (its caller rechecks).
    void end_room_wait();
    // Whether `ex` is the plain executor of the broker's io_context and this thread runs it
    // (threads: 1; design note 9).
    bool on_io_thread(const boost::asio::any_io_executor& ex) const;
    friend class Wakeups;  // runs write_next and end_room_wait
    // Requires out_mu_. Appends and enforces the output cap.
    void append_locked(const mqtt::Packet& packet);
    // Requires out_mu_. An empty output buffer takes the size of the one last freed while
    // parked in one step, instead of growing back 8, 16, 32, ... bytes at a time: a
    // publisher that parks between bursts of acks regrew its buffer for each (0.07
    // allocations per message on QoS 1 fan-in).
    void refill_out_locked() {
        if (out_.capacity() == 0)
            if (const auto units = regrow_hint_.load(std::memory_order_relaxed)) out_.reserve(units * std::size_t{64});
    }

    broker::Broker& broker_;
    net::Stream stream_;
    const std::string remote_;
    ProtocolState state_;
    std::chrono::steady_clock::time_point last_read_;  // strand-only
    // Strand-only. Until closing: the accept (the CONNECT timeout counts from it); once the
    // close grace has started (grace_started_): its end, when the connection is cut.
    std::chrono::steady_clock::time_point accepted_or_grace_end_;

    KeepAliveWheel& wheel_;
    Parking& parking_;
    struct OrderedAck {
        bool ready = false;
        // The ack as encoded (a few bytes, not a 1.2 KB Packet per pending put); empty:
        // nothing to send (QoS 0, or closed).
        mqtt::Bytes ack;
    };
    // What only some connections use, allocated by the first use and then kept (so
    // references to it stay valid across waits): one pointer in every connection instead
    // of 32 bytes, and the timer only where something waits. Strand-only.
    struct Pipeline {
        explicit Pipeline(const boost::asio::any_io_executor& ex)
            : changed(ex, std::chrono::steady_clock::time_point::max()), room(ex) {}
        // Never expires; cancelled to wake the strand's waiters (snapshots, drained output,
        // ordered acks) whenever something they wait for may have changed. Each rechecks.
        boost::asio::steady_timer changed;
        util::LazyDeque<mqtt::Packet> deferred;  // packets held behind a snapshot
        // Reserved places, oldest first. Its block (up to 128 places) is kept when drained:
        // a client pipelining puts empties and refills it all the time (0.05 allocations
        // per put with the default 1 KiB).
        util::LazyDeque<OrderedAck, 4096> ordered;
        std::uint64_t ordered_base = 0;          // ticket of ordered.front()
        // A PUBLISH waiting for room in a congested subscriber's queue (async_wait_room):
        // cancelled by room_available(), or it expires at the wait's deadline.
        boost::asio::steady_timer room;
        boost::system::error_code room_ec;  // the wait's result; it rechecks either way
    };
    std::unique_ptr<Pipeline> pipeline_;
    Pipeline& pipeline();
    bool nothing_deferred() const noexcept { return !pipeline_ || pipeline_->deferred.empty(); }

    // Handles deferred packets in order until none is left or a new snapshot starts.
    boost::asio::awaitable<void> drain_deferred();
    // Suspends until no snapshot runs and nothing is deferred (reader back-pressure).
    boost::asio::awaitable<void> async_wait_snapshots();

    mqtt::Bytes out_;                          // guarded by out_mu_
    util::LazyMap<std::string, std::uint16_t> outbound_aliases_;  // guarded by out_mu_

    // The small members last, by size, so that they share words: 10k idle connections.
    util::SmallMutex out_mu_;                             // 4 bytes (std::mutex: 40)
    int parked_fd_ = -1;                                  // strand-only; the descriptor while parked, else -1
    std::uint32_t parked_slot_ = 0;                       // strand-only; its slot in parking_
    int snapshots_running_ = 0;                           // strand-only
    std::uint32_t acks_unflushed_ = 0;                    // strand-only; acks handled since the last write
    std::uint32_t registry_slot_ = UINT32_MAX;            // guarded by the broker's lock (registry_slot())
    std::uint32_t peer_max_packet_size_ = 268435455 + 5;  // guarded by out_mu_
    std::uint16_t peer_topic_alias_maximum_ = 0;          // guarded by out_mu_
    bool overflowed_ = false;                             // guarded by out_mu_
    bool draining_ = false;                               // strand-only; deferred packets being handled
    bool writing_ = false;                                // strand-only; the writer's write is outstanding
    bool grace_started_ = false;                          // strand-only; see accepted_or_grace_end_
    std::atomic<mqtt::Version> version_{mqtt::Version::v5};
    std::atomic<encoding::Format> preferred_format_{encoding::Format::json};
    std::atomic<bool> wake_pending_{false};
    std::atomic<bool> closing_{false};
    std::atomic<bool> writer_done_{false};
    // The capacity, in 64-byte units, of the small write buffer a parked connection last
    // freed; the next write buffer starts at it (refill_out_locked). Set on the strand.
    std::atomic<std::uint8_t> regrow_hint_{0};
};

}  // namespace harperrt::daemon::session
