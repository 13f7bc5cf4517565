#include "daemon/broker/message.hpp"

#include "daemon/broker/thread_cache.hpp"

#include "common/encoding/detect.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>

namespace harperrt::daemon::broker {

namespace {

// Spare Messages per thread, and the most a spare keeps of each string's capacity. 1024
// covers a full subscriber queue (mqtt.limits.maxQueuedMessages, 1000 by default): QoS 1
// fan-in frees and allocates messages in bursts of that size (PUBACKs read in one go,
// then a batch of PUBLISHes), and with 128 spares 40% of its messages were still
// allocated. The price, once a thread has seen such a burst: at most 1024 x (920 B of
// Message + ~32 B of control block + 512 + 2 x 256 B of strings) = ~2 MB per I/O thread,
// ~1.1 MB with short topics and 100-byte payloads. A larger string is released.
using MessageCache = ThreadCache<Message, 1024>;
constexpr std::size_t max_kept_payload = 512;
constexpr std::size_t max_kept_name = 256;  // topic, origin

// Allocates the shared_ptr control block of a recycled Message from spare blocks of its
// size (one size: it is always the same type), so a make_message() allocates nothing.
template <typename T>
struct BlockAllocator {
    using value_type = T;
    struct alignas(T) Block {
        std::byte bytes[sizeof(T)];
    };
    using Blocks = ThreadCache<Block, 1024>;

    BlockAllocator() = default;
    template <typename U>
    BlockAllocator(const BlockAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        if (n != 1) return std::allocator<T>().allocate(n);
        auto block = Blocks::take();
        if (!block) block.reset(new Block);
        return reinterpret_cast<T*>(block.release());
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n != 1) return std::allocator<T>().deallocate(p, n);
        Blocks::give(std::unique_ptr<Block>(reinterpret_cast<Block*>(p)));
    }
    template <typename U>
    friend bool operator==(const BlockAllocator&, const BlockAllocator<U>&) noexcept { return true; }
};

// `s` emptied, with its buffer if that is at most `max` bytes.
std::string emptied(std::string& s, std::size_t max) noexcept {
    std::string kept;
    if (s.capacity() <= max) kept = std::move(s);
    kept.clear();
    return kept;
}

// The deleter of make_message()'s Messages: keeps them as spares. A spare is a new Message
// but for the buffers of its strings: built anew in place, so that no field (nor one added
// later) keeps a value of the message it was.
static_assert(std::is_nothrow_default_constructible_v<Message>, "MessageRecycler rebuilds one in a noexcept deleter");
struct MessageRecycler {
    void operator()(Message* m) const noexcept {
        auto topic = emptied(m->topic, max_kept_name);
        auto payload = emptied(m->payload, max_kept_payload);
        auto origin = emptied(m->origin, max_kept_name);
        std::destroy_at(m);
        m = std::construct_at(m);
        m->topic = std::move(topic);
        m->payload = std::move(payload);
        m->origin = std::move(origin);
        MessageCache::give(std::unique_ptr<Message>(m));
    }
};

}  // namespace

std::shared_ptr<Message> make_message() {
    auto spare = MessageCache::take();
    Message* m = spare ? spare.release() : new Message();
    // (Should the control block fail to allocate, the constructor hands `m` to the deleter.)
    return std::shared_ptr<Message>(m, MessageRecycler{}, BlockAllocator<Message>{});
}

std::optional<encoding::Format> Message::source_format_locked() const {
    if (undecodable_) return std::nullopt;
    if (declared_format) return declared_format;
    if (!detected_) {
        detected_ = true;
        if (encoding::looks_like_json(payload)) detected_format_ = encoding::Format::json;  // rule 3
    }
    return detected_format_;
}

Message::Delivery Message::payload_for(encoding::Format want) const {
    std::scoped_lock lock(cache_mu_);
    auto& slot = encoded_[static_cast<std::size_t>(want)];
    if (slot) return {*slot, want};
    const encoding::Value* source = value.get();
    if (source == nullptr) {
        const auto format = source_format_locked();
        if (!format) return {payload, std::nullopt};     // opaque: unchanged for everyone
        if (*format == want) return {payload, want};     // already in that format
        if (!decoded_ && *format == encoding::Format::msgpack && want == encoding::Format::json) {
            // A stored record to a JSON subscriber: one pass, no Value (codec.hpp).
            std::string json;
            if (!encoding::transcode_to(payload, *format, want, json)) {
                undecodable_ = true;
                return {payload, std::nullopt};
            }
            slot = std::move(json);
            return {*slot, want};
        }
        if (!decoded_) {
            auto v = encoding::decode(payload, *format);
            if (!v) {
                // Declared structured but not decodable: forward the bytes as they are.
                undecodable_ = true;
                return {payload, std::nullopt};
            }
            decoded_ = std::make_shared<const encoding::Value>(std::move(*v));
        }
        source = decoded_.get();
    }
    slot.emplace();
    encoding::encode_to(*source, want, *slot);
    return {*slot, want};
}

}  // namespace harperrt::daemon::broker
