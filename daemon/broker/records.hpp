// Records: the tables declared in the config and how `Table/ID` topics become records
// (DESIGN.md §1–§3). Builds a record from a retained publish (a map in its format, the
// primary key forced to the topic's ID), encodes it for the store (MessagePack, lossless
// for the common data model), extracts index values, and turns stored records back into
// messages. Knows encodings, topics and the store; nothing of sessions or packets.
//
// Thread-safety: const after construction; every member may be called from any thread.
#pragma once

#include "daemon/broker/message.hpp"
#include "daemon/store/store.hpp"

#include "common/config/config.hpp"
#include "common/encoding/value.hpp"
#include "common/topic/record_topic.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace harperrt::daemon::broker {

class Records {
public:
    Records(const config::Config& config, store::Store& store);

    const topic::Tables& tables() const noexcept { return tables_; }
    store::Store& store() const noexcept { return store_; }

    // The record a topic name names; nullopt for an ordinary topic. Errors (topic::Errc):
    // no_id for a bare `Table`, bad_int_key, bad_percent_encoding.
    Result<std::optional<RecordKey>> key_of(std::string_view topic) const;

    // The record a retained publish writes: `payload` decoded in `format`, which must be a
    // map (encoding::Errc::not_a_map otherwise); its primary key attribute is set to the
    // ID (an integer for `keyType: int`), whatever the payload said (DESIGN.md §1).
    Result<encoding::Value> make_record(const RecordKey& key, std::string_view payload, encoding::Format format) const;

    // The store's form of a record and its index column values (declared order).
    std::string encode_for_store(const encoding::Value& record) const;
    std::vector<store::IndexValue> index_values(const RecordKey& key, const encoding::Value& record) const;

    // A stored record (or a decoded one) as a message on its canonical topic, RETAIN=1.
    // Its QoS is 2 so that delivery goes at the subscription's granted QoS (DESIGN.md §3).
    // From the store, the message carries the stored MessagePack bytes as its payload
    // (no Value: a snapshot transcodes them straight to each subscriber's format).
    std::shared_ptr<Message> message_of(store::Record stored) const;
    std::shared_ptr<Message> message_of(const RecordKey& key, std::shared_ptr<const encoding::Value> value,
                                        std::uint64_t version) const;
    // A delete: `null` in every format, with v5 user property event=delete on delivery.
    std::shared_ptr<Message> delete_message(const RecordKey& key, std::uint64_t version) const;
    // A stored blob as a Value (null, logged, when it does not decode).
    std::shared_ptr<const encoding::Value> decode_stored(std::string_view data) const;

    // The primary key attribute and the indexed attributes of a declared table.
    const std::string& primary_key(const std::string& table) const;
    const std::vector<std::string>& indexes(const std::string& table) const;

private:
    const config::Config& config_;
    store::Store& store_;
    topic::Tables tables_;
};

// The store's table specs for the config's tables.
std::vector<store::TableSpec> table_specs(const config::Config& config);

}  // namespace harperrt::daemon::broker
