#include "daemon/auth/authenticator.hpp"

#include "daemon/auth/password.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace harperrt::daemon::auth {

namespace {

std::optional<std::string> decode_base64(std::string_view s) {
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    while (!s.empty() && s.back() == '=') s.remove_suffix(1);
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : s) {
        const auto pos = alphabet.find(c);
        if (pos == std::string_view::npos) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

std::optional<Credentials> parse_basic_authorization(std::string_view header) {
    constexpr std::string_view scheme = "Basic ";
    if (header.size() <= scheme.size() || !iequals(header.substr(0, scheme.size()), scheme)) return std::nullopt;
    auto decoded = decode_base64(header.substr(scheme.size()));
    if (!decoded) return std::nullopt;
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1), std::nullopt};
}

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
