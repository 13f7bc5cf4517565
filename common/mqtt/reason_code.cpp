#include "common/mqtt/reason_code.hpp"

#include <string>

namespace harperrt::mqtt {

std::string_view name(ReasonCode code) noexcept {
    switch (code) {
        case ReasonCode::success: return "Success";
        case ReasonCode::granted_qos_1: return "Granted QoS 1";
        case ReasonCode::granted_qos_2: return "Granted QoS 2";
        case ReasonCode::disconnect_with_will_message: return "Disconnect with Will Message";
        case ReasonCode::no_matching_subscribers: return "No matching subscribers";
        case ReasonCode::no_subscription_existed: return "No subscription existed";
        case ReasonCode::continue_authentication: return "Continue authentication";
        case ReasonCode::re_authenticate: return "Re-authenticate";
        case ReasonCode::unspecified_error: return "Unspecified error";
        case ReasonCode::malformed_packet: return "Malformed Packet";
        case ReasonCode::protocol_error: return "Protocol Error";
        case ReasonCode::implementation_specific_error: return "Implementation specific error";
        case ReasonCode::unsupported_protocol_version: return "Unsupported Protocol Version";
        case ReasonCode::client_identifier_not_valid: return "Client Identifier not valid";
        case ReasonCode::bad_user_name_or_password: return "Bad User Name or Password";
        case ReasonCode::not_authorized: return "Not authorized";
        case ReasonCode::server_unavailable: return "Server unavailable";
        case ReasonCode::server_busy: return "Server busy";
        case ReasonCode::banned: return "Banned";
        case ReasonCode::server_shutting_down: return "Server shutting down";
        case ReasonCode::bad_authentication_method: return "Bad authentication method";
        case ReasonCode::keep_alive_timeout: return "Keep Alive timeout";
        case ReasonCode::session_taken_over: return "Session taken over";
        case ReasonCode::topic_filter_invalid: return "Topic Filter invalid";
        case ReasonCode::topic_name_invalid: return "Topic Name invalid";
        case ReasonCode::packet_identifier_in_use: return "Packet Identifier in use";
        case ReasonCode::packet_identifier_not_found: return "Packet Identifier not found";
        case ReasonCode::receive_maximum_exceeded: return "Receive Maximum exceeded";
        case ReasonCode::topic_alias_invalid: return "Topic Alias invalid";
        case ReasonCode::packet_too_large: return "Packet too large";
        case ReasonCode::message_rate_too_high: return "Message rate too high";
        case ReasonCode::quota_exceeded: return "Quota exceeded";
        case ReasonCode::administrative_action: return "Administrative action";
        case ReasonCode::payload_format_invalid: return "Payload format invalid";
        case ReasonCode::retain_not_supported: return "Retain not supported";
        case ReasonCode::qos_not_supported: return "QoS not supported";
        case ReasonCode::use_another_server: return "Use another server";
        case ReasonCode::server_moved: return "Server moved";
        case ReasonCode::shared_subscriptions_not_supported: return "Shared Subscriptions not supported";
        case ReasonCode::connection_rate_exceeded: return "Connection rate exceeded";
        case ReasonCode::maximum_connect_time: return "Maximum connect time";
        case ReasonCode::subscription_identifiers_not_supported:
            return "Subscription Identifiers not supported";
        case ReasonCode::wildcard_subscriptions_not_supported:
            return "Wildcard Subscriptions not supported";
    }
    return "Unknown reason code";
}

bool is_reason_code(std::uint8_t byte) noexcept {
    return name(static_cast<ReasonCode>(byte)) != "Unknown reason code";
}

namespace {

// Boost 1.74's error_category has a non-virtual destructor by design (categories are
// never deleted through a base pointer), which -Wnon-virtual-dtor flags.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class ReasonCodeCategory final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "mqtt"; }
    std::string message(int ev) const override {
        return std::string(mqtt::name(static_cast<ReasonCode>(static_cast<std::uint8_t>(ev))));
    }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& reason_code_category() noexcept {
    static const ReasonCodeCategory category;
    return category;
}

boost::system::error_code make_error_code(ReasonCode code) noexcept {
    return {static_cast<int>(code), reason_code_category()};
}

std::optional<ReasonCode> as_reason_code(const boost::system::error_code& ec) noexcept {
    if (ec.category() != reason_code_category()) return std::nullopt;
    return static_cast<ReasonCode>(static_cast<std::uint8_t>(ec.value()));
}

ConnectReturnCode to_connect_return_code(ReasonCode code) noexcept {
    switch (code) {
        case ReasonCode::success: return ConnectReturnCode::accepted;
        case ReasonCode::unsupported_protocol_version:
            return ConnectReturnCode::unacceptable_protocol_version;
        case ReasonCode::client_identifier_not_valid: return ConnectReturnCode::identifier_rejected;
        case ReasonCode::bad_user_name_or_password:
        case ReasonCode::bad_authentication_method:
            return ConnectReturnCode::bad_user_name_or_password;
        case ReasonCode::not_authorized:
        case ReasonCode::banned:
            return ConnectReturnCode::not_authorized;
        default: return ConnectReturnCode::server_unavailable;
    }
}

ReasonCode to_reason_code(ConnectReturnCode code) noexcept {
    switch (code) {
        case ConnectReturnCode::accepted: return ReasonCode::success;
        case ConnectReturnCode::unacceptable_protocol_version:
            return ReasonCode::unsupported_protocol_version;
        case ConnectReturnCode::identifier_rejected: return ReasonCode::client_identifier_not_valid;
        case ConnectReturnCode::server_unavailable: return ReasonCode::server_unavailable;
        case ConnectReturnCode::bad_user_name_or_password: return ReasonCode::bad_user_name_or_password;
        case ConnectReturnCode::not_authorized: return ReasonCode::not_authorized;
    }
    return ReasonCode::server_unavailable;
}

}  // namespace harperrt::mqtt
