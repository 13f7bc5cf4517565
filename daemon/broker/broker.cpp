#include "daemon/broker/broker.hpp"
#include "daemon/broker/persist.hpp"

#include "daemon/session/connection.hpp"
#include "daemon/session/session.hpp"

#include "common/mqtt/reason_code.hpp"
#include "common/topic/errc.hpp"
#include "common/util/log.hpp"

#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include <future>
#include <limits>

namespace harperrt::daemon::broker {

namespace asio = boost::asio;

namespace {
constexpr std::uint32_t never_expires = std::numeric_limits<std::uint32_t>::max();

// Runs `fn` after `delay` on the io_context.
template <class F>
void after(asio::io_context& io, std::chrono::seconds delay, F fn) {
    auto timer = std::make_shared<asio::steady_timer>(io, delay);
    timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) mutable {
        if (!ec) fn();
    });
}

// Whether a client's `owner` was assigned and not reset since: true for a connection that
// went away without closing as the owner (expired, but it still shares ownership of its
// control block), false for an empty weak_ptr (owner_before orders by control block).
bool has_owner(const std::weak_ptr<session::Connection>& owner) {
    const std::weak_ptr<session::Connection> none;
    return owner.owner_before(none) || none.owner_before(owner);
}
}  // namespace

Broker::Broker(const config::Config& config, asio::io_context& io, store::Store& store)
    : config_(config), io_(io), wakeups_(session::wakeups(io)), records_(config, store) {
    // Query subscriptions judge a write against the record it replaced (router.hpp note 4).
    router_.set_query_observer([&store](const std::string& table, bool any) { store.keep_previous(table, any); });
}

void Broker::unsubscribe_filter(const std::string& filter, const std::string& client_id) {
    if (query_filter(filter, records_.tables())) router_.unsubscribe(topic::Filter{{}, filter}, client_id);
    else if (auto f = topic::parse_subscription(filter)) router_.unsubscribe(*f, client_id);
}

std::optional<std::pair<topic::Filter, Subscriber>> Broker::subscriber_for(
    const std::shared_ptr<session::Session>& session, const std::string& filter,
    const session::SubscriptionInfo& info) const {
    Subscriber s{session, session->client_id().str(), info.options, info.subscription_id, info.accept, {}, {}};
    if (auto qf = query_filter(filter, records_.tables())) {
        auto q = make_live_query(filter, *qf, records_);
        if (!q.query) {
            log::warn("client {}: subscription {} dropped: {}", session->client_id(), filter, q.error);
            return std::nullopt;
        }
        s.query = std::move(q.query);
        return std::pair{topic::Filter{{}, filter}, std::move(s)};
    }
    auto f = topic::parse_subscription(filter);
    if (!f) {
        log::warn("client {}: subscription {} dropped: {}", session->client_id(), filter, f.error().message());
        return std::nullopt;
    }
    return std::pair{std::move(*f), std::move(s)};
}


std::size_t Broker::publish(const MessagePtr& msg) {
    if (msg->retain) retained_store(msg);
    return router_.publish(msg);
}

void Broker::retained_store(const MessagePtr& msg) {
    if (msg->record) return;  // records are stored before they are published
    retained_.store(msg);
    if (!msg->topic.starts_with("$SYS/")) {  // $SYS is recomputed, not kept
        auto logged = [topic = msg->topic](auto r) {
            if (!r) log::error("persisting the retained message of {}: {}", topic, r.error().message());
        };
        if (msg->payload.empty())
            records_.store().kv_remove(std::string(retained_ns), msg->topic, [logged](Result<bool> r) { logged(r); });
        else
            records_.store().kv_put(std::string(retained_ns), msg->topic, encode_message(*msg),
                                    [logged](Result<void> r) { logged(r); });
    }
}

bool Broker::add_connection(const std::shared_ptr<session::Connection>& conn) {
    std::scoped_lock lock(mu_);
    if (connection_count_ >= config_.mqtt.limits.max_connections) return false;
    std::uint32_t slot = 0;
    if (free_connection_slots_.empty()) {
        slot = static_cast<std::uint32_t>(connections_.size());
        connections_.emplace_back(conn);
    } else {
        slot = free_connection_slots_.back();
        free_connection_slots_.pop_back();
        connections_[slot] = conn;
    }
    conn->set_registry_slot(slot);
    ++connection_count_;
    return true;
}

void Broker::remove_connection(session::Connection& conn) {
    std::scoped_lock lock(mu_);
    const auto slot = conn.registry_slot();
    // Only its own slot, once (it is not in one if add_connection refused it).
    if (slot >= connections_.size() || connections_[slot].lock().get() != &conn) return;
    connections_[slot].reset();
    free_connection_slots_.push_back(slot);
    --connection_count_;
}

std::size_t Broker::connection_count() const {
    std::scoped_lock lock(mu_);
    return connection_count_;
}

void Broker::close_all_connections() {
    std::vector<std::shared_ptr<session::Connection>> all;
    {
        std::scoped_lock lock(mu_);
        for (const auto& weak : connections_)
            if (auto c = weak.lock()) all.push_back(std::move(c));
    }
    for (auto& c : all) c->close(mqtt::ReasonCode::server_shutting_down);
}

std::pair<std::shared_ptr<session::Session>, bool> Broker::open_session(
    const util::SharedString& client_id, bool clean_start, bool need_session,
    const std::shared_ptr<session::Connection>& conn) {
    std::shared_ptr<session::Connection> previous;
    std::shared_ptr<session::Session> discarded;
    std::shared_ptr<session::Session> session;
    bool present = false;
    {
        std::scoped_lock lock(mu_);
        auto& client = clients_[client_id];
        previous = client.owner.lock();
        client.owner = conn;
        if (client.session && clean_start) discarded = std::move(client.session);  // leaves it null
        // A live previous connection without a Session object had the empty session.
        present = client.session != nullptr || (previous && previous != conn && !clean_start);
        if (!client.session && (need_session || present))
            client.session = std::make_shared<session::Session>(client_id, config_.mqtt.limits.max_queued_messages);
        session = client.session;
    }
    if (discarded) {
        for (const auto& [filter, info] : discarded->subscriptions()) unsubscribe_filter(filter, client_id.str());
        discarded->clear();
        records_.store().kv_remove(std::string(session_ns), client_id.str(), {});
    }
    if (previous && previous.get() != conn.get()) {
        log::info("client {}: session taken over by {}", client_id, conn->remote());
        previous->close(mqtt::ReasonCode::session_taken_over);  // v5 [MQTT-3.1.4-3]
    }
    return {session, present};
}

boost::asio::thread_pool& Broker::auth_pool() {
    std::call_once(auth_pool_started_, [this] { auth_pool_.emplace(2); });
    return *auth_pool_;
}

std::uint16_t Broker::inflight_limit(const session::ProtocolState& st) const {
    return std::min<std::uint16_t>(st.client_receive_maximum, config_.mqtt.limits.max_inflight);
}

std::shared_ptr<session::Session> Broker::session_for(const std::shared_ptr<session::Connection>& conn) {
    auto& st = conn->state();
    if (st.session) return st.session;
    {
        std::scoped_lock lock(mu_);
        auto it = clients_.find(st.client_id().view());
        if (it == clients_.end() || it->second.owner.lock() != conn) return nullptr;  // taken over
        // Owned by `conn`, which has none: any session here would have been given to it.
        if (!it->second.session)
            it->second.session =
                std::make_shared<session::Session>(st.client_id(), config_.mqtt.limits.max_queued_messages);
        st.session = it->second.session;
    }
    st.session->expiry_interval.store(st.session_expiry_interval);
    st.session->attach(conn, inflight_limit(st));
    return st.session;
}

void Broker::on_connection_closed(session::Connection& conn, bool /*after_disconnect*/) {
    remove_connection(conn);
    auto& st = conn.state();
    if (!st.connected) return;
    Stats::add(stats_.clients_connected, static_cast<std::uint64_t>(-1));
    auto session = st.session;  // null: it never needed one (Broker::session_for)
    if (session) session->detach(&conn);
    bool still_owner = false;
    {
        std::scoped_lock lock(mu_);
        // No owner: a connection that took over the session closed first; this one is not
        // the owner. An expired one never closed as the owner: this one cleans up for it.
        auto it = clients_.find(st.client_id().view());
        if (it != clients_.end() && has_owner(it->second.owner)) {
            auto owner = it->second.owner.lock();
            still_owner = !owner || owner.get() == &conn;
            if (still_owner) {
                it->second.owner.reset();
                if (!it->second.session) clients_.erase(it);
            }
        }
    }
    log::debug("client {} ({}) disconnected", st.client_id(), conn.remote());
    if (!session) {
        // Expiry 0 and no will delay (handle_connect creates a session for either): the
        // empty session ends now, and the will goes now.
        if (st.will) {
            auto will = std::move(*st.will);
            st.will.reset();
            send_will(st.client_id(), std::move(will));
        }
        return;
    }
    const auto generation = session->generation.load();
    const std::uint32_t expiry = still_owner ? st.session_expiry_interval : never_expires;
    if (still_owner && expiry != 0) {
        session->disconnected_at.store(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch()).count());
        persist_session(session);
    }

    // The will is published unless a DISCONNECT cleared it (handle_disconnect.cpp): so after
    // an abnormal end, and after v5 DISCONNECT 0x04 (Disconnect with Will Message).
    if (st.will) {
        auto will = std::move(*st.will);
        st.will.reset();
        // The will goes after its delay, or when the session ends if that is sooner
        // (v5 §3.1.3.2.2); a reconnect before then cancels it.
        std::uint32_t delay = will.properties.will_delay_interval.value_or(0);
        if (expiry != never_expires) delay = std::min(delay, expiry);
        if (delay == 0) {
            send_will(st.client_id(), std::move(will));
        } else {
            after(io_, std::chrono::seconds(delay), [this, session, generation, id = st.client_id(), will]() mutable {
                if (session->generation.load() == generation && !session->attached()) send_will(id, std::move(will));
            });
        }
    }
    if (!still_owner) return;
    if (expiry == 0) {
        end_session(st.client_id(), generation);
    } else if (expiry != never_expires) {
        after(io_, std::chrono::seconds(expiry), [this, id = st.client_id(), generation] {
            end_session(id, generation);
        });
    }
}

void Broker::end_session(const util::SharedString& client_id, std::uint64_t generation) {
    std::shared_ptr<session::Session> session;
    {
        std::scoped_lock lock(mu_);
        auto it = clients_.find(client_id.view());
        if (it == clients_.end()) return;
        auto& client = it->second;
        if (!client.session || client.session->generation.load() != generation || client.session->attached()) return;
        session = std::move(client.session);
        if (!has_owner(client.owner)) clients_.erase(it);
    }
    for (const auto& [filter, info] : session->subscriptions()) unsubscribe_filter(filter, client_id.str());
    session->clear();
    records_.store().kv_remove(std::string(session_ns), client_id.str(), {});
    Stats::add(stats_.clients_expired);
    log::debug("client {}: session ended", client_id);
}

void Broker::send_will(const util::SharedString& client_id, mqtt::Will will) {
    auto msg = std::make_shared<Message>();
    msg->topic = std::move(will.topic);
    msg->payload = std::move(will.payload);
    msg->qos = will.qos;
    msg->retain = will.retain;
    auto& p = will.properties;
    msg->properties.payload_format_indicator = p.payload_format_indicator;
    msg->properties.content_type = std::move(p.content_type);
    msg->properties.response_topic = std::move(p.response_topic);
    msg->properties.correlation_data = std::move(p.correlation_data);
    msg->properties.user_properties = std::move(p.user_properties);
    if (p.message_expiry_interval) msg->expires_at = Clock::now() + std::chrono::seconds(*p.message_expiry_interval);
    msg->origin = client_id.str();
    log::debug("client {}: publishing will on {}", client_id, msg->topic);
    publish(msg);
}

void Broker::persist_session(const std::shared_ptr<session::Session>& session) {
    if (session->expiry_interval.load() == 0) return;  // ends with its connection
    records_.store().kv_put(std::string(session_ns), session->client_id().str(), encode_session(session->save()),
                            [id = session->client_id()](Result<void> r) {
                                if (!r) log::error("persisting session {}: {}", id, r.error().message());
                            });
}

void Broker::save_sessions() {
    std::vector<std::shared_ptr<session::Session>> all;
    {
        std::scoped_lock lock(mu_);
        all.reserve(clients_.size());
        for (const auto& [id, client] : clients_)
            if (client.session) all.push_back(client.session);
    }
    store::WriteBatch batch;
    for (const auto& s : all)
        if (s->expiry_interval.load() != 0) batch.kv_put(std::string(session_ns), s->client_id().str(), encode_session(s->save()));
    if (batch.empty()) return;
    std::promise<Result<std::vector<store::WriteOutcome>>> done;
    auto committed = done.get_future();
    records_.store().write(std::move(batch), [&done](Result<std::vector<store::WriteOutcome>> r) { done.set_value(std::move(r)); });
    if (auto r = committed.get(); !r) log::error("saving sessions: {}", r.error().message());
    else log::info("saved {} persistent session(s)", all.size());
}

void Broker::load_persisted() {
    auto& db = records_.store();
    std::optional<std::string> cursor;
    std::size_t retained = 0, sessions = 0;
    for (;;) {
        auto batch = db.kv_scan(retained_ns, "", cursor, 1024);
        if (!batch) {
            log::error("loading retained messages: {}", batch.error().message());
            break;
        }
        for (const auto& e : *batch) {
            if (auto msg = decode_message(e.value)) {
                retained_.store(*msg);
                ++retained;
            } else {
                log::error("retained message of {} is unreadable ({}); skipped", e.key, msg.error().message());
            }
        }
        if (batch->size() < 1024) break;
        cursor = batch->back().key;
    }
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    cursor.reset();
    for (;;) {
        auto batch = db.kv_scan(session_ns, "", cursor, 256);
        if (!batch) {
            log::error("loading sessions: {}", batch.error().message());
            break;
        }
        for (const auto& e : *batch) {
            auto state = decode_session(e.value);
            if (!state) {
                log::error("session {} is unreadable ({}); skipped", e.key, state.error().message());
                continue;
            }
            const auto expiry = state->expiry_interval;
            const auto since = state->disconnected_at == 0 ? 0 : now - state->disconnected_at;
            if (expiry != never_expires && since >= expiry) {
                db.kv_remove(std::string(session_ns), e.key, {});
                continue;
            }
            auto session = session::Session::restore(std::move(*state), config_.mqtt.limits.max_queued_messages);
            for (const auto& [filter, info] : session->subscriptions())
                if (auto entry = subscriber_for(session, filter, info)) router_.subscribe(entry->first, std::move(entry->second));
            if (expiry != never_expires)
                after(io_, std::chrono::seconds(expiry - since),
                      [this, id = session->client_id(), generation = session->generation.load()] { end_session(id, generation); });
            {
                std::scoped_lock lock(mu_);
                clients_[session->client_id()].session = session;
            }
            ++sessions;
        }
        if (batch->size() < 256) break;
        cursor = batch->back().key;
    }
    if (retained + sessions > 0) log::info("loaded {} retained message(s) and {} session(s)", retained, sessions);
}

std::string Broker::assign_client_id() {
    return fmt::format("harperrt-{:x}-{}",
                       static_cast<std::uint64_t>(stats_.started.time_since_epoch().count()) & 0xffffff,
                       next_client_number_.fetch_add(1));
}

Broker::QueueTotals Broker::queue_totals() const {
    std::vector<std::shared_ptr<session::Session>> sessions;
    {
        std::scoped_lock lock(mu_);
        sessions.reserve(clients_.size());
        for (const auto& [id, client] : clients_)
            if (client.session) sessions.push_back(client.session);
    }
    QueueTotals totals;
    for (const auto& s : sessions) {  // each takes its own lock, not the broker's
        totals.queued += s->queued();
        totals.inflight += s->inflight();
    }
    return totals;
}

std::size_t Broker::session_count() const {
    std::scoped_lock lock(mu_);
    return clients_.size();
}

void Broker::publish_sys() {
    const auto now = Clock::now();
    auto put = [&](std::string topic, std::string value) {
        auto msg = std::make_shared<Message>();
        msg->topic = "$SYS/broker/" + std::move(topic);
        msg->payload = std::move(value);
        msg->retain = true;
        publish(msg);
    };
    auto n = [](const std::atomic<std::uint64_t>& c) { return std::to_string(c.load(std::memory_order_relaxed)); };
    const auto sessions = session_count();
    const auto connected = stats_.clients_connected.load();
    put("version", "harperrt " HARPERRT_VERSION_STRING);
    put("uptime", fmt::format("{} seconds", std::chrono::duration_cast<std::chrono::seconds>(now - stats_.started).count()));
    put("clients/connected", std::to_string(connected));
    put("clients/active", std::to_string(connected));
    put("clients/total", std::to_string(sessions));
    put("clients/disconnected", std::to_string(sessions > connected ? sessions - connected : 0));
    put("clients/inactive", std::to_string(sessions > connected ? sessions - connected : 0));
    put("clients/maximum", n(stats_.clients_maximum));
    put("clients/expired", n(stats_.clients_expired));
    put("messages/received", n(stats_.messages_received));
    put("messages/sent", n(stats_.messages_sent));
    put("publish/messages/received", n(stats_.publish_received));
    put("publish/messages/sent", n(stats_.publish_sent));
    put("publish/messages/dropped", n(stats_.publish_dropped));
    put("bytes/received", n(stats_.bytes_received));
    put("bytes/sent", n(stats_.bytes_sent));
    put("load/bytes/received", n(stats_.bytes_received));
    put("load/bytes/sent", n(stats_.bytes_sent));
    put("subscriptions/count", std::to_string(router_.size()));
    put("retained messages/count", std::to_string(retained_.size()));
}

mqtt::ReasonCode to_reason_code(const boost::system::error_code& ec, bool for_filter) {
    if (auto rc = mqtt::as_reason_code(ec)) return *rc;
    if (ec.category() == topic::topic_category())
        return for_filter ? mqtt::ReasonCode::topic_filter_invalid : mqtt::ReasonCode::topic_name_invalid;
    return mqtt::ReasonCode::unspecified_error;
}

}  // namespace harperrt::daemon::broker
