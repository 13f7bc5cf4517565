#include "daemon/broker/persist.hpp"

#include "common/encoding/errc.hpp"

#include <chrono>

namespace harperrt::daemon::broker {

namespace {

using encoding::Map;
using encoding::Value;
constexpr auto format = encoding::Format::msgpack;

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Value bytes(std::string_view s) {
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    return Value(encoding::Bytes(p, p + s.size()));
}

std::string text_of(const Value* v) {
    if (v == nullptr) return {};
    if (v->is_string()) return v->as_string();
    if (v->is_bytes()) {
        const auto& b = v->as_bytes();
        return std::string(reinterpret_cast<const char*>(b.data()), b.size());
    }
    return {};
}

std::int64_t int_of(const Value* v, std::int64_t fallback = 0) {
    return v != nullptr && v->is_int64() ? v->as_int64() : fallback;
}

Value message_value(const Message& m) {
    Map map;
    map.set("topic", m.topic);
    map.set("payload", bytes(m.payload));
    map.set("qos", static_cast<std::int64_t>(m.qos));
    map.set("retain", m.retain);
    map.set("origin", m.origin);
    const auto& p = m.properties;
    if (p.payload_format_indicator) map.set("pfi", static_cast<std::int64_t>(*p.payload_format_indicator));
    if (p.content_type) map.set("contentType", *p.content_type);
    if (p.response_topic) map.set("responseTopic", *p.response_topic);
    if (p.correlation_data) map.set("correlation", bytes(*p.correlation_data));
    if (!p.user_properties.empty()) {
        encoding::Array up;
        for (const auto& [k, v] : p.user_properties) up.push_back(encoding::Array{Value(k), Value(v)});
        map.set("userProperties", std::move(up));
    }
    if (auto left = m.remaining_expiry(Clock::now())) map.set("expiresAt", unix_now() + *left);
    if (m.declared_format) map.set("format", static_cast<std::int64_t>(*m.declared_format));
    if (m.value) map.set("value", *m.value);
    if (m.record) {
        map.set("table", m.record->key.table);
        map.set("id", m.record->key.id);
        map.set("version", static_cast<std::int64_t>(m.record->version));
        map.set("deleted", m.record->deleted);
    }
    return Value(std::move(map));
}

Result<std::shared_ptr<Message>> message_from(const Value& v) {
    if (!v.is_map()) return error(encoding::Errc::not_a_map);
    const auto& map = v.as_map();
    auto m = std::make_shared<Message>();
    m->topic = text_of(map.find("topic"));
    m->payload = text_of(map.find("payload"));
    m->qos = static_cast<mqtt::QoS>(std::clamp<std::int64_t>(int_of(map.find("qos")), 0, 2));
    m->retain = map.find("retain") != nullptr && map.find("retain")->is_bool() && map.find("retain")->as_bool();
    m->origin = text_of(map.find("origin"));
    auto& p = m->properties;
    if (auto* f = map.find("pfi")) p.payload_format_indicator = static_cast<std::uint8_t>(int_of(f));
    if (auto* f = map.find("contentType")) p.content_type = text_of(f);
    if (auto* f = map.find("responseTopic")) p.response_topic = text_of(f);
    if (auto* f = map.find("correlation")) p.correlation_data = text_of(f);
    if (auto* f = map.find("userProperties"); f != nullptr && f->is_array())
        for (const auto& pair : f->as_array())
            if (pair.is_array() && pair.as_array().size() == 2)
                p.user_properties.emplace_back(text_of(&pair.as_array()[0]), text_of(&pair.as_array()[1]));
    if (auto* f = map.find("expiresAt")) {
        const auto left = int_of(f) - unix_now();
        m->expires_at = Clock::now() + std::chrono::seconds(std::max<std::int64_t>(left, 0));
    }
    if (auto* f = map.find("format")) m->declared_format = static_cast<encoding::Format>(std::clamp<std::int64_t>(int_of(f), 0, 2));
    if (auto* f = map.find("value")) m->value = std::make_shared<const Value>(*f);
    if (map.find("table") != nullptr)
        m->record = RecordInfo{{text_of(map.find("table")), text_of(map.find("id"))},
                               static_cast<std::uint64_t>(int_of(map.find("version"))),
                               map.find("deleted") != nullptr && map.find("deleted")->as_bool(), false, nullptr};
    if (m->topic.empty()) return error(encoding::Errc::syntax_error);
    return m;
}

Value outbound_value(const session::PersistedOutbound& o) {
    Map map;
    if (o.msg) map.set("msg", message_value(*o.msg));
    map.set("qos", static_cast<std::int64_t>(o.qos));
    map.set("retain", o.retain);
    encoding::Array ids;
    for (auto id : o.subscription_ids) ids.emplace_back(static_cast<std::int64_t>(id));
    map.set("ids", std::move(ids));
    if (o.accept) map.set("accept", static_cast<std::int64_t>(*o.accept));
    map.set("state", static_cast<std::int64_t>(o.state));
    map.set("packetId", static_cast<std::int64_t>(o.packet_id));
    return Value(std::move(map));
}

std::optional<session::PersistedOutbound> outbound_from(const Value& v) {
    if (!v.is_map()) return std::nullopt;
    const auto& map = v.as_map();
    session::PersistedOutbound o;
    if (auto* m = map.find("msg")) {
        auto msg = message_from(*m);
        if (!msg) return std::nullopt;
        o.msg = std::move(*msg);
    }
    o.qos = static_cast<mqtt::QoS>(std::clamp<std::int64_t>(int_of(map.find("qos")), 0, 2));
    o.retain = map.find("retain") != nullptr && map.find("retain")->is_bool() && map.find("retain")->as_bool();
    if (auto* ids = map.find("ids"); ids != nullptr && ids->is_array())
        for (const auto& id : ids->as_array()) o.subscription_ids.push_back(static_cast<std::uint32_t>(int_of(&id)));
    if (auto* a = map.find("accept")) o.accept = static_cast<encoding::Format>(std::clamp<std::int64_t>(int_of(a), 0, 2));
    o.state = static_cast<std::uint8_t>(std::clamp<std::int64_t>(int_of(map.find("state")), 0, 3));
    o.packet_id = static_cast<std::uint16_t>(int_of(map.find("packetId")));
    return o;
}

}  // namespace

std::string encode_message(const Message& msg) { return encoding::encode(message_value(msg), format); }

Result<std::shared_ptr<Message>> decode_message(std::string_view data) {
    auto v = encoding::decode(data, format);
    if (!v) return error(v.error());
    return message_from(*v);
}

std::string encode_session(const session::PersistedSession& s) {
    Map map;
    map.set("clientId", s.client_id);
    map.set("expiry", static_cast<std::int64_t>(s.expiry_interval));
    map.set("disconnectedAt", s.disconnected_at);
    Map subs;
    for (const auto& [filter, info] : s.subscriptions) {
        Map sub;
        sub.set("qos", static_cast<std::int64_t>(info.options.qos));
        sub.set("noLocal", info.options.no_local);
        sub.set("rap", info.options.retain_as_published);
        sub.set("rh", static_cast<std::int64_t>(info.options.retain_handling));
        sub.set("id", static_cast<std::int64_t>(info.subscription_id));
        if (info.accept) sub.set("accept", static_cast<std::int64_t>(*info.accept));
        subs.set(filter, Value(std::move(sub)));
    }
    map.set("subscriptions", Value(std::move(subs)));
    encoding::Array inflight, queue, qos2;
    for (const auto& o : s.inflight) inflight.push_back(outbound_value(o));
    for (const auto& o : s.queue) queue.push_back(outbound_value(o));
    for (auto id : s.inbound_qos2) qos2.emplace_back(static_cast<std::int64_t>(id));
    map.set("inflight", std::move(inflight));
    map.set("queue", std::move(queue));
    map.set("inboundQos2", std::move(qos2));
    return encoding::encode(Value(std::move(map)), format);
}

Result<session::PersistedSession> decode_session(std::string_view data) {
    auto v = encoding::decode(data, format);
    if (!v) return error(v.error());
    if (!v->is_map()) return error(encoding::Errc::not_a_map);
    const auto& map = v->as_map();
    session::PersistedSession s;
    s.client_id = text_of(map.find("clientId"));
    s.expiry_interval = static_cast<std::uint32_t>(int_of(map.find("expiry")));
    s.disconnected_at = int_of(map.find("disconnectedAt"));
    if (auto* subs = map.find("subscriptions"); subs != nullptr && subs->is_map()) {
        for (const auto& member : subs->as_map()) {
            if (!member.value.is_map()) continue;
            const auto& sub = member.value.as_map();
            session::SubscriptionInfo info;
            info.options.qos = static_cast<mqtt::QoS>(std::clamp<std::int64_t>(int_of(sub.find("qos")), 0, 2));
            info.options.no_local = sub.find("noLocal") != nullptr && sub.find("noLocal")->as_bool();
            info.options.retain_as_published = sub.find("rap") != nullptr && sub.find("rap")->as_bool();
            info.options.retain_handling =
                static_cast<mqtt::RetainHandling>(std::clamp<std::int64_t>(int_of(sub.find("rh")), 0, 2));
            info.subscription_id = static_cast<std::uint32_t>(int_of(sub.find("id")));
            if (auto* a = sub.find("accept")) info.accept = static_cast<encoding::Format>(std::clamp<std::int64_t>(int_of(a), 0, 2));
            s.subscriptions.emplace(member.key, info);
        }
    }
    auto outbounds = [&](const char* key, std::vector<session::PersistedOutbound>& out) {
        if (auto* list = map.find(key); list != nullptr && list->is_array())
            for (const auto& item : list->as_array())
                if (auto o = outbound_from(item)) out.push_back(std::move(*o));
    };
    outbounds("inflight", s.inflight);
    outbounds("queue", s.queue);
    if (auto* ids = map.find("inboundQos2"); ids != nullptr && ids->is_array())
        for (const auto& id : ids->as_array()) s.inbound_qos2.push_back(static_cast<std::uint16_t>(int_of(&id)));
    if (s.client_id.empty()) return error(encoding::Errc::syntax_error);
    return s;
}

}  // namespace harperrt::daemon::broker
