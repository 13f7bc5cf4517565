// SUBSCRIBE (v5 §3.8, 3.1.1 §3.8): validate each filter, add it to the session and the
// router, answer SUBACK, then send the snapshot the subscription asks for: the stored
// records it matches (DESIGN.md §2) and the retained messages of ordinary topics, each with
// RETAIN=1. The subscription is registered before anything is read, so no update in
// between is lost; the session drops a snapshot copy that a live update overtook.
//
// The snapshot streams from a coroutine of its own, in batches, waiting for the client to
// drain before reading more (so 100k records are never in memory at once, and never
// dropped: the session queue limit does not apply to them). Until it is written, the
// connection handles only acks of its PUBLISHes, so the answer to any later packet (a
// PINGREQ, the next SUBSCRIBE) comes after the whole snapshot.
#include "daemon/broker/broker.hpp"

#include "daemon/session/connection.hpp"
#include "daemon/session/session.hpp"

#include "common/encoding/content_type.hpp"
#include "common/topic/record_topic.hpp"
#include "common/topic/topic.hpp"
#include "common/util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <limits>

namespace harperrt::daemon::broker {

namespace {

constexpr std::size_t batch_size = 256;              // records read from the store at once
constexpr std::size_t drain_bytes = 256 * 1024;      // output buffered before the next batch
constexpr std::size_t drain_queued = batch_size;     // QoS 1/2 messages queued before the next batch

struct SnapshotRequest {
    std::string filter;
    mqtt::QoS qos;
    std::uint32_t subscription_id;
    std::optional<encoding::Format> accept;
};

// The format named by a v5 `accept` user property: a media type, an Accept-style list, or
// a format name ("cbor").
std::optional<encoding::Format> parse_accept(std::string_view value) {
    if (auto f = encoding::format_from_name(value)) return f;
    if (auto f = encoding::format_from_content_type(value)) return f;
    return encoding::choose_from_accept(value);
}

// Authorization of a subscription (daemon/auth/acl.hpp): read on every table whose
// records the filter can match, and the topic rules when it can match plain topics.
bool may_subscribe(Broker& broker, const session::ProtocolState& st, const std::string& filter) {
    const auth::Identity who{st.username, st.client_id};
    const auto& authorizer = broker.authorizer();
    const auto scope = topic::scope(filter, broker.records().tables());
    for (const auto& table : scope.tables)
        if (!authorizer.can_table(who, table.table, auth::TableAction::read)) return false;
    if (scope.plain_topics || scope.tables.empty())
        return authorizer.can_topic(who, filter, auth::TopicAction::subscribe);
    return true;
}

boost::asio::awaitable<void> send_snapshot(Broker& broker, std::shared_ptr<session::Connection> conn,
                                           std::vector<SnapshotRequest> requests) {
    auto session = conn->state().session;
    session->begin_snapshot();
    const auto& records = broker.records();
    auto deliver = [&](const MessagePtr& msg, const SnapshotRequest& r) {
        std::vector<std::uint32_t> ids;
        if (r.subscription_id != 0) ids.push_back(r.subscription_id);
        // Retained messages sent because of a subscription have RETAIN=1 (v5 [MQTT-3.3.1-9],
        // 3.1.1 [MQTT-3.3.1-8]); a stored record goes at the granted QoS (DESIGN.md §3).
        session->deliver(msg, std::min(msg->qos, r.qos), std::move(ids), true, r.accept, true);
    };
    for (const auto& r : requests) {
        const auto scope = topic::scope(r.filter, records.tables());
        for (const auto& table : scope.tables) {
            if (table.kind == topic::TableScope::Kind::one) {
                auto found = records.store().get(table.key());
                if (!found) log::error("snapshot of {}: {}", r.filter, found.error().message());
                else if (*found) deliver(records.message_of(**found), r);
                continue;
            }
            std::optional<std::string> after;
            for (;;) {
                co_await conn->async_wait_drained(drain_bytes, drain_queued);
                if (conn->closing()) break;
                auto batch = records.store().scan(table.table, after, batch_size);
                if (!batch) {
                    log::error("snapshot of {}: {}", r.filter, batch.error().message());
                    break;
                }
                for (const auto& rec : *batch)
                    if (topic::matches(r.filter, topic::to_topic(rec.key))) deliver(records.message_of(rec), r);
                if (batch->size() < batch_size) break;
                after = batch->back().key.id;
            }
        }
        if (scope.plain_topics || records.tables().empty())
            for (const auto& msg : broker.retained().match(r.filter)) deliver(msg, r);
    }
    // "Written to the connection" (DESIGN.md §2): QoS 1/2 copies still queued behind the
    // in-flight window go out before any later packet is answered.
    co_await conn->async_wait_drained(std::numeric_limits<std::size_t>::max(), 0);
    session->end_snapshot();
    conn->snapshot_finished();
}

}  // namespace

void handle_subscribe(Broker& broker, const std::shared_ptr<session::Connection>& conn, mqtt::Subscribe& s) {
    auto& st = conn->state();
    const bool v5 = mqtt::is_v5(st.version);
    const std::uint32_t sub_id =
        s.properties.subscription_identifiers.empty() ? 0 : s.properties.subscription_identifiers.front();
    std::optional<encoding::Format> accept;
    for (const auto& [k, v] : s.properties.user_properties)
        if (k == "accept") accept = parse_accept(v);
    mqtt::Suback ack{s.packet_id, {}, {}};
    std::vector<SnapshotRequest> snapshot;
    std::string problems;

    for (auto& sub : s.subscriptions) {
        auto filter = topic::parse_subscription(sub.filter);
        Result<void> valid = filter ? topic::validate_topic_filter(filter->filter) : Result<void>(error(filter.error()));
        if (!valid) {
            ack.reason_codes.push_back(to_reason_code(valid.error(), true));
            if (!problems.empty()) problems += "; ";
            problems += sub.filter + ": " + valid.error().message();
            continue;
        }
        if (filter->is_shared() && sub.options.no_local) {
            // v5 [MQTT-3.8.3-4]: No Local on a shared subscription is a protocol error.
            conn->close(mqtt::ReasonCode::protocol_error, "No Local on a shared subscription");
            return;
        }
        if (!may_subscribe(broker, st, filter->filter)) {
            ack.reason_codes.push_back(mqtt::ReasonCode::not_authorized);  // 3.1.1: 0x80 failure
            if (!problems.empty()) problems += "; ";
            problems += sub.filter + ": not authorized";
            continue;
        }
        auto options = sub.options;
        options.qos = std::min(options.qos, mqtt::QoS::exactly_once);
        const bool is_new = st.session->add_subscription(sub.filter, {options, sub_id, accept});
        broker.router().subscribe(*filter, Subscriber{st.session, st.client_id, options, sub_id, accept, {}});
        ack.reason_codes.push_back(static_cast<mqtt::ReasonCode>(options.qos));
        // Retained messages are not sent to shared subscriptions (v5 §4.8.2).
        const auto rh = options.retain_handling;
        if (!filter->is_shared() && (rh == mqtt::RetainHandling::send_on_subscribe ||
                                     (rh == mqtt::RetainHandling::send_if_new_subscription && is_new)))
            snapshot.push_back({filter->filter, options.qos, sub_id, accept});
    }
    if (v5 && !problems.empty() && st.request_problem_information) ack.properties.reason_string = problems;
    conn->send(ack);
    broker.persist_session(st.session);

    if (!snapshot.empty()) {
        conn->snapshot_started();
        boost::asio::co_spawn(conn->stream().get_executor(), send_snapshot(broker, conn, std::move(snapshot)),
                              boost::asio::detached);
    }
}

void handle_unsubscribe(Broker& broker, const std::shared_ptr<session::Connection>& conn, mqtt::Unsubscribe& u) {
    auto& st = conn->state();
    mqtt::Unsuback ack{u.packet_id, {}, {}};
    for (const auto& f : u.filters) {
        auto filter = topic::parse_subscription(f);
        if (!filter || !topic::validate_topic_filter(filter->filter)) {
            ack.reason_codes.push_back(mqtt::ReasonCode::topic_filter_invalid);
            continue;
        }
        const bool existed = st.session->remove_subscription(f);
        broker.router().unsubscribe(*filter, st.client_id);
        ack.reason_codes.push_back(existed ? mqtt::ReasonCode::success : mqtt::ReasonCode::no_subscription_existed);
    }
    conn->send(ack);
    broker.persist_session(st.session);
}

}  // namespace harperrt::daemon::broker
