#include "daemon/auth/authenticator.hpp"

#include "daemon/auth/password.hpp"

#include <algorithm>

namespace harperrt::daemon::auth {

Login authenticate(const config::Config& config, const Credentials& cred) {
    const auto find_user = [&](std::string_view name) -> const config::User* {
        const auto it = std::find_if(config.users.begin(), config.users.end(),
                                     [&](const config::User& u) { return u.name == name; });
        return it == config.users.end() ? nullptr : &*it;
    };
    if (cred.certificate_cn) {
        if (cred.username && *cred.username != *cred.certificate_cn) return {LoginResult::bad_credentials, {}, {}};
        // The CA vouches for the name; a configured user of that name adds roles and format.
        const auto* user = find_user(*cred.certificate_cn);
        return {LoginResult::ok, *cred.certificate_cn, user ? user->format : std::nullopt};
    }
    const bool required = config::effective_require_authentication(config);
    if (cred.username) {
        const auto* user = find_user(*cred.username);
        // Where anonymous access is allowed, a name that is not a configured user is just
        // a label: the client is anonymous (anonymousRoles), whatever password it sent.
        if (user == nullptr && !required) return {LoginResult::ok, std::nullopt, std::nullopt};
        // Run the KDF even for an unknown user, so timing does not tell which names exist.
        static const std::string dummy = hash_password("harperrt-dummy");
        const bool ok = verify_password(cred.password.value_or(""),
                                        user && user->password ? std::string_view(*user->password) : dummy);
        if (user == nullptr || !user->password || !cred.password || !ok) return {LoginResult::bad_credentials, {}, {}};
        return {LoginResult::ok, user->name, user->format};
    }
    if (cred.password && required) return {LoginResult::bad_credentials, {}, {}};
    if (required) return {LoginResult::not_authorized, {}, {}};
    return {LoginResult::ok, std::nullopt, std::nullopt};
}

}  // namespace harperrt::daemon::auth
