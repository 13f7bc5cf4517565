// MQTT 5 reason codes as a boost::system error code enum, so codec and broker functions can
// `return error(ReasonCode::malformed_packet);`, plus the MQTT 3.1/3.1.1 CONNACK return codes.
// The enumerator values are the spec's numbers (v5 §2.4), so a cast gives the wire byte.
#pragma once

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace harperrt::mqtt {

// Every MQTT 5.0 reason code (v5 §2.4). Some numbers have several names in the spec:
//   0x00 is Success (CONNACK, PUBACK..., UNSUBACK, AUTH), Normal disconnection (DISCONNECT)
//        and Granted QoS 0 (SUBACK): one enumerator, `success`;
// the other names with a shared number are distinct in the spec and here they are distinct
// values anyway. Values >= 0x80 are failures (see is_failure).
//
// As a boost::system error code, `success` (0) is "no error", so never build an error from it.
enum class ReasonCode : std::uint8_t {
    success = 0x00,  // also "Normal disconnection" and "Granted QoS 0"
    granted_qos_1 = 0x01,
    granted_qos_2 = 0x02,
    disconnect_with_will_message = 0x04,
    no_matching_subscribers = 0x10,
    no_subscription_existed = 0x11,
    continue_authentication = 0x18,
    re_authenticate = 0x19,
    unspecified_error = 0x80,
    malformed_packet = 0x81,
    protocol_error = 0x82,
    implementation_specific_error = 0x83,
    unsupported_protocol_version = 0x84,
    client_identifier_not_valid = 0x85,
    bad_user_name_or_password = 0x86,
    not_authorized = 0x87,
    server_unavailable = 0x88,
    server_busy = 0x89,
    banned = 0x8A,
    server_shutting_down = 0x8B,
    bad_authentication_method = 0x8C,
    keep_alive_timeout = 0x8D,
    session_taken_over = 0x8E,
    topic_filter_invalid = 0x8F,
    topic_name_invalid = 0x90,
    packet_identifier_in_use = 0x91,
    packet_identifier_not_found = 0x92,
    receive_maximum_exceeded = 0x93,
    topic_alias_invalid = 0x94,
    packet_too_large = 0x95,
    message_rate_too_high = 0x96,
    quota_exceeded = 0x97,
    administrative_action = 0x98,
    payload_format_invalid = 0x99,
    retain_not_supported = 0x9A,
    qos_not_supported = 0x9B,
    use_another_server = 0x9C,
    server_moved = 0x9D,
    shared_subscriptions_not_supported = 0x9E,
    connection_rate_exceeded = 0x9F,
    maximum_connect_time = 0xA0,
    subscription_identifiers_not_supported = 0xA1,
    wildcard_subscriptions_not_supported = 0xA2,
};

// The spec's words for a reason code ("Malformed Packet"); 0x00 is "Success". A byte that
// is not a reason code gives "Unknown reason code".
std::string_view name(ReasonCode code) noexcept;

// True when `byte` is one of the values of ReasonCode.
bool is_reason_code(std::uint8_t byte) noexcept;

// True for the failure codes (>= 0x80, v5 §2.4).
constexpr bool is_failure(ReasonCode code) noexcept { return static_cast<std::uint8_t>(code) >= 0x80; }

// The boost::system category of ReasonCode errors; its name is "mqtt" and message(ev) is
// name(ReasonCode(ev)).
const boost::system::error_category& reason_code_category() noexcept;

// Found by ADL; makes `error(ReasonCode::...)` and `ec == ReasonCode::...` work.
boost::system::error_code make_error_code(ReasonCode code) noexcept;

// The ReasonCode inside `ec` when it belongs to reason_code_category(), else nullopt.
std::optional<ReasonCode> as_reason_code(const boost::system::error_code& ec) noexcept;

// CONNACK return codes of MQTT 3.1 and 3.1.1 (v3.1.1 §3.2.2.3); 6..255 are reserved.
enum class ConnectReturnCode : std::uint8_t {
    accepted = 0,
    unacceptable_protocol_version = 1,
    identifier_rejected = 2,
    server_unavailable = 3,
    bad_user_name_or_password = 4,
    not_authorized = 5,
};

// The 3.1.1 return code that says the same as a v5 CONNACK reason code. Exact for the six
// codes that have a 3.1.1 twin (success, unsupported_protocol_version,
// client_identifier_not_valid, server_unavailable, bad_user_name_or_password,
// not_authorized); the others map to the nearest meaning: server_busy, server_shutting_down,
// use_another_server, server_moved, connection_rate_exceeded and everything unlisted go to
// server_unavailable; banned goes to not_authorized; bad_authentication_method to
// bad_user_name_or_password.
ConnectReturnCode to_connect_return_code(ReasonCode code) noexcept;

// The v5 reason code of a 3.1.1 return code; the inverse of to_connect_return_code on the
// six exact pairs.
ReasonCode to_reason_code(ConnectReturnCode code) noexcept;

}  // namespace harperrt::mqtt

namespace boost::system {
template <>
struct is_error_code_enum<harperrt::mqtt::ReasonCode> : std::true_type {};
}  // namespace boost::system
