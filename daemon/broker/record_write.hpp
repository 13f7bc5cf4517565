// Writing one record through the store and publishing the write to MQTT subscribers in
// commit order: what a retained PUBLISH to Table/ID does (handle_publish.cpp), shared with
// the REST view (daemon/http/). The publication happens from the store's completion, so
// subscribers see writes of a key in version order.
#pragma once

#include "daemon/broker/broker.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>

namespace harperrt::daemon::broker {

// What the deliveries of a write carry besides the record: the publisher's client id (for
// No Local; empty for REST), the forwarded v5 properties and the QoS of the live copies.
struct WriteOrigin {
    std::string client_id;
    mqtt::Properties properties;  // content type and payload format are dropped
    mqtt::QoS qos = mqtt::QoS::at_least_once;
};

// Puts `value` (already made by Records::make_record) at `key`, publishes it when
// committed, and completes on the caller's executor with the stored record (errors:
// store::Errc, SQLite).
boost::asio::awaitable<Result<store::Record>> async_put_record(Broker& broker, RecordKey key,
                                                               std::shared_ptr<const encoding::Value> value,
                                                               std::shared_ptr<const WriteOrigin> origin);

// Deletes the record at `key`; if it existed, publishes the delete (`null`, v5 user
// property event=delete). Completes with whether it existed.
boost::asio::awaitable<Result<store::Removed>> async_remove_record(Broker& broker, RecordKey key,
                                                                   std::shared_ptr<const WriteOrigin> origin);

}  // namespace harperrt::daemon::broker
