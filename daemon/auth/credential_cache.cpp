#include "daemon/auth/credential_cache.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>

namespace harperrt::daemon::auth {
namespace {

using Key = std::array<unsigned char, 32>;

// The process's HMAC key: random, made on first use (the first Authorizer, at start-up),
// never written anywhere. From getrandom(2), not OpenSSL's RAND_bytes: that would
// initialise OpenSSL (its configuration, providers, DRBG) at start-up, about 2 MB of RSS
// for a daemon that may never see TLS or a password.
const Key& process_key() {
    static const Key key = [] {
        Key k{};
        std::size_t got = 0;
        while (got < k.size()) {
            const auto n = ::getrandom(k.data() + got, k.size() - got, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw std::runtime_error("CredentialCache: getrandom failed");
            got += static_cast<std::size_t>(n);
        }
        return k;
    }();
    return key;
}

}  // namespace

CredentialCache::CredentialCache(std::size_t capacity, Clock::duration ttl) : capacity_(capacity), ttl_(ttl) {
    (void)process_key();  // fail at construction, not on a request
}

std::optional<CredentialCache::Digest> CredentialCache::digest_of(std::string_view user, std::string_view password) {
    const auto& key = process_key();
    const auto n = static_cast<std::uint64_t>(user.size());
    std::string message;
    message.reserve(8 + user.size() + password.size());
    for (int shift = 56; shift >= 0; shift -= 8) message.push_back(static_cast<char>((n >> shift) & 0xff));
    message.append(user);
    message.append(password);
    Digest out{};
    unsigned int len = 0;
    const auto* ok = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                          reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
    OPENSSL_cleanse(message.data(), message.size());  // it held the password
    if (ok == nullptr || len != out.size()) return std::nullopt;
    return out;
}

std::optional<Login> CredentialCache::find(std::string_view user, std::string_view password, Clock::time_point now) {
    const auto digest = digest_of(user, password);
    if (!digest) return std::nullopt;
    const std::lock_guard lock(mu_);
    const auto it = by_user_.find(user);
    if (it == by_user_.end()) return std::nullopt;
    const auto entry = it->second;
    if (now >= entry->expires) {
        by_user_.erase(it);
        lru_.erase(entry);
        return std::nullopt;
    }
    // Constant time: how much of a digest matched says nothing about the password.
    if (CRYPTO_memcmp(entry->digest.data(), digest->data(), digest->size()) != 0) return std::nullopt;
    lru_.splice(lru_.begin(), lru_, entry);
    return entry->login;
}

void CredentialCache::insert(std::string_view user, std::string_view password, const Login& login,
                             Clock::time_point now) {
    if (login.result != LoginResult::ok) return;  // only successes are remembered
    auto digest = digest_of(user, password);
    if (!digest) return;
    Entry fresh{std::string(user), *digest, login, now + ttl_};
    const std::lock_guard lock(mu_);
    if (const auto it = by_user_.find(user); it != by_user_.end()) {  // note 1: one entry per user
        const auto old = it->second;
        by_user_.erase(it);
        lru_.erase(old);
    }
    lru_.push_front(std::move(fresh));
    by_user_.emplace(lru_.front().user, lru_.begin());
    while (lru_.size() > capacity_) {
        by_user_.erase(lru_.back().user);
        lru_.pop_back();
    }
}

void CredentialCache::clear() {
    const std::lock_guard lock(mu_);
    by_user_.clear();
    lru_.clear();
}

std::size_t CredentialCache::size() const {
    const std::lock_guard lock(mu_);
    return lru_.size();
}

}  // namespace harperrt::daemon::auth
