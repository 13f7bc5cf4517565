// Recycling on the publish path: ThreadCache keeps at most Max spares per thread and
// deletes the rest; a recycled Message comes back as a new one (no content, no cached
// encodings) with its string capacity kept up to a bound; a Message released on another
// thread goes to that thread's spares; a TargetList reuses its vector. Each test runs its
// work on fresh threads, so it starts and ends with empty caches.
#include "daemon/broker/message.hpp"
#include "daemon/broker/router.hpp"
#include "daemon/broker/thread_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace harperrt::daemon::broker {
namespace {

// Counts live instances, to see what ThreadCache deletes.
struct Counted {
    static inline std::atomic<int> live{0};
    Counted() { ++live; }
    ~Counted() { --live; }
};

template <class F>
void on_new_thread(F f) {
    std::thread t(std::move(f));
    t.join();
}

TEST(ThreadCache, KeepsAtMostMaxAndDeletesTheRestAtThreadExit) {
    using Cache = ThreadCache<Counted, 2>;
    on_new_thread([] {
        EXPECT_EQ(Cache::take(), nullptr);  // a new thread has no spares
        for (int i = 0; i < 3; ++i) Cache::give(std::make_unique<Counted>());
        EXPECT_EQ(Cache::size(), 2u);
        EXPECT_EQ(Counted::live.load(), 2);  // the third was deleted
        auto spare = Cache::take();
        EXPECT_NE(spare, nullptr);
        EXPECT_EQ(Cache::size(), 1u);
        Cache::give(std::move(spare));
    });
    EXPECT_EQ(Counted::live.load(), 0);  // the thread's spares went with it
}

TEST(ThreadCache, GivenBackOnAnotherThreadGoesToThatThreadsSpares) {
    using Cache = ThreadCache<Counted, 4>;
    std::unique_ptr<Counted> moving;
    on_new_thread([&] {
        Cache::give(std::make_unique<Counted>());
        moving = Cache::take();
        EXPECT_EQ(Cache::size(), 0u);
    });
    on_new_thread([&] {
        Cache::give(std::move(moving));
        EXPECT_EQ(Cache::size(), 1u);
    });
    EXPECT_EQ(Counted::live.load(), 0);
}

TEST(MakeMessage, ARecycledMessageIsEmptyAndKeepsCapacity) {
    on_new_thread([] {
        const std::string payload = R"({"a":")" + std::string(200, 'x') + R"("})";
        const Message* first = nullptr;
        std::string cached;
        {
            auto m = make_message();
            first = m.get();
            m->topic = "a/b";
            m->payload = payload;
            m->origin = std::string(40, 'c');
            m->qos = mqtt::QoS::at_least_once;
            m->retain = true;
            m->properties.content_type = "application/json";
            m->properties.user_properties.emplace_back("k", "v");
            m->expires_at = Clock::now();
            m->declared_format = encoding::Format::json;
            const auto d = m->payload_for(encoding::Format::cbor);  // fills the encoding cache
            ASSERT_EQ(d.format, encoding::Format::cbor);
            cached = d.payload;
            m->value = std::make_shared<const encoding::Value>();
            m->record = RecordInfo{};
        }
        auto m = make_message();
        EXPECT_EQ(m.get(), first);  // the spare, not a new one
        EXPECT_TRUE(m->topic.empty());
        EXPECT_TRUE(m->payload.empty());
        EXPECT_GE(m->payload.capacity(), payload.size());  // kept: a fill allocates nothing
        EXPECT_TRUE(m->origin.empty());
        EXPECT_GE(m->origin.capacity(), 40u);
        EXPECT_EQ(m->qos, mqtt::QoS::at_most_once);
        EXPECT_FALSE(m->retain);
        EXPECT_EQ(m->properties, mqtt::Properties{});
        EXPECT_FALSE(m->expires_at);
        EXPECT_FALSE(m->declared_format);
        EXPECT_EQ(m->value, nullptr);
        EXPECT_FALSE(m->record);
        // No stale encoding: the new payload is encoded, not the old one's bytes returned.
        m->payload = R"({"b":2})";
        m->declared_format = encoding::Format::json;
        const auto d = m->payload_for(encoding::Format::cbor);
        EXPECT_EQ(d.format, encoding::Format::cbor);
        EXPECT_NE(d.payload, cached);
        EXPECT_LT(d.payload.size(), 16u);
    });
}

TEST(MakeMessage, ALargePayloadIsNotKept) {
    on_new_thread([] {
        { make_message()->payload.assign(64 * 1024, 'x'); }
        auto m = make_message();
        EXPECT_LT(m->payload.capacity(), 64u * 1024u);
    });
}

TEST(MakeMessage, ReleasedOnAnotherThreadIsReusedThere) {
    MessagePtr shared;
    on_new_thread([&] {
        auto m = make_message();
        m->topic = "t";
        shared = std::move(m);
    });
    const Message* raw = shared.get();
    on_new_thread([&] {
        shared.reset();  // the last reference: a spare of this thread
        EXPECT_EQ(make_message().get(), raw);
    });
}

TEST(TargetList, ReusesItsVectorOnTheSameThread) {
    on_new_thread([] {
        const Target* data = nullptr;
        {
            TargetList list;
            list->resize(3);
            data = list->data();
        }
        TargetList again;
        EXPECT_TRUE(again->empty());
        EXPECT_GE(again->capacity(), 3u);
        EXPECT_EQ(again->data(), data);
        TargetList moved = std::move(again);  // a moved-from list gives nothing back
        EXPECT_EQ(moved->data(), data);
    });
}

}  // namespace
}  // namespace harperrt::daemon::broker
