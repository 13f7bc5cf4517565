// CONNECT (v5 §3.1, 3.1.1 §3.1, 3.1 "MQIsdp"): validation, session open or takeover,
// CONNACK with the server's limits, then redelivery of the session's in-flight messages.
#include "daemon/broker/broker.hpp"

#include "daemon/auth/acl.hpp"

#include "daemon/session/connection.hpp"
#include "daemon/session/session.hpp"

#include "common/encoding/content_type.hpp"
#include "common/topic/topic.hpp"
#include "common/topic/utf8.hpp"
#include "common/util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace harperrt::daemon::broker {

namespace {

void refuse(const std::shared_ptr<session::Connection>& conn, mqtt::ReasonCode rc, std::string reason) {
    mqtt::Connack ack{false, rc, {}};
    if (mqtt::is_v5(conn->version()) && !reason.empty()) ack.properties.reason_string = reason;
    log::debug("refusing CONNECT from {}: {} ({})", conn->remote(), mqtt::name(rc), reason);
    conn->send(ack);
    conn->close();
}

boost::asio::awaitable<auth::Login> authenticate_off_strand(const auth::Authorizer* authorizer,
                                                            auth::Credentials credentials) {
    co_return authorizer->authenticate_cached(credentials);
}

}  // namespace

boost::asio::awaitable<void> handle_connect(Broker& broker, const std::shared_ptr<session::Connection>& conn,
                                            mqtt::Connect& c) {
    const auto& limits = broker.config().mqtt.limits;
    auto& st = conn->state();
    const auto version = c.version;
    const bool v5 = mqtt::is_v5(version);
    conn->set_peer_limits(version, v5 ? c.properties.maximum_packet_size.value_or(268435455u + 5u) : 268435455u + 5u,
                          v5 ? c.properties.topic_alias_maximum.value_or(0) : 0);
    st.version = version;

    mqtt::Connack ack;
    // Client identifier (v5 §3.1.3.1, 3.1.1 §3.1.3.1, 3.1 §3.1 "1 to 23 characters").
    std::string client_id = c.client_id;
    if (client_id.empty()) {
        if (version == mqtt::Version::v31) {
            refuse(conn, mqtt::ReasonCode::client_identifier_not_valid, "empty client identifier");
            co_return;
        }
        if (version == mqtt::Version::v311 && !c.clean_start) {  // 3.1.1 [MQTT-3.1.3-8]
            refuse(conn, mqtt::ReasonCode::client_identifier_not_valid, "empty client identifier needs a clean session");
            co_return;
        }
        client_id = broker.assign_client_id();
        if (v5) ack.properties.assigned_client_identifier = client_id;  // v5 [MQTT-3.2.2-16]
    } else if (version == mqtt::Version::v31 && client_id.size() > 23) {
        refuse(conn, mqtt::ReasonCode::client_identifier_not_valid, "MQTT 3.1 client identifiers are 1 to 23 characters");
        co_return;
    }
    if (v5 && c.properties.authentication_method) {
        // Enhanced authentication (v5 §4.12) is not offered.
        refuse(conn, mqtt::ReasonCode::bad_authentication_method, "enhanced authentication is not supported");
        co_return;
    }
    if (c.will) {
        if (auto ok = topic::validate_topic_name(c.will->topic); !ok) {
            refuse(conn, mqtt::ReasonCode::topic_name_invalid, "invalid will topic: " + ok.error().message());
            co_return;
        }
        if (c.will->properties.payload_format_indicator.value_or(0) == 1 &&
            !topic::is_well_formed_utf8(c.will->payload)) {  // v5 §3.1.3.2.3
            refuse(conn, mqtt::ReasonCode::payload_format_invalid, "will payload is not UTF-8");
            co_return;
        }
    }

    // Keep alive: a v5 client is told the server's value when it asks for more than
    // mqtt.limits.maxKeepalive or for none at all (v5 §3.2.2.3.14).
    auto keep_alive = std::chrono::seconds(c.keep_alive);
    if (v5 && (keep_alive > limits.max_keepalive || (keep_alive.count() == 0 && limits.max_keepalive.count() < 65535))) {
        keep_alive = limits.max_keepalive;
        ack.properties.server_keep_alive = static_cast<std::uint16_t>(keep_alive.count());
    }

    // Session expiry: v5 from the property (capped); 3.1.1 persistent sessions by config.
    std::uint32_t expiry = 0;
    if (v5) {
        expiry = c.properties.session_expiry_interval.value_or(0);
        const auto cap = static_cast<std::uint32_t>(std::min<std::int64_t>(limits.max_session_expiry.count(), 0xffffffff));
        if (expiry > cap) {
            expiry = cap;
            ack.properties.session_expiry_interval = expiry;
        }
    } else if (!c.clean_start) {
        expiry = static_cast<std::uint32_t>(std::min<std::int64_t>(limits.v3_session_expiry.count(), 0xffffffff));
    }

    // Authentication (DESIGN.md §7): before the session is opened, so a refused client
    // cannot take over an existing one.
    // A password costs a PBKDF2 run (~0.1 s): it runs on the auth pool, not on this strand,
    // so a flood of logins cannot stall every other client. A user name and password that
    // logged in less than a minute ago skip it (the credential cache; refusals are never
    // cached, SIGHUP empties it): CLI calls and fleets of devices sharing a login reconnect
    // without a KDF run each.
    auth::Credentials credentials{c.username, c.password, conn->stream().peer_common_name()};
    // HTTP Basic on a WebSocket upgrade (verified there, see daemon/http/http_server.hpp)
    // stands for a CONNECT that names no user of its own.
    if (const auto t = conn->stream().transport(); !credentials.username && !credentials.password &&
                                                   (t == net::Transport::ws || t == net::Transport::wss)) {
        if (auto basic = auth::parse_basic_authorization(conn->stream().upgrade_info().authorization)) {
            credentials.username = std::move(basic->username);
            credentials.password = std::move(basic->password);
        }
    }
    auth::Login login;
    if (auto hit = broker.authorizer().cached_login(credentials)) {
        login = std::move(*hit);  // verified in the last minute (auth/credential_cache.hpp)
    } else if (credentials.password) {
        auto task = authenticate_off_strand(&broker.authorizer(), std::move(credentials));
        login = co_await boost::asio::co_spawn(broker.auth_pool().get_executor(), std::move(task), boost::asio::use_awaitable);
        if (conn->closing()) co_return;
    } else {
        login = broker.authorizer().authenticate(credentials);
    }
    if (login.result != auth::LoginResult::ok) Stats::add(broker.stats().auth_failures_mqtt);
    if (login.result == auth::LoginResult::not_authorized) {
        refuse(conn, mqtt::ReasonCode::not_authorized, "authentication required");
        co_return;
    }
    if (login.result != auth::LoginResult::ok) {
        log::warn("client {} from {}: bad user name or password", client_id, conn->remote());
        refuse(conn, mqtt::ReasonCode::bad_user_name_or_password, "bad user name or password");
        co_return;
    }

    // A session now only when there is something to keep (broker.hpp, open_session): one to
    // resume, an expiry, or a will delay (whose timer checks the session's generation).
    st.id = util::SharedString(client_id);
    const bool need_session = !c.clean_start || expiry != 0 ||
                              (c.will && c.will->properties.will_delay_interval.value_or(0) != 0);
    auto [session, present] = broker.open_session(st.id, c.clean_start, need_session, conn);
    if (session) session->expiry_interval.store(expiry);

    st.connected = true;
    if (login.user) st.username = std::make_unique<const std::string>(std::move(*login.user));
    st.session = session;
    if (c.will) st.will = std::make_unique<mqtt::Will>(std::move(*c.will));
    st.keep_alive = keep_alive;
    st.session_expiry_interval = expiry;
    st.client_receive_maximum = v5 ? c.properties.receive_maximum.value_or(65535) : 65535;
    st.client_topic_alias_maximum = v5 ? c.properties.topic_alias_maximum.value_or(0) : 0;
    st.request_problem_information = !v5 || c.properties.request_problem_information.value_or(true);
    // Formats (DESIGN.md §4 rule 2), later ones win: mqtt.defaultFormat (deliveries only);
    // the user's configured `format` (both directions); a WebSocket upgrade's Content-Type
    // (inbound) and Accept (outbound) headers; CONNECT user properties `content-type`
    // (inbound) and `accept` (outbound).
    auto preferred = static_cast<encoding::Format>(broker.config().mqtt.default_format);
    if (login.format) {
        preferred = static_cast<encoding::Format>(*login.format);
        st.inbound_format = preferred;
    }
    const auto transport = conn->stream().transport();
    if (transport == net::Transport::ws || transport == net::Transport::wss) {
        const auto& upgrade = conn->stream().upgrade_info();
        if (!upgrade.content_type.empty())
            if (auto f = encoding::format_from_content_type(upgrade.content_type)) st.inbound_format = f;
        if (!upgrade.accept.empty())
            if (auto f = encoding::choose_from_accept(upgrade.accept)) preferred = *f;
    }
    for (const auto& [k, v] : c.properties.user_properties) {
        if (k == "content-type") st.inbound_format = encoding::format_from_content_type(v);
        else if (k == "accept") {
            if (auto f = encoding::format_from_name(v)) preferred = *f;
            else if (auto g = encoding::format_from_content_type(v)) preferred = *g;
            else if (auto h = encoding::choose_from_accept(v)) preferred = *h;
        }
    }
    conn->set_preferred_format(preferred);
    conn->rearm_keep_alive();

    ack.session_present = present && !c.clean_start;  // v5 [MQTT-3.2.2-2..3]
    ack.reason_code = mqtt::ReasonCode::success;
    if (v5) {
        ack.properties.receive_maximum = limits.server_receive_maximum;
        if (limits.max_packet_size < 268435455u) ack.properties.maximum_packet_size = limits.max_packet_size;
        if (limits.max_topic_alias > 0) ack.properties.topic_alias_maximum = limits.max_topic_alias;
    }
    conn->send(ack);

    const auto connected = broker.stats().clients_connected.fetch_add(1) + 1;
    auto& max = broker.stats().clients_maximum;
    for (auto m = max.load(); connected > m && !max.compare_exchange_weak(m, connected);) {}
    log::debug("client {} connected from {} (MQTT {}, clean {}, keep alive {}s)", client_id, conn->remote(),
               mqtt::name(version), c.clean_start, keep_alive.count());

    if (!session) co_return;
    session->attach(conn, broker.inflight_limit(st));

    // Query subscriptions of a resumed session get a fresh snapshot instead of the changes
    // they missed (DESIGN.md §5; the router skips them while disconnected).
    if (ack.session_present) {
        std::vector<SnapshotRequest> queries;
        for (const auto& [filter, info] : session->subscriptions()) {
            if (info.options.retain_handling == mqtt::RetainHandling::do_not_send) continue;
            auto qf = query_filter(filter, broker.records().tables());
            if (!qf) continue;
            auto live = make_live_query(filter, *qf, broker.records());
            if (live.query) queries.push_back({filter, info.options.qos, info.subscription_id, info.accept, std::move(live.query)});
        }
        start_snapshot(broker, conn, std::move(queries));
    }
    co_return;
}

}  // namespace harperrt::daemon::broker
