// Authorization (DESIGN.md §7): what an Identity may do. Tables: per-role read / insert /
// update / delete, the union over the identity's roles (anonymous clients have
// `anonymousRoles`; where that list is empty, anonymous clients may use every table, so
// that a config without users and roles works as a single-user broker). Plain topics: the roles' topic rules in order (roles in the user's
// order, rules in each role's order); `%u` / `%c` are replaced by the user name and client
// id; the first rule whose filter matches and that says something about the action
// decides; where none does, `mqtt.defaultTopicAccess` does. The broker maps MQTT actions
// onto these checks (handle_publish.cpp, handle_subscribe.cpp):
//   SUBSCRIBE to a filter that can match records of table T   -> read on T (every such T)
//   retained PUBLISH of a record                               -> insert OR update on T
//       (either suffices: which one applies would need a read before the write, and the
//        store's put is an upsert)
//   empty retained PUBLISH (a delete)                          -> delete on T
//   non-retained PUBLISH to Table/ID                           -> update on T
//   PUBLISH / SUBSCRIBE on any other topic                     -> topic rules
// Rules are matched with topic::matches(rule filter, topic): a subscription filter is
// matched as if it were a topic name, so rule `a/#` covers subscription `a/+/b`, but rule
// `a/b` does not cover subscription `a/#` (which is then decided by a later rule or the
// default).
//
// Thread-safety: every member may be called from any thread; reload() swaps the policy
// atomically (a check in progress finishes with the policy it started with).
//
// Each loaded config has a CredentialCache of its own (credential_cache.hpp) for
// authenticate_cached(): reload() starts with an empty one, so a changed or removed password
// stops working at once, and a verification that was still running against the old config
// can only fill the old, unreachable cache.
#pragma once

#include "daemon/auth/authenticator.hpp"
#include "daemon/auth/credential_cache.hpp"

#include "common/config/config.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

namespace harperrt::daemon::auth {

enum class TableAction : std::uint8_t { read, insert, update, remove, insert_or_update };
enum class TopicAction : std::uint8_t { publish, subscribe };

class Authorizer {
public:
    explicit Authorizer(const config::Config& config);

    // Replaces users, roles, anonymousRoles, requireAuthentication and defaultTopicAccess
    // with those of `config` (SIGHUP). Existing connections keep their identity; their
    // next check uses the new roles.
    void reload(const config::Config& config);

    // authenticate() against the current users.
    Login authenticate(const Credentials& credentials) const;

    // authenticate() through the credential cache, for HTTP Basic, which sends the password
    // with every request, and MQTT CONNECT (CLI calls, devices sharing a login): a user name and password that verified against the current users
    // less than CredentialCache::default_ttl (60 s) ago log in without a PBKDF2 run. Only
    // successful password logins are remembered; a wrong password is verified (and refused)
    // every time. Slow on a miss, like authenticate(): call it off the I/O threads.
    Login authenticate_cached(const Credentials& credentials) const;

    // What authenticate_cached() would return without verifying anything, or nullopt when it
    // would have to run the KDF. One HMAC: cheap enough for a connection's strand.
    std::optional<Login> cached_login(const Credentials& credentials) const;

    bool can_table(const Identity& who, std::string_view table, TableAction action) const;
    bool can_topic(const Identity& who, std::string_view topic, TopicAction action) const;

private:
    // One loaded config and the logins verified against it.
    struct Policy {
        explicit Policy(const config::Config& c) : config(c) {}
        const config::Config config;
        CredentialCache verified;  // internally synchronized
    };

    std::shared_ptr<Policy> current() const;

    mutable std::mutex mu_;
    std::shared_ptr<Policy> policy_;  // guarded by mu_ (the pointer; the config is immutable)
};

}  // namespace harperrt::daemon::auth
