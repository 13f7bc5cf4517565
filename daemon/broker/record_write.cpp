#include "daemon/broker/record_write.hpp"

#include "daemon/broker/async.hpp"

namespace harperrt::daemon::broker {

namespace {

void stamp(Message& msg, const WriteOrigin& origin) {
    msg.qos = origin.qos;
    msg.origin = origin.client_id;
    msg.properties = origin.properties;
    msg.properties.content_type.reset();
    msg.properties.payload_format_indicator.reset();
}

// What the write replaced, decoded, for the query subscriptions of its table.
void attach_previous(const Records& records, Message& msg, const store::Previous& previous) {
    if (!previous.known || !msg.record) return;
    msg.record->previous_known = true;
    if (previous.data) msg.record->previous = records.decode_stored(*previous.data);
}

}  // namespace

boost::asio::awaitable<Result<store::Record>> async_put_record(Broker& broker, RecordKey key,
                                                               std::shared_ptr<const encoding::Value> value,
                                                               std::shared_ptr<const WriteOrigin> origin) {
    const auto& records = broker.records();
    auto data = records.encode_for_store(*value);
    auto index = records.index_values(key, *value);
    auto start = [&broker, key, value, origin, data = std::move(data),
                  index = std::move(index)](store::Completion<store::Record> resume) mutable {
        broker.records().store().put(key, std::move(data), std::move(index),
                                     [&broker, key, value, origin, resume](Result<store::Record> r) {
                                         if (r) {
                                             auto msg = broker.records().message_of(key, value, r->version);
                                             stamp(*msg, *origin);
                                             attach_previous(broker.records(), *msg, r->previous);
                                             broker.publish(msg);
                                         }
                                         resume(std::move(r));
                                     });
    };
    // Not a coroutine: the operation's own awaitable is returned, so a put has no frame
    // of this function (it held copies of everything `start` holds).
    return async_complete<store::Record>(std::move(start));
}

boost::asio::awaitable<Result<store::Removed>> async_remove_record(Broker& broker, RecordKey key,
                                                                   std::shared_ptr<const WriteOrigin> origin) {
    auto start = [&broker, key, origin](store::Completion<store::Removed> resume) {
        broker.records().store().remove(key, [&broker, key, origin, resume](Result<store::Removed> r) {
            if (r && r->existed) {
                auto msg = broker.records().delete_message(key, r->version);
                stamp(*msg, *origin);
                attach_previous(broker.records(), *msg, r->previous);
                broker.publish(msg);
            }
            resume(std::move(r));
        });
    };
    return async_complete<store::Removed>(std::move(start));
}

}  // namespace harperrt::daemon::broker
