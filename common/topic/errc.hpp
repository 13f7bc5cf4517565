// topic::Errc: why a topic name, topic filter, shared-subscription filter or record topic
// was refused. Its own error_code category (STYLE.md §5); the broker maps these values to
// MQTT reason codes in broker::to_reason_code, nothing in common/topic knows about them.
//
// Suggested mapping (the broker decides): a refused topic name is v5 0x90 (Topic Name
// invalid), a refused filter 0x8F (Topic Filter invalid) in SUBACK/UNSUBACK and 0x80 in
// v3.1.1 SUBACK; a malformed name inside a PUBLISH packet is a Malformed Packet (0x81).
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace harperrt::topic {

enum class Errc {
    empty = 1,             // zero-length name or filter: v5/v3.1.1 [MQTT-4.7.3-1]
    too_long,              // more than 65535 bytes: [MQTT-4.7.3-3]
    wildcard_in_name,      // '+' or '#' in a topic name: v5 [MQTT-4.7.0-1], v3.1.1 [MQTT-4.7.1-1]
    bad_wildcard,          // '#' not last or not alone in its level, '+' not alone in its level
    null_character,        // U+0000: [MQTT-4.7.3-2]
    invalid_utf8,          // ill-formed UTF-8 or a surrogate: v5 [MQTT-1.5.4-1], v3.1.1 [MQTT-1.5.3-1]
    bad_share_name,        // `$share/...` without a ShareName, or one with + # /, or no filter after it
    not_a_table,           // the topic names no declared table (for mqtt.strictTopics)
    no_id,                 // a record topic with an empty ID: bare `Table` or `Table/`
    bad_int_key,           // the ID of an `int` table is not a 64-bit signed integer
    bad_percent_encoding,  // '%' not followed by two hex digits, or decodes to ill-formed UTF-8
    bad_table_name,        // a declared table name cannot be the first level of a record topic
};

const boost::system::error_category& topic_category() noexcept;

inline boost::system::error_code make_error_code(Errc e) noexcept {
    return {static_cast<int>(e), topic_category()};
}

}  // namespace harperrt::topic

template <>
struct boost::system::is_error_code_enum<harperrt::topic::Errc> : std::true_type {};
