// How the CLI prints a received message: the JSON line of `sub --output json` and
// `get -v`, and mosquitto_sub-style -F format strings. Pure functions, unit-tested.
#pragma once

#include "common/encoding/codec.hpp"
#include "common/mqtt/packet.hpp"
#include "common/util/text.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace harperrt::client {

// `text` as a JSON string literal (quotes included; control characters escaped).
using util::json_string;

// The format its v5 Content Type names, if any.
std::optional<encoding::Format> wire_format(const mqtt::Publish& publish);

// One message as a JSON object line (no newline): {"topic":..,"retain":..,"qos":..,"payload":..}
// where payload is encoding::to_display_json of the bytes (format from the v5 content type),
// so the line always parses whatever the wire format.
std::string message_json(const mqtt::Publish& publish);

// -F: `format` with each directive replaced (mosquitto_sub's letters):
//   %t topic          %p payload bytes     %x / %X payload in lower / upper case hex
//   %q QoS            %r retain (0 or 1)   %l payload length in bytes
//   %m packet id (0 for QoS 0)
//   %C content type   %R response topic    %D correlation data   %E message expiry interval
//   %F payload format indicator            %P user properties as name:value, space separated
//   (v5 properties: empty when absent)
//   %j message_json()  %J the same object with "time" (as %I), "length" and "content_type"
//   %I `received` in ISO 8601 local time with offset (2026-11-25T14:38:39+0000)
//   %U `received` as Unix time with nanoseconds (1795617519.123456789)
//   @X the strftime(3) conversion %X of `received` in local time (@H:@M:@S), @@ an at sign
//   %% a percent sign; escapes \n \t \r \v \a \e \0 \\.
// Directives check_format() rejects are copied as they are.
std::string format_message(std::string_view format, const mqtt::Publish& publish,
                           std::chrono::system_clock::time_point received);

// What is wrong with a -F format ("unknown directive %Z"), or nullopt when it is fine.
std::optional<std::string> check_format(std::string_view format);

}  // namespace harperrt::client
