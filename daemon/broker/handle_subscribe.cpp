// SUBSCRIBE (v5 §3.8, 3.1.1 §3.8): validate each filter, add it to the session and the
// router, answer SUBACK, then send the snapshot the subscription asks for (snapshot.cpp).
// A filter `Table/?query` on a declared table is a query subscription (DESIGN.md §5,
// query.hpp): granted at most QoS 1, refused with 0x8F and a reason string naming the
// error's position when the query does not parse, 0x9E when shared.
//
// UNSUBSCRIBE (v5 §3.10): removes each filter from the session and the router.
#include "daemon/broker/broker.hpp"

#include "daemon/session/connection.hpp"
#include "daemon/session/session.hpp"

#include "common/encoding/content_type.hpp"
#include "common/topic/record_topic.hpp"
#include "common/topic/topic.hpp"
#include "common/util/log.hpp"


namespace harperrt::daemon::broker {

namespace {

// The format named by a v5 `accept` user property: a media type, an Accept-style list, or
// a format name ("cbor").
std::optional<encoding::Format> parse_accept(std::string_view value) {
    if (auto f = encoding::format_from_name(value)) return f;
    if (auto f = encoding::format_from_content_type(value)) return f;
    return encoding::choose_from_accept(value);
}

std::optional<std::string> identity_user(const session::ProtocolState& st) {
    return st.username ? std::optional<std::string>(*st.username) : std::nullopt;
}

// Authorization of a subscription (daemon/auth/acl.hpp): read on every table whose
// records the filter can match, and the topic rules when it can match plain topics.
bool may_subscribe(Broker& broker, const session::ProtocolState& st, const std::string& filter) {
    const auth::Identity who{identity_user(st), st.client_id().str()};
    const auto& authorizer = broker.authorizer();
    const auto scope = topic::scope(filter, broker.records().tables());
    for (const auto& table : scope.tables)
        if (!authorizer.can_table(who, table.table, auth::TableAction::read)) return false;
    if (scope.plain_topics || scope.tables.empty())
        return authorizer.can_topic(who, filter, auth::TopicAction::subscribe);
    return true;
}

// `$share/GROUP/Table/?query`: queries are per subscriber, never shared.
bool is_shared_query(std::string_view filter, const topic::Tables& tables) {
    constexpr std::string_view prefix = "$share/";
    if (!filter.starts_with(prefix)) return false;
    const auto slash = filter.find('/', prefix.size());
    return slash != std::string_view::npos && query_filter(filter.substr(slash + 1), tables).has_value();
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

    const auth::Identity who{identity_user(st), st.client_id().str()};
    auto refuse = [&](mqtt::ReasonCode code, const std::string& filter, std::string_view why) {
        ack.reason_codes.push_back(code);  // 3.1.1: every failure is 0x80
        if (!problems.empty()) problems += "; ";
        problems += filter + ": " + std::string(why);
    };
    // Taken over (so closing): the subscriptions would belong to no one; dropped with it.
    const auto session = broker.session_for(conn);
    if (!session) return;
    const auto& tables = broker.records().tables();
    for (auto& sub : s.subscriptions) {
        // A query subscription (DESIGN.md §5): `Table/?query` on a declared table. Its
        // query text is not a topic filter ('+' and '#' are plain characters there).
        if (auto qf = query_filter(sub.filter, tables)) {
            auto live = make_live_query(sub.filter, *qf, broker.records());
            if (!live.query) {
                refuse(mqtt::ReasonCode::topic_filter_invalid, sub.filter, live.error);
                continue;
            }
            if (!broker.authorizer().can_table(who, qf->table, auth::TableAction::read)) {
                refuse(mqtt::ReasonCode::not_authorized, sub.filter, "not authorized");
                continue;
            }
            auto options = sub.options;
            options.qos = std::min(options.qos, mqtt::QoS::at_least_once);  // limited QoS (DESIGN.md §5)
            const bool is_new = session->add_subscription(sub.filter, {options, sub_id, accept});
            broker.router().subscribe(topic::Filter{{}, sub.filter},
                                      Subscriber{session, st.client_id().str(), options, sub_id, accept, {}, live.query});
            ack.reason_codes.push_back(static_cast<mqtt::ReasonCode>(options.qos));
            const auto rh = options.retain_handling;
            if (rh == mqtt::RetainHandling::send_on_subscribe ||
                (rh == mqtt::RetainHandling::send_if_new_subscription && is_new))
                snapshot.push_back({sub.filter, options.qos, sub_id, accept, std::move(live.query)});
            continue;
        }
        if (is_shared_query(sub.filter, tables)) {
            refuse(mqtt::ReasonCode::shared_subscriptions_not_supported, sub.filter, "a query subscription cannot be shared");
            continue;
        }
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
            Stats::add(broker.stats().denied_subscribe);
            if (!problems.empty()) problems += "; ";
            problems += sub.filter + ": not authorized";
            continue;
        }
        auto options = sub.options;
        options.qos = std::min(options.qos, mqtt::QoS::exactly_once);
        const bool is_new = session->add_subscription(sub.filter, {options, sub_id, accept});
        broker.router().subscribe(*filter, Subscriber{session, st.client_id().str(), options, sub_id, accept, {}, {}});
        ack.reason_codes.push_back(static_cast<mqtt::ReasonCode>(options.qos));
        // Retained messages are not sent to shared subscriptions (v5 §4.8.2).
        const auto rh = options.retain_handling;
        if (!filter->is_shared() && (rh == mqtt::RetainHandling::send_on_subscribe ||
                                     (rh == mqtt::RetainHandling::send_if_new_subscription && is_new)))
            snapshot.push_back({filter->filter, options.qos, sub_id, accept, {}});
    }
    if (v5 && !problems.empty() && st.request_problem_information) ack.properties.reason_string = problems;
    conn->send(ack);
    broker.persist_session(session);

    start_snapshot(broker, conn, std::move(snapshot));
}

void handle_unsubscribe(Broker& broker, const std::shared_ptr<session::Connection>& conn, mqtt::Unsubscribe& u) {
    auto& st = conn->state();
    mqtt::Unsuback ack{u.packet_id, {}, {}};
    // Without a session there is no subscription to remove (Broker::session_for).
    const auto remove = [&](const std::string& f) { return st.session && st.session->remove_subscription(f); };
    for (const auto& f : u.filters) {
        if (query_filter(f, broker.records().tables())) {
            const bool existed = remove(f);
            broker.router().unsubscribe(topic::Filter{{}, f}, st.client_id().str());
            ack.reason_codes.push_back(existed ? mqtt::ReasonCode::success : mqtt::ReasonCode::no_subscription_existed);
            continue;
        }
        auto filter = topic::parse_subscription(f);
        if (!filter || !topic::validate_topic_filter(filter->filter)) {
            ack.reason_codes.push_back(mqtt::ReasonCode::topic_filter_invalid);
            continue;
        }
        const bool existed = remove(f);
        broker.router().unsubscribe(*filter, st.client_id().str());
        ack.reason_codes.push_back(existed ? mqtt::ReasonCode::success : mqtt::ReasonCode::no_subscription_existed);
    }
    conn->send(ack);
    if (st.session) broker.persist_session(st.session);
}

}  // namespace harperrt::daemon::broker
