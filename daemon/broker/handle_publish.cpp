// PUBLISH from a client (v5 §3.3, 3.1.1 §3.3): topic alias resolution, topic checks, QoS 2
// duplicate suppression, routing, and the acknowledgement with an honest reason code.
#include "daemon/broker/async.hpp"
#include "daemon/broker/broker.hpp"
#include "daemon/broker/record_write.hpp"

#include "daemon/session/connection.hpp"
#include "daemon/session/session.hpp"

#include "common/config/config.hpp"
#include "common/encoding/content_type.hpp"
#include "common/encoding/detect.hpp"
#include "common/topic/topic.hpp"
#include "common/topic/utf8.hpp"
#include "common/util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <optional>

namespace harperrt::daemon::broker {

namespace {

constexpr auto backpressure_recheck = std::chrono::milliseconds(250);  // for the publisher's own close
constexpr auto backpressure_limit = std::chrono::seconds(30);  // then the queue limit applies

// Where an acknowledgement goes: after every pending put of the connection, or (a
// pipelined put's own) into the place the put reserved (connection.hpp, design note 4).
using Ticket = std::optional<std::uint64_t>;

// Sends the QoS 1/2 acknowledgement for `p` with `rc` (v5; before v5 the reason is lost).
void acknowledge(const std::shared_ptr<session::Connection>& conn, const mqtt::Publish& p, mqtt::ReasonCode rc,
                 std::string reason = {}, Ticket ticket = std::nullopt) {
    std::optional<mqtt::Packet> ack;
    if (p.qos != mqtt::QoS::at_most_once) {
        mqtt::Properties props;
        if (!reason.empty() && conn->state().request_problem_information) props.reason_string = std::move(reason);
        if (p.qos == mqtt::QoS::at_least_once) ack.emplace(mqtt::Puback{p.packet_id, rc, std::move(props)});
        else ack.emplace(mqtt::Pubrec{p.packet_id, rc, std::move(props)});
    }
    if (ticket) conn->complete_ordered(*ticket, std::move(ack));
    else if (ack) conn->send_ordered(*ack);
}

// A refused publish: v5 gets the reason code; 3.1.1 has none, so the server acks, logs,
// counts, and with mqtt.v3RejectAction: disconnect closes the connection (DESIGN.md §3).
void refuse(Broker& broker, const std::shared_ptr<session::Connection>& conn, const mqtt::Publish& p,
            mqtt::ReasonCode rc, std::string reason, Ticket ticket = std::nullopt) {
    const auto& st = conn->state();
    if (mqtt::is_v5(st.version)) {
        acknowledge(conn, p, rc, std::move(reason), ticket);
        return;
    }
    Stats::add(broker.stats().v3_rejections);
    log::warn("client {}: PUBLISH to {} refused ({}: {})", st.client_id(), p.topic, mqtt::name(rc), reason);
    if (broker.config().mqtt.v3_reject_action == config::V3RejectAction::disconnect) {
        if (ticket) conn->complete_ordered(*ticket, std::nullopt);
        conn->close();
        return;
    }
    acknowledge(conn, p, mqtt::ReasonCode::success, {}, ticket);
}

// Moves what a delivery forwards from the publisher (v5 §3.3.2.3) from `props` to `to`.
void forward_properties(mqtt::Properties& props, mqtt::Properties& to) {
    to.payload_format_indicator = props.payload_format_indicator;
    to.content_type = std::move(props.content_type);
    to.response_topic = std::move(props.response_topic);
    to.correlation_data = std::move(props.correlation_data);
    to.user_properties = std::move(props.user_properties);
}

// The inbound format of a PUBLISH (DESIGN.md §4): its v5 content type, else the
// connection's default; nullopt when neither says (then JSON is detected, or the payload
// is opaque). An unknown content type is opaque too: `declared` tells it was given.
std::optional<encoding::Format> inbound_format(const mqtt::Publish& p, const session::ProtocolState& st, bool& declared) {
    declared = p.properties.content_type.has_value();
    if (declared) return encoding::format_from_content_type(*p.properties.content_type);
    return st.inbound_format;
}

// The record a retained PUBLISH to `key` writes (DESIGN.md §4 for its format), or null
// when it is refused (then answered here, into the place `ticket` reserved).
std::shared_ptr<const encoding::Value> record_to_write(Broker& broker, const std::shared_ptr<session::Connection>& conn,
                                                       const mqtt::Publish& p, const RecordKey& key,
                                                       std::uint64_t ticket) {
    bool declared = false;
    auto format = inbound_format(p, conn->state(), declared);
    // Rule 3: no format given, so JSON if it parses. The payload is parsed once: the
    // record is made from it, and only a failure asks whether it was JSON at all.
    const bool detect = !format && !declared;
    if (detect) format = encoding::Format::json;
    if (!format) {
        refuse(broker, conn, p, mqtt::ReasonCode::payload_format_invalid,
               fmt::format("content type {} is not JSON, CBOR or MessagePack", p.properties.content_type.value_or("")),
               ticket);
        return nullptr;
    }
    auto record = broker.records().make_record(key, p.payload, *format);
    if (!record && detect && !encoding::looks_like_json(p.payload)) {
        refuse(broker, conn, p, mqtt::ReasonCode::payload_format_invalid,
               "a record must be a map in JSON, CBOR or MessagePack (no content type, and not JSON)", ticket);
        return nullptr;
    }
    if (!record) {
        refuse(broker, conn, p, mqtt::ReasonCode::payload_format_invalid,
               fmt::format("payload is not a record in {}: {}", encoding::name(*format), record.error().message()),
               ticket);
        return nullptr;
    }
    return std::make_shared<const encoding::Value>(std::move(*record));
}

// What the delivery of a write forwards from its PUBLISH (whose properties it takes).
std::shared_ptr<const WriteOrigin> origin_of(mqtt::Publish& p, const session::ProtocolState& st) {
    auto origin = std::make_shared<WriteOrigin>();
    origin->client_id = st.client_id().view();
    forward_properties(p.properties, origin->properties);
    origin->qos = p.qos;
    return origin;
}

// A retained PUBLISH to Table/ID: the record is written (group commit, durable under
// storage.sync), routed to subscribers in commit order from the store's completion, and
// only then acknowledged (DESIGN.md §3), into the place `ticket` reserved. Runs as a
// coroutine of its own on the connection's strand, so the reader goes on meanwhile; puts
// reach the store in the order they were spawned (posts to a strand run in order).
// Everything that does not wait is in plain functions, and `publish` is behind a pointer:
// every local of a coroutine lives in its frame, and a frame over ~1 KB misses Asio's
// frame recycling.
boost::asio::awaitable<void> write_record(Broker& broker, std::shared_ptr<session::Connection> conn,
                                          std::unique_ptr<mqtt::Publish> publish, RecordKey key, std::uint64_t ticket) {
    auto& p = *publish;
    if (p.payload.empty()) {  // an empty retained publish deletes the record
        auto origin = origin_of(p, conn->state());
        auto removed = co_await async_remove_record(broker, key, std::move(origin));
        if (!removed) refuse(broker, conn, p, to_reason_code(removed.error()), "store: " + removed.error().message(), ticket);
        else acknowledge(conn, p, mqtt::ReasonCode::success, {}, ticket);
        co_return;
    }
    auto value = record_to_write(broker, conn, p, key, ticket);
    if (!value) co_return;
    auto origin = origin_of(p, conn->state());
    auto put = co_await async_put_record(broker, key, std::move(value), std::move(origin));
    if (!put) refuse(broker, conn, p, to_reason_code(put.error()), "store: " + put.error().message(), ticket);
    else acknowledge(conn, p, mqtt::ReasonCode::success, {}, ticket);
}

// What check_publish() decided about a PUBLISH.
enum class Verdict : std::uint8_t {
    answered,      // refused, closed or acknowledged already: nothing more to do
    write_record,  // a retained PUBLISH to Table/ID: a write_record() of its own
    route,         // a message for the router
};

// The publisher as the authorizer sees it. One Identity per thread, reused: copying a
// client id longer than 15 bytes into a new one would allocate for every PUBLISH. Valid
// until the next call on this thread.
const auth::Identity& identity_of(const session::ProtocolState& st) {
    thread_local auth::Identity who;
    if (st.username) who.user = *st.username;  // assignment keeps the capacity
    else who.user.reset();
    who.client_id = st.client_id().view();  // assignment keeps the capacity
    return who;
}

// The checks of a PUBLISH that never wait: topic alias, topic name, payload format, the
// record key, authorization, QoS 2 duplicates and Receive Maximum. A refusal is answered
// here. Sets `record_key` when the topic names a record.
Verdict check_publish(Broker& broker, const std::shared_ptr<session::Connection>& conn, mqtt::Publish& p,
                      std::optional<RecordKey>& record_key) {
    auto& st = conn->state();
    const auto& limits = broker.config().mqtt.limits;

    // Topic alias (v5 §3.3.2.3.4).
    if (auto alias = p.properties.topic_alias) {
        if (*alias == 0 || *alias > limits.max_topic_alias) {  // v5 [MQTT-3.3.2-8..9]
            conn->close(mqtt::ReasonCode::topic_alias_invalid, "topic alias out of range");
            return Verdict::answered;
        }
        if (p.topic.empty()) {
            auto it = st.inbound_aliases.find(*alias);
            if (it == st.inbound_aliases.end()) {
                conn->close(mqtt::ReasonCode::protocol_error, "unknown topic alias");
                return Verdict::answered;
            }
            p.topic = it->second;
        } else {
            st.inbound_aliases[*alias] = p.topic;
        }
        p.properties.topic_alias.reset();
    }
    if (auto ok = topic::validate_topic_name(p.topic); !ok) {
        conn->close(to_reason_code(ok.error()), "invalid topic name: " + ok.error().message());
        return Verdict::answered;
    }

    if (p.topic.starts_with("$SYS")) {
        refuse(broker, conn, p, mqtt::ReasonCode::not_authorized, "$SYS topics are the server's");
        return Verdict::answered;
    }
    if (p.properties.payload_format_indicator.value_or(0) == 1 && !topic::is_well_formed_utf8(p.payload)) {
        // v5 §3.3.2.3.2: the receiver may refuse a payload that is not the UTF-8 it claims.
        refuse(broker, conn, p, mqtt::ReasonCode::payload_format_invalid, "payload is not valid UTF-8");
        return Verdict::answered;
    }

    // Table/ID names a record (DESIGN.md §1).
    if (auto key = broker.records().key_of(p.topic); !key) {
        // A bare `Table` is only wrong for a retained publish; an ID that cannot be a key
        // (an int key that does not parse, a bad %-escape) is an invalid topic for any.
        if (p.retain || key.error() != topic::Errc::no_id) {
            refuse(broker, conn, p, mqtt::ReasonCode::topic_name_invalid,
                   p.topic + ": " + key.error().message() + (p.retain ? " (a retained publish needs Table/ID)" : ""));
            return Verdict::answered;
        }
    } else {
        record_key = std::move(*key);
    }
    if (!record_key && broker.config().mqtt.strict_topics &&
        broker.records().tables().find(p.topic.substr(0, p.topic.find('/'))) == nullptr) {
        refuse(broker, conn, p, mqtt::ReasonCode::topic_name_invalid, p.topic + " is not a declared table (mqtt.strictTopics)");
        return Verdict::answered;
    }

    // Authorization (DESIGN.md §7, the mapping in daemon/auth/acl.hpp).
    {
        const auto& who = identity_of(st);
        const auto& authorizer = broker.authorizer();
        bool allowed = false;
        if (record_key) {
            const auto action = !p.retain         ? auth::TableAction::update
                                : p.payload.empty() ? auth::TableAction::remove
                                                    : auth::TableAction::insert_or_update;
            allowed = authorizer.can_table(who, record_key->table, action);
        } else {
            allowed = authorizer.can_topic(who, p.topic, auth::TopicAction::publish);
        }
        if (!allowed) {
            Stats::add(broker.stats().denied_publish);
            refuse(broker, conn, p, mqtt::ReasonCode::not_authorized, "not authorized to publish to " + p.topic);
            return Verdict::answered;
        }
    }

    if (p.qos == mqtt::QoS::exactly_once) {
        const auto owned = broker.session_for(conn);
        if (!owned) return Verdict::answered;  // taken over, so closing: dropped with it
        auto& session = *owned;
        // Exactly once: a resend before PUBREL is acknowledged again, not delivered again.
        if (!session.inbound_qos2_begin(p.packet_id)) {
            acknowledge(conn, p, mqtt::ReasonCode::success);
            return Verdict::answered;
        }
        // Receive Maximum: unacknowledged inbound QoS 2 messages (v5 [MQTT-3.3.4-7..8]).
        if (session.inbound_qos2_count() > limits.server_receive_maximum) {
            session.inbound_qos2_release(p.packet_id);
            conn->close(mqtt::ReasonCode::receive_maximum_exceeded);
            return Verdict::answered;
        }
    }
    return p.retain && record_key ? Verdict::write_record : Verdict::route;
}

// Hands a retained PUBLISH to Table/ID (moved from `p`) to write_record(), which answers
// it into the place reserved here (connection.hpp, design note 4).
void start_record_write(Broker& broker, const std::shared_ptr<session::Connection>& conn, mqtt::Publish& p,
                        RecordKey key) {
    const auto ticket = conn->begin_ordered();
    auto on_error = [conn, ticket](std::exception_ptr e) {
        if (!e) return;
        conn->complete_ordered(ticket, std::nullopt);
        conn->close(mqtt::ReasonCode::unspecified_error);
    };
    boost::asio::co_spawn(conn->stream().get_executor(),
                          write_record(broker, conn, std::make_unique<mqtt::Publish>(std::move(p)), std::move(key), ticket),
                          std::move(on_error));
}

// The Message of a plain PUBLISH, shared by every subscriber. `p` gives up its topic,
// payload and properties and keeps its QoS and packet id, which the acknowledgement needs.
// The strings are swapped, not moved: `p` gets the recycled Message's empty ones, with
// their capacity, for a decoder that reuses it.
MessagePtr message_of(mqtt::Publish& p, const session::ProtocolState& st) {
    auto msg = make_message();
    bool declared = false;
    msg->declared_format = inbound_format(p, st, declared);
    msg->topic.swap(p.topic);
    msg->payload.swap(p.payload);
    msg->qos = p.qos;
    msg->retain = p.retain;
    if (p.properties.message_expiry_interval)
        msg->expires_at = Clock::now() + std::chrono::seconds(*p.properties.message_expiry_interval);
    msg->origin = st.client_id().view();  // assignment keeps the recycled capacity
    forward_properties(p.properties, msg->properties);
    return msg;
}

// The target a QoS 1/2 message would wait for: a connected subscriber with a full queue.
std::vector<Target>::const_iterator first_congested(const std::vector<Target>& targets) {
    return std::find_if(targets.begin(), targets.end(), [](const Target& t) {
        return t.qos != mqtt::QoS::at_most_once && t.session->congested();
    });
}

// Back-pressure (DESIGN.md §6): a QoS 1/2 message whose connected subscriber has a full
// queue waits, so this publisher's socket is read no faster than its messages can be
// queued; nothing is dropped for a subscriber that is reading. Offline sessions do not
// hold publishers back: their queue limit applies. The congested session wakes this
// publisher when its queue has room (Session::wait_for_room, Connection::room_available);
// the deadline returned here is only the give-up limit and a recheck of our own close.
// Nothing is allocated per wait but Asio's own operation: the timer is the connection's,
// the session keeps the publisher in a list it reuses.
std::optional<Clock::time_point> room_wait(const std::shared_ptr<session::Connection>& conn,
                                           const std::vector<Target>& targets, Clock::time_point give_up) {
    for (;;) {
        const auto full = first_congested(targets);
        const auto now = Clock::now();
        if (full == targets.end() || conn->closing() || now >= give_up) return std::nullopt;
        if (full->session->wait_for_room(conn)) return std::min(give_up, now + backpressure_recheck);
    }
}

// The end of a plain PUBLISH: kept if retained, delivered, acknowledged.
void finish_publish(Broker& broker, const std::shared_ptr<session::Connection>& conn, const mqtt::Publish& p,
                    const MessagePtr& msg, TargetList targets) {
    if (msg->retain) broker.retained_store(msg);
    const auto delivered = Router::deliver(msg, std::move(targets));
    const auto rc = delivered == 0 && !p.retain ? mqtt::ReasonCode::no_matching_subscribers : mqtt::ReasonCode::success;
    acknowledge(conn, p, mqtt::is_v5(conn->state().version) ? rc : mqtt::ReasonCode::success);
}

}  // namespace

// Only what waits is here; everything else is in the plain functions above. Every local
// of a coroutine lives in its frame (gcc keeps temporaries there too), and a frame over
// ~1 KB misses Asio's frame recycling: then every PUBLISH would allocate one.
boost::asio::awaitable<void> handle_publish(Broker& broker, const std::shared_ptr<session::Connection>& conn,
                                            mqtt::Publish& p) {
    Stats::add(broker.stats().publish_received);
    // A plain PUBLISH is routed now, so it waits for the connection's pending puts (a record
    // put is routed at its commit): per-topic order holds (connection.hpp, design note 4).
    if (!p.retain && conn->ordered_pending() > 0) co_await conn->async_wait_ordered(0);

    std::optional<RecordKey> record_key;
    const auto verdict = check_publish(broker, conn, p, record_key);
    if (verdict == Verdict::answered) co_return;
    if (verdict == Verdict::write_record) {
        // Pipelined (connection.hpp, design note 4): at most serverReceiveMaximum puts of
        // one connection are pending at once.
        const std::size_t window = std::max<std::size_t>(broker.config().mqtt.limits.server_receive_maximum, 1);
        if (conn->ordered_pending() >= window) co_await conn->async_wait_ordered(window - 1);
        if (conn->closing()) co_return;
        start_record_write(broker, conn, p, std::move(*record_key));
        co_return;
    }

    const auto msg = message_of(p, conn->state());
    auto targets = broker.router().match(msg);
    if (msg->qos != mqtt::QoS::at_most_once && first_congested(*targets) != targets->end()) {
        const auto give_up = Clock::now() + backpressure_limit;
        while (const auto until = room_wait(conn, *targets, give_up)) co_await conn->async_wait_room(*until);
    }
    finish_publish(broker, conn, p, msg, std::move(targets));
}

}  // namespace harperrt::daemon::broker
