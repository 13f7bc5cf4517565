// A small cache of recently verified user name + password pairs, so that HTTP Basic, which
// sends the password with every request, does not cost a PBKDF2 run (~0.1 s) per request.
// Guarantees: the password is never stored, only an HMAC-SHA256 of user name and password
// under a random key made once per process (compared in constant time); an entry lives
// at most `ttl` (60 s by default) after its verification, however often it is used; at most
// `capacity` entries, the least recently used evicted first. Only successes go in: a pair
// that is not in the cache must be verified the slow way.
//
// Design notes:
//  1. One entry per user name: a user has one password at a time, so a newer verification
//     of the same user replaces the older one, and a wrong password (a miss) never evicts
//     the right one.
//  2. The cache does not know the config. Whoever owns it must drop it whenever the users
//     change (auth::Authorizer keeps one per loaded config, so a SIGHUP reload starts empty).
//  3. Thread-safety: every member may be called from any thread (one mutex; nothing slow
//     under it: the HMAC is computed before locking).
#pragma once

#include "daemon/auth/authenticator.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace harperrt::daemon::auth {

class CredentialCache {
public:
    using Clock = std::chrono::steady_clock;
    // How long a verification is trusted. Short, so that a digest does not stay in memory
    // long; a config reload drops every entry at once anyway (note 2).
    static constexpr std::chrono::seconds default_ttl{60};
    static constexpr std::size_t default_capacity = 1024;

    // A capacity of 0 remembers nothing. Throws std::runtime_error only if OpenSSL's RNG fails the
    // first time a cache is made in this process (at start-up).
    explicit CredentialCache(std::size_t capacity = default_capacity, Clock::duration ttl = default_ttl);

    // The Login remembered for `user` with exactly `password`, if one was inserted less than
    // ttl before `now`; nullopt otherwise (unknown, expired, or another password). An
    // expired entry is removed. A hit makes the entry the most recently used.
    std::optional<Login> find(std::string_view user, std::string_view password, Clock::time_point now = Clock::now());

    // Remembers that `password` verified for `user` at `now`, with the outcome `login`
    // (anything but LoginResult::ok is ignored). Replaces any entry of `user`; evicts
    // the least recently used entry when full.
    void insert(std::string_view user, std::string_view password, const Login& login,
                Clock::time_point now = Clock::now());

    void clear();
    std::size_t size() const;

private:
    using Digest = std::array<unsigned char, 32>;
    struct Entry {
        std::string user;
        Digest digest;
        Login login;
        Clock::time_point expires;
    };

    // HMAC-SHA256 under the process key of the user name's length, the user name and the
    // password, so that ("ab", "c") and ("a", "bc") differ; nullopt if OpenSSL fails (then
    // nothing is found or remembered).
    static std::optional<Digest> digest_of(std::string_view user, std::string_view password);

    const std::size_t capacity_;
    const Clock::duration ttl_;
    mutable std::mutex mu_;
    std::list<Entry> lru_;                                                // guarded by mu_; most recent first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> by_user_;  // guarded by mu_; keys view lru_
};

}  // namespace harperrt::daemon::auth
