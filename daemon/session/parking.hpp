// Parking: the idle TCP sockets of an io_context, watched by one epoll set of our own
// instead of Asio's reactor. Asio keeps about 300 bytes for every socket it watches (its
// per-descriptor state, 168 B, and the pending readiness wait with its handler, ~135 B);
// a parked socket costs a 24-byte slot here and the kernel's epoll entry. 10k idle
// connections: 1.67 -> ~1.37 KiB each (bench/README.md).
//
// Design notes
//   1. A parked socket is out of Asio: its owner takes the descriptor out of its Asio socket
//      (Stream::release_tcp) and hands it over with park(); the slot holds a reference to
//      the owner, so a parked connection lives on with nothing of Asio's pending. unpark()
//      gives the descriptor back and drops the reference (the caller holds its own).
//   2. Readiness: EPOLLIN | EPOLLRDHUP, one-shot. The lot waits for its epoll descriptor
//      through Asio (one wait for all parked sockets) and, when it is readable, takes the
//      ready events and calls each owner's parked_ready(), which only posts to the
//      owner's strand; the owner then unparks and reads. One-shot: an owner is told at
//      most once per park.
//   3. One mutex guards the slots and the epoll set: park, unpark and the taking of events
//      run under it, so an event taken always belongs to its slot's current socket (an
//      unpark removes its socket from the set under the same lock). A parked_ready may
//      still reach an owner that has unparked since (the event was taken just before):
//      the owner checks, on its strand, that it is parked.
//   4. No lost wake-up: Asio watches the epoll descriptor edge-triggered, and a wait
//      started after an edge does not see that edge. So the lot takes events until none
//      is left, starts the next wait, then looks once more (an event that came between
//      the two is taken then; one that comes later is a new edge the wait sees).
//   5. Shutdown: when the io_context shuts its services down, the lot closes the
//      descriptors it holds and drops the owners.
//   6. Batches: at most `batch` events are taken at a time; after a full batch the lot
//      posts itself rather than taking more, so the readers those owners start run (and
//      give their read buffers back) before the next batch starts its own. 10k parked
//      clients closing at once would otherwise hold 10k 16 KiB read buffers at the same
//      moment (Asio's own reactor, likewise, takes at most 128 events a round).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <deque>
#include <vector>

namespace harperrt::daemon::session {

class Parking {
public:
    // What the owner of a parked socket implements.
    class Owner {
    public:
        Owner() = default;
        Owner(const Owner&) = delete;
        Owner& operator=(const Owner&) = delete;

    protected:
        virtual ~Owner() = default;  // virtual for -Wnon-virtual-dtor only: never deleted through

    private:
        friend class Parking;
        // The parked socket is readable (bytes, end of stream or an error). Any thread, not
        // under the lot's lock; must only post to the owner's strand.
        virtual void parked_ready() noexcept = 0;
    };

    explicit Parking(boost::asio::io_context& io);
    Parking(const Parking&) = delete;
    Parking& operator=(const Parking&) = delete;
    ~Parking();

    // Watches `fd` (no longer in Asio's reactor, or about to leave it) for `owner`, which it
    // keeps alive until unpark(). Returns the slot, or nullopt (nothing kept) when the
    // kernel refuses the descriptor. Any thread.
    std::optional<std::uint32_t> park(std::shared_ptr<Owner> owner, int fd);
    // Stops watching the socket of `slot` and forgets its owner; the caller takes its
    // descriptor back. False when the lot has shut down (it closed the descriptor). Any
    // thread (the owner's strand).
    bool unpark(std::uint32_t slot);
    // How many sockets are parked. Any thread.
    std::size_t size() const;
    // Closes every parked descriptor and drops the owners (io_context shutdown).
    void shutdown();

private:
    struct Slot {
        std::shared_ptr<Owner> owner;  // null: free
        int fd = -1;
        std::uint32_t next_free = 0;
    };
    static constexpr std::size_t batch = 64;  // events taken at a time (design note 6)
    // Requires mu_. Starts the wait for the epoll descriptor.
    void wait();
    void on_ready(const boost::system::error_code& ec);
    // Takes a batch of ready events and tells their owners; waits, or posts itself again
    // when the batch was full.
    void drain();
    // Requires mu_. Takes up to `batch` ready events; appends the owners to tell. True when
    // the batch was full (more may be ready).
    bool take_ready_locked(std::vector<std::shared_ptr<Owner>>& ready);

    mutable std::mutex mu_;
    int epfd_ = -1;
    boost::asio::posix::stream_descriptor watch_;  // guarded by mu_; the epoll descriptor in Asio
    bool waiting_ = false;                         // guarded by mu_
    bool draining_ = false;                        // guarded by mu_; a drain() is posted
    bool shut_ = false;                            // guarded by mu_
    std::deque<Slot> slots_;                       // guarded by mu_; a deque: no doubling
    std::uint32_t free_ = 0;                       // guarded by mu_; first free slot + 1 (0: none)
    std::size_t size_ = 0;                         // guarded by mu_
};

// The lot of `io` (one per io_context, created on first use; it lives as long as `io`).
Parking& parking(boost::asio::io_context& io);

}  // namespace harperrt::daemon::session
