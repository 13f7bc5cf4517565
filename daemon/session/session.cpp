#include "daemon/session/session.hpp"

#include "daemon/session/connection.hpp"

#include "common/encoding/content_type.hpp"

#include <algorithm>
#include <limits>

namespace harperrt::daemon::session {

Session::Session(util::SharedString client_id, std::uint32_t max_queued)
    : max_queued_(max_queued), client_id_(std::move(client_id)) {}

void Session::deliver(const broker::MessagePtr& msg, mqtt::QoS qos, std::vector<std::uint32_t> subscription_ids,
                      bool retain, std::optional<encoding::Format> accept, bool from_snapshot) {
    std::scoped_lock lock(mu_);
    if (msg->record && snapshots_open_ > 0) {
        if (from_snapshot) {
            // Looked up, not inserted: one entry per snapshot record would hold ~90 bytes
            // per record until the snapshot ends (90 MB for a million).
            if (live_versions_) {
                const auto seen = live_versions_->find(msg->topic);
                if (seen != live_versions_->end() && seen->second >= msg->record->version) return;  // a live update overtook it
            }
        } else {
            if (!live_versions_) live_versions_ = std::make_unique<std::map<std::string, std::uint64_t>>();
            auto& seen = (*live_versions_)[msg->topic];
            seen = std::max(seen, msg->record->version);
        }
    }
    Outbound o{msg, qos, retain, std::move(subscription_ids), accept};
    if (qos == mqtt::QoS::at_most_once) {
        if (conn_) send_locked(o, false);  // offline: QoS 0 is not queued (v5 §4.1)
        return;
    }
    if (conn_ && queue_.empty() && inflight_count_ < inflight_limit_) {
        o.state = qos == mqtt::QoS::at_least_once ? State::awaiting_ack : State::awaiting_rec;
        number_locked(o);
        if (send_locked(o, false)) add_inflight_locked(std::move(o));
        return;
    }
    if (queue_.size() >= max_queued_ && !from_snapshot) {  // snapshots are flow-controlled instead
        if (dropped_unreported_ < std::numeric_limits<std::uint32_t>::max()) ++dropped_unreported_;
        return;
    }
    queue_.push_back(std::move(o));
}

PersistedSession Session::save() const {
    std::scoped_lock lock(mu_);
    PersistedSession out;
    out.client_id = client_id_.str();
    out.expiry_interval = expiry_interval.load();
    out.disconnected_at = disconnected_at.load();
    if (subscriptions_) out.subscriptions = *subscriptions_;
    auto convert = [](const Outbound& o) {
        return PersistedOutbound{o.msg, o.qos, o.retain, o.subscription_ids, o.accept,
                                 static_cast<std::uint8_t>(o.state), o.packet_id};
    };
    for (const auto& o : inflight_)
        if (o.state != State::done) out.inflight.push_back(convert(o));
    for (const auto& o : queue_) out.queue.push_back(convert(o));
    if (inbound_qos2_) out.inbound_qos2.assign(inbound_qos2_->begin(), inbound_qos2_->end());
    return out;
}

std::shared_ptr<Session> Session::restore(PersistedSession state, std::uint32_t max_queued) {
    auto s = std::make_shared<Session>(util::SharedString(state.client_id), max_queued);
    s->expiry_interval.store(state.expiry_interval);
    s->disconnected_at.store(state.disconnected_at);
    std::scoped_lock lock(s->mu_);
    if (!state.subscriptions.empty())
        s->subscriptions_ = std::make_unique<std::map<std::string, SubscriptionInfo>>(std::move(state.subscriptions));
    auto convert = [](PersistedOutbound& p) {
        return Outbound{std::move(p.msg), p.qos, p.retain, std::move(p.subscription_ids), p.accept,
                        static_cast<State>(p.state), p.packet_id};
    };
    for (auto& p : state.inflight) {
        if (!p.msg && p.state != static_cast<std::uint8_t>(State::awaiting_comp)) continue;
        if (p.state > static_cast<std::uint8_t>(State::awaiting_comp)) continue;
        auto o = convert(p);
        // The first seq from next_seq_ on that numbers this packet id (design note 5).
        const std::uint64_t from = s->next_seq_ % 65535;
        const std::uint64_t want = (static_cast<std::uint64_t>(p.packet_id) + 65535 - 1) % 65535;
        o.seq = s->next_seq_ + (want + 65535 - from) % 65535;
        s->add_inflight_locked(std::move(o));
    }
    for (auto& p : state.queue)
        if (p.msg) s->queue_.push_back(convert(p));
    if (!state.inbound_qos2.empty())
        s->inbound_qos2_ = std::make_unique<std::set<std::uint16_t>>(state.inbound_qos2.begin(), state.inbound_qos2.end());
    return s;
}

void Session::begin_snapshot() {
    std::scoped_lock lock(mu_);
    ++snapshots_open_;
}

void Session::end_snapshot() {
    std::scoped_lock lock(mu_);
    if (--snapshots_open_ == 0) live_versions_.reset();
}

void Session::attach(const std::shared_ptr<Connection>& conn, std::uint16_t inflight_limit) {
    std::scoped_lock lock(mu_);
    conn_ = conn;
    disconnected_at.store(0);
    inflight_limit_ = std::max<std::uint16_t>(inflight_limit, 1);
    generation.fetch_add(1);
    // Resend what was in flight, in order (v5 [MQTT-4.4.0-1]).
    for (std::size_t i = 0; i < inflight_.size(); ++i) {
        auto& o = inflight_[i];
        if (o.state == State::done) continue;
        if (o.state == State::awaiting_comp) {
            conn_->send(mqtt::Pubrel{o.packet_id, mqtt::ReasonCode::success, {}});
        } else if (!send_locked(o, true)) {
            o.state = State::done;  // too large for this client now: as if delivered
            o.msg.reset();
            --inflight_count_;
        }
    }
    while (!inflight_.empty() && inflight_.front().state == State::done) inflight_.pop_front();
    send_next_locked();
}

void Session::detach(const Connection* conn) {
    std::scoped_lock lock(mu_);
    if (conn_.get() == conn) conn_.reset();
    notify_room_locked();
}

bool Session::attached() const {
    std::scoped_lock lock(mu_);
    return conn_ != nullptr;
}

bool Session::on_puback(std::uint16_t packet_id) {
    std::scoped_lock lock(mu_);
    auto* o = find_inflight_locked(packet_id);
    if (o == nullptr || o->state != State::awaiting_ack) return false;
    finish_inflight_locked(*o);
    send_next_locked();
    return true;
}

bool Session::on_pubrec(std::uint16_t packet_id, bool failed) {
    std::scoped_lock lock(mu_);
    auto* o = find_inflight_locked(packet_id);
    if (o == nullptr || (o->state != State::awaiting_rec && o->state != State::awaiting_comp)) return false;
    if (failed) {  // v5 §4.3.3: a PUBREC with a failure code ends the exchange
        finish_inflight_locked(*o);
        send_next_locked();
        return true;
    }
    o->state = State::awaiting_comp;
    o->msg.reset();  // the message is delivered; only the packet id remains
    return true;
}

bool Session::on_pubcomp(std::uint16_t packet_id) {
    std::scoped_lock lock(mu_);
    auto* o = find_inflight_locked(packet_id);
    if (o == nullptr || o->state != State::awaiting_comp) return false;
    finish_inflight_locked(*o);
    send_next_locked();
    return true;
}

bool Session::inbound_qos2_begin(std::uint16_t packet_id) {
    std::scoped_lock lock(mu_);
    if (!inbound_qos2_) inbound_qos2_ = std::make_unique<std::set<std::uint16_t>>();
    return inbound_qos2_->insert(packet_id).second;
}

bool Session::inbound_qos2_release(std::uint16_t packet_id) {
    std::scoped_lock lock(mu_);
    return inbound_qos2_ && inbound_qos2_->erase(packet_id) > 0;
}

std::size_t Session::inbound_qos2_count() const {
    std::scoped_lock lock(mu_);
    return inbound_qos2_ ? inbound_qos2_->size() : 0;
}

bool Session::add_subscription(const std::string& filter, SubscriptionInfo info) {
    std::scoped_lock lock(mu_);
    if (!subscriptions_) subscriptions_ = std::make_unique<std::map<std::string, SubscriptionInfo>>();
    auto [it, inserted] = subscriptions_->insert_or_assign(filter, info);
    return inserted;
}

bool Session::remove_subscription(const std::string& filter) {
    std::scoped_lock lock(mu_);
    if (!subscriptions_ || subscriptions_->erase(filter) == 0) return false;
    if (subscriptions_->empty()) subscriptions_.reset();
    return true;
}

std::map<std::string, SubscriptionInfo> Session::subscriptions() const {
    std::scoped_lock lock(mu_);
    if (!subscriptions_) return {};
    return *subscriptions_;
}

void Session::clear() {
    std::scoped_lock lock(mu_);
    subscriptions_.reset();
    queue_.clear();
    inflight_.clear();
    inflight_count_ = 0;
    inbound_qos2_.reset();
    notify_room_locked();
}

std::size_t Session::queued() const {
    std::scoped_lock lock(mu_);
    return queue_.size();
}

namespace {
// Publishers are held back a little before the queue is full: the check and the delivery
// are not atomic, so publishers on other I/O threads may pass the check at the same moment
// and must still find a place (no drop for a subscriber that is reading).
std::size_t congestion_threshold(std::size_t max_queued) {
    return max_queued - std::min<std::size_t>(16, max_queued / 8);
}
}  // namespace

bool Session::congested() const {
    std::scoped_lock lock(mu_);
    return conn_ != nullptr && queue_.size() >= congestion_threshold(max_queued_);
}

bool Session::wait_for_room(const std::shared_ptr<Connection>& publisher) {
    std::scoped_lock lock(mu_);
    if (conn_ == nullptr || queue_.size() < congestion_threshold(max_queued_)) return false;
    if (!room_waiters_) room_waiters_ = std::make_unique<std::vector<std::weak_ptr<Connection>>>();
    const auto same = [&](const std::weak_ptr<Connection>& w) {
        return !w.owner_before(publisher) && !publisher.owner_before(w);
    };
    if (std::none_of(room_waiters_->begin(), room_waiters_->end(), same)) room_waiters_->push_back(publisher);
    return true;
}

void Session::notify_room_locked() {
    // Hysteresis: wake the publishers once a quarter of the queue is free, not at every free
    // place (each PUBACK would wake all of them for one message).
    const std::size_t max = max_queued_;
    const std::size_t low_water = max > 0 ? max - std::max<std::size_t>(1, max / 4) : 0;
    if (!room_waiters_ || room_waiters_->empty() || (conn_ != nullptr && queue_.size() > low_water)) return;
    for (const auto& waiter : *room_waiters_)
        if (auto publisher = waiter.lock()) publisher->room_available();
    room_waiters_->clear();
}

std::size_t Session::inflight() const {
    std::scoped_lock lock(mu_);
    return inflight_count_;
}

void Session::send_next_locked() {
    if (!conn_) return;
    while (!queue_.empty() && inflight_count_ < inflight_limit_) {
        Outbound o = std::move(queue_.front());
        queue_.pop_front();
        if (o.msg->expires_at && o.msg->expired(broker::Clock::now())) continue;  // v5 [MQTT-3.3.2-5]
        o.state = o.qos == mqtt::QoS::at_least_once ? State::awaiting_ack : State::awaiting_rec;
        number_locked(o);
        if (send_locked(o, false)) add_inflight_locked(std::move(o));
    }
    notify_room_locked();
}

bool Session::send_locked(Outbound& o, bool dup) {
    // One PUBLISH per thread, reused: assigning into strings and vectors that already have
    // the capacity allocates nothing per delivery. (Not reentrant: send_publish only
    // encodes it.)
    thread_local mqtt::Publish p;
    p.topic.assign(o.msg->topic);
    p.qos = o.qos;
    p.retain = o.retain;
    p.dup = dup;
    p.packet_id = o.packet_id;
    // The subscriber's format (DESIGN.md §4): the subscription's, else the connection's.
    const auto delivery = o.msg->payload_for(o.accept.value_or(conn_->preferred_format()));
    p.payload.assign(delivery.payload);
    if (!mqtt::is_v5(conn_->version())) {
        // MQTT 3.1.1 has no properties: none to fill in (the encoder writes none), and no
        // way to report drops to this client.
        dropped_unreported_ = 0;
        return conn_->send_publish(p);
    }
    const auto now = broker::Clock::now();
    p.properties = o.msg->properties;
    if (delivery.format) {
        p.properties.content_type = std::string(encoding::content_type(*delivery.format));
        if (*delivery.format == encoding::Format::json) p.properties.payload_format_indicator = 1;
        else p.properties.payload_format_indicator.reset();
    }
    if (o.msg->record && o.msg->record->deleted) p.properties.user_properties.emplace_back("event", "delete");
    p.properties.message_expiry_interval = o.msg->remaining_expiry(now);
    p.properties.subscription_identifiers = o.subscription_ids;
    if (dropped_unreported_ > 0) {
        // A v5 client sees that messages were dropped for it (DESIGN.md §6).
        p.properties.user_properties.emplace_back("harperrt-dropped", std::to_string(dropped_unreported_));
        dropped_unreported_ = 0;
    }
    return conn_->send_publish(p);
}

namespace {
std::uint16_t packet_id_of(std::uint64_t seq) { return static_cast<std::uint16_t>(seq % 65535 + 1); }
}  // namespace

void Session::number_locked(Outbound& o) {
    // Packet identifiers 1..65535 not in use by another in-flight message (v5
    // [MQTT-2.2.1-3]). Design note 5: one can be in use only when the oldest entry is
    // 65535 or more seqs behind; then it is searched for, and skipped.
    std::uint64_t seq = next_seq_;
    if (!inflight_.empty()) {
        const std::uint64_t oldest = inflight_.front().seq;
        const auto in_use = [this](std::uint16_t id) {
            for (std::size_t i = 0; i < inflight_.size(); ++i)
                if (inflight_[i].state != State::done && inflight_[i].packet_id == id) return true;
            return false;
        };
        // At most 65534 are in use (inflight_limit_ <= 65535, and one more is being added).
        for (int tries = 0; tries < 65535 && seq - oldest >= 65535 && in_use(packet_id_of(seq)); ++tries) ++seq;
    }
    o.seq = seq;
    o.packet_id = packet_id_of(seq);
}

void Session::add_inflight_locked(Outbound&& o) {
    next_seq_ = o.seq + 1;
    inflight_.push_back(std::move(o));
    ++inflight_count_;
}

Session::Outbound* Session::find_inflight_locked(std::uint16_t packet_id) {
    if (inflight_.empty() || packet_id == 0) return nullptr;
    // Where it is when no seq was skipped since the front's (design note 5) ...
    const std::uint64_t from = inflight_.front().seq % 65535;
    const std::uint64_t offset = (static_cast<std::uint64_t>(packet_id) - 1 + 65535 - from) % 65535;
    if (offset < inflight_.size()) {
        auto& o = inflight_[offset];
        if (o.packet_id == packet_id && o.state != State::done) return &o;
    }
    // ... else anywhere.
    for (std::size_t i = 0; i < inflight_.size(); ++i) {
        auto& o = inflight_[i];
        if (o.packet_id == packet_id && o.state != State::done) return &o;
    }
    return nullptr;
}

void Session::finish_inflight_locked(Outbound& o) {
    o.state = State::done;
    o.msg.reset();
    o.subscription_ids = {};
    --inflight_count_;
    while (!inflight_.empty() && inflight_.front().state == State::done) inflight_.pop_front();
    // A client that never acknowledges one message but goes on acknowledging the others
    // would make done entries pile up behind it: they are dropped once they outnumber the
    // live ones (the seqs then have gaps, and lookups search).
    if (inflight_.size() > 2 * inflight_count_ + 64) {
        util::LazyDeque<Outbound> live;
        for (std::size_t i = 0; i < inflight_.size(); ++i)
            if (inflight_[i].state != State::done) live.push_back(std::move(inflight_[i]));
        inflight_ = std::move(live);
    }
}

}  // namespace harperrt::daemon::session
