#include "daemon/broker/records.hpp"

#include "common/util/log.hpp"

#include <charconv>

namespace harperrt::daemon::broker {

namespace {
constexpr auto storage_format = encoding::Format::msgpack;
}

std::vector<store::TableSpec> table_specs(const config::Config& config) {
    std::vector<store::TableSpec> specs;
    for (const auto& [name, t] : config.tables) specs.push_back({name, t.key_type, t.primary_key, t.indexes});
    return specs;
}

Records::Records(const config::Config& config, store::Store& store) : config_(config), store_(store) {
    for (const auto& [name, t] : config.tables) {
        if (auto ok = tables_.add({name, t.key_type}); !ok)
            log::error("table {}: {}", name, ok.error().message());  // config validation refuses these first
    }
}

Result<std::optional<RecordKey>> Records::key_of(std::string_view topic) const {
    if (tables_.empty()) return std::optional<RecordKey>{};
    return topic::to_record_key(topic, tables_);
}

Result<encoding::Value> Records::make_record(const RecordKey& key, std::string_view payload,
                                             encoding::Format format) const {
    auto value = encoding::decode_record(payload, format);
    if (!value) return value;
    const auto& table = config_.tables.at(key.table);
    encoding::Value id;
    if (table.key_type == KeyType::integer) {
        std::int64_t n = 0;
        std::from_chars(key.id.data(), key.id.data() + key.id.size(), n);  // canonical by to_record_key
        id = encoding::Value(n);
    } else {
        id = encoding::Value(key.id);
    }
    value->as_map().set(table.primary_key, std::move(id));
    return value;
}

std::string Records::encode_for_store(const encoding::Value& record) const {
    return encoding::encode(record, storage_format);
}

std::vector<store::IndexValue> Records::index_values(const RecordKey& key, const encoding::Value& record) const {
    std::vector<store::IndexValue> out;
    const auto& table = config_.tables.at(key.table);
    out.reserve(table.indexes.size());
    for (const auto& attribute : table.indexes) {
        const auto* v = record.is_map() ? record.as_map().find(attribute) : nullptr;
        if (v == nullptr) out.emplace_back(std::monostate{});
        else if (v->is_int64()) out.emplace_back(v->as_int64());
        else if (v->is_uint64()) out.emplace_back(static_cast<double>(v->as_uint64()));
        else if (v->is_double()) out.emplace_back(v->as_double());
        else if (v->is_string()) out.emplace_back(v->as_string());
        else if (v->is_bool()) out.emplace_back(std::int64_t{v->as_bool() ? 1 : 0});
        else out.emplace_back(std::monostate{});
    }
    return out;
}

std::shared_ptr<Message> Records::message_of(store::Record stored) const {
    auto msg = std::make_shared<Message>();
    msg->topic = topic::to_topic(stored.key);
    msg->payload = std::move(stored.data);
    msg->declared_format = storage_format;
    msg->qos = mqtt::QoS::exactly_once;
    msg->retain = true;
    msg->record = RecordInfo{std::move(stored.key), stored.version, false, false, nullptr};
    return msg;
}

std::shared_ptr<const encoding::Value> Records::decode_stored(std::string_view data) const {
    auto value = encoding::decode(data, storage_format);
    if (!value) {
        log::error("a stored record is unreadable: {}", value.error().message());
        return std::make_shared<const encoding::Value>();
    }
    return std::make_shared<const encoding::Value>(std::move(*value));
}

const std::string& Records::primary_key(const std::string& table) const {
    return config_.tables.at(table).primary_key;
}

const std::vector<std::string>& Records::indexes(const std::string& table) const {
    return config_.tables.at(table).indexes;
}

std::shared_ptr<Message> Records::message_of(const RecordKey& key, std::shared_ptr<const encoding::Value> value,
                               std::uint64_t version) const {
    auto msg = std::make_shared<Message>();
    msg->topic = topic::to_topic(key);
    msg->qos = mqtt::QoS::exactly_once;
    msg->retain = true;
    msg->value = std::move(value);
    msg->record = RecordInfo{key, version, false, false, nullptr};
    return msg;
}

std::shared_ptr<Message> Records::delete_message(const RecordKey& key, std::uint64_t version) const {
    auto msg = std::make_shared<Message>();
    msg->topic = topic::to_topic(key);
    msg->qos = mqtt::QoS::exactly_once;
    msg->retain = true;
    msg->value = std::make_shared<const encoding::Value>();
    msg->record = RecordInfo{key, version, true, false, nullptr};
    return msg;
}

}  // namespace harperrt::daemon::broker
