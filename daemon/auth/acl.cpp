#include "daemon/auth/acl.hpp"

#include "common/topic/topic.hpp"

#include <algorithm>

namespace harperrt::daemon::auth {
namespace {

const std::vector<std::string>& roles_of(const config::Config& config, const Identity& who) {
    static const std::vector<std::string> none;
    if (who.anonymous()) return config.anonymous_roles;
    const auto it = std::find_if(config.users.begin(), config.users.end(),
                                 [&](const config::User& u) { return u.name == *who.user; });
    return it == config.users.end() ? none : it->roles;
}

// A substituted value must stay one literal level: otherwise a user named `#` would widen
// the rule. Returns false when the rule cannot apply.
bool substitute(std::string& filter, std::string_view token, const std::optional<std::string>& value) {
    for (auto pos = filter.find(token); pos != std::string::npos; pos = filter.find(token, pos)) {
        if (!value || value->empty() || value->find_first_of("/+#") != std::string::npos) return false;
        filter.replace(pos, token.size(), *value);
        pos += value->size();
    }
    return true;
}

// Whether authenticate_cached() may remember or recall a login with these credentials:
// a user name and a password, and no certificate (which would decide by itself).
bool cacheable(const Credentials& c) { return c.username && c.password && !c.certificate_cn; }

}  // namespace

Authorizer::Authorizer(const config::Config& config) : policy_(std::make_shared<Policy>(config)) {}

void Authorizer::reload(const config::Config& config) {
    auto next = std::make_shared<Policy>(config);  // with an empty cache: nothing verified yet
    const std::lock_guard lock(mu_);
    policy_ = std::move(next);
}

std::shared_ptr<Authorizer::Policy> Authorizer::current() const {
    const std::lock_guard lock(mu_);
    return policy_;
}

Login Authorizer::authenticate(const Credentials& credentials) const {
    return auth::authenticate(current()->config, credentials);
}

Login Authorizer::authenticate_cached(const Credentials& credentials) const {
    // One policy for the lookup, the verification and the insert: a reload in between
    // leaves this login in the old policy's cache, which nobody reads any more.
    const auto policy = current();
    if (!cacheable(credentials)) return auth::authenticate(policy->config, credentials);
    if (auto hit = policy->verified.find(*credentials.username, *credentials.password)) return std::move(*hit);
    auto login = auth::authenticate(policy->config, credentials);
    // Only a configured user whose password verified: not an unknown name that logged in as
    // anonymous (no KDF ran; nothing to save), and never a refusal.
    if (login.result == LoginResult::ok && login.user)
        policy->verified.insert(*credentials.username, *credentials.password, login);
    return login;
}

std::optional<Login> Authorizer::cached_login(const Credentials& credentials) const {
    if (!cacheable(credentials)) return std::nullopt;
    return current()->verified.find(*credentials.username, *credentials.password);
}

bool Authorizer::can_table(const Identity& who, std::string_view table, TableAction action) const {
    const auto policy = current();
    const auto& config = policy->config;
    // Without anonymousRoles, an anonymous client (only where anonymous access is allowed)
    // may do everything: the single-user default of `harperrt serve` with no config.
    if (who.anonymous() && config.anonymous_roles.empty()) return true;
    for (const auto& role_name : roles_of(config, who)) {
        const auto role = config.roles.find(role_name);
        if (role == config.roles.end()) continue;
        const auto perms = role->second.tables.find(std::string(table));
        if (perms == role->second.tables.end()) continue;
        const auto& p = perms->second;
        switch (action) {
        case TableAction::read: if (p.read) return true; break;
        case TableAction::insert: if (p.insert) return true; break;
        case TableAction::update: if (p.update) return true; break;
        case TableAction::remove: if (p.remove) return true; break;
        case TableAction::insert_or_update: if (p.insert || p.update) return true; break;
        }
    }
    return false;
}

bool Authorizer::can_topic(const Identity& who, std::string_view topic, TopicAction action) const {
    const auto policy = current();
    const auto& config = policy->config;
    for (const auto& role_name : roles_of(config, who)) {
        const auto role = config.roles.find(role_name);
        if (role == config.roles.end()) continue;
        for (const auto& rule : role->second.topics) {
            const auto& says = action == TopicAction::publish ? rule.publish : rule.subscribe;
            if (!says) continue;
            std::string filter = rule.filter;
            if (!substitute(filter, "%u", who.user)) continue;
            if (!substitute(filter, "%c", std::optional<std::string>(who.client_id))) continue;
            if (topic::matches(filter, topic)) return *says;
        }
    }
    return config.mqtt.default_topic_access == config::TopicAccess::allow;
}

}  // namespace harperrt::daemon::auth
