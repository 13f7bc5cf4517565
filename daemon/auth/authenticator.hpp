// Authentication (DESIGN.md §7): who a client is. A CONNECT (or an HTTP Basic header) is
// checked against `users` from the config; a verified client certificate's CN is the user
// name under mTLS; anonymous clients are allowed unless
// config::effective_require_authentication() says otherwise. Knows nothing of packets.
#pragma once

#include "common/config/config.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace harperrt::daemon::auth {

// Who a connection is, for authorization. `user` is empty for an anonymous client.
struct Identity {
    std::optional<std::string> user;
    std::string client_id;

    bool anonymous() const noexcept { return !user.has_value(); }
};

// The outcome of authenticate().
enum class LoginResult : std::uint8_t {
    ok,
    bad_credentials,  // a configured user with a wrong or missing password (or none
                      // configured), a user name other than the certificate's CN, or, where
                      // authentication is required, an unknown user or a password without a
                      // user name (v5 0x86, 3.1.1 return code 4)
    not_authorized,   // anonymous, but authentication is required (v5 0x87, 3.1.1 code 5)
};

struct Login {
    LoginResult result = LoginResult::bad_credentials;
    std::optional<std::string> user;             // set when result is ok and not anonymous
    std::optional<config::Format> format;        // the user's configured `format`
};

// What the client presented.
struct Credentials {
    std::optional<std::string> username;
    std::optional<std::string> password;
    // The subject CN of a client certificate the TLS layer verified against
    // tls.certificateAuthority (mtls). When present it is the identity (configured user
    // or not: the CA vouches for it): a user name in CONNECT that differs from it is
    // refused, a password is not needed. Where authentication is not required, a user name
    // that is not configured logs in as anonymous.
    std::optional<std::string> certificate_cn;
};

// Credentials from the value of an HTTP `Authorization: Basic …` header (RFC 7617): user
// name and password, no certificate. nullopt when the scheme is not Basic or the value is
// malformed. Pure.
std::optional<Credentials> parse_basic_authorization(std::string_view header);

// Decides a login with the users of `config`. Verifying a password costs a PBKDF2 run
// (~0.1 s); call it off latency-sensitive paths where possible. Thread-safe (pure).
Login authenticate(const config::Config& config, const Credentials& credentials);

}  // namespace harperrt::daemon::auth
