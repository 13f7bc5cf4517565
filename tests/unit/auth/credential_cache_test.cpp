// CredentialCache (daemon/auth/credential_cache.hpp) with an injected clock: hits, expiry,
// the LRU bound, key separation, and that only successes are remembered; and
// Authorizer::authenticate_cached(): a reload forgets every verified password.
#include "daemon/auth/acl.hpp"
#include "daemon/auth/credential_cache.hpp"

#include <gtest/gtest.h>

namespace auth = harperrt::daemon::auth;
namespace config = harperrt::config;
using namespace std::chrono_literals;

namespace {

using Clock = auth::CredentialCache::Clock;

auth::Login ok_login(const std::string& user) { return {auth::LoginResult::ok, user, std::nullopt}; }

TEST(CredentialCacheTest, RemembersOnlyTheExactPasswordOfAUser) {
    auth::CredentialCache cache;
    const auto t0 = Clock::now();
    EXPECT_FALSE(cache.find("alice", "pw", t0));
    cache.insert("alice", "pw", {auth::LoginResult::ok, "alice", config::Format::cbor}, t0);
    const auto hit = cache.find("alice", "pw", t0 + 1s);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->result, auth::LoginResult::ok);
    EXPECT_EQ(hit->user, "alice");
    EXPECT_EQ(hit->format, config::Format::cbor);
    EXPECT_FALSE(cache.find("alice", "wrong", t0 + 1s));
    EXPECT_FALSE(cache.find("alice", "pw ", t0 + 1s));
    EXPECT_FALSE(cache.find("alice", "", t0 + 1s));
    EXPECT_FALSE(cache.find("bob", "pw", t0 + 1s)) << "another user with the same password";
    EXPECT_TRUE(cache.find("alice", "pw", t0 + 2s)) << "a wrong password does not evict the right one";
}

TEST(CredentialCacheTest, UserNameAndPasswordDoNotRunTogether) {
    // The digest covers the user name's length: ("ab", "c") is not ("a", "bc").
    auth::CredentialCache cache;
    const auto t0 = Clock::now();
    cache.insert("ab", "c", ok_login("ab"), t0);
    cache.insert("a", "bc", ok_login("a"), t0);
    EXPECT_EQ(cache.find("ab", "c", t0)->user, "ab");
    EXPECT_EQ(cache.find("a", "bc", t0)->user, "a");
    EXPECT_FALSE(cache.find("ab", "bc", t0));
    EXPECT_FALSE(cache.find("a", "c", t0));
    // Names and passwords with NUL bytes and a colon are kept apart too.
    cache.insert(std::string_view("x\0y", 3), "p", ok_login("x"), t0);
    EXPECT_FALSE(cache.find("x", std::string_view("\0yp", 3), t0));
    EXPECT_TRUE(cache.find(std::string_view("x\0y", 3), "p", t0));
}

TEST(CredentialCacheTest, EntriesExpireAfterTheTtlWhateverTheUse) {
    auth::CredentialCache cache(8, 60s);
    const auto t0 = Clock::now();
    cache.insert("alice", "pw", ok_login("alice"), t0);
    EXPECT_TRUE(cache.find("alice", "pw", t0 + 30s));
    EXPECT_TRUE(cache.find("alice", "pw", t0 + 59s)) << "hits do not extend the entry";
    EXPECT_FALSE(cache.find("alice", "pw", t0 + 60s));
    EXPECT_EQ(cache.size(), 0u) << "the expired entry is removed";
    // A new verification starts a new ttl.
    cache.insert("alice", "pw", ok_login("alice"), t0 + 61s);
    EXPECT_TRUE(cache.find("alice", "pw", t0 + 120s));
    EXPECT_FALSE(cache.find("alice", "pw", t0 + 121s));
    EXPECT_EQ(auth::CredentialCache::default_ttl, 60s);
}

TEST(CredentialCacheTest, BoundedEvictingTheLeastRecentlyUsed) {
    auth::CredentialCache cache(2);
    const auto t0 = Clock::now();
    cache.insert("a", "1", ok_login("a"), t0);
    cache.insert("b", "2", ok_login("b"), t0);
    EXPECT_TRUE(cache.find("a", "1", t0));  // a is now the most recently used
    cache.insert("c", "3", ok_login("c"), t0);
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_FALSE(cache.find("b", "2", t0)) << "b was the least recently used";
    EXPECT_TRUE(cache.find("a", "1", t0));
    EXPECT_TRUE(cache.find("c", "3", t0));
    for (int i = 0; i < 100; ++i) cache.insert("u" + std::to_string(i), "p", ok_login("u"), t0);
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_TRUE(cache.find("u99", "p", t0));
    EXPECT_TRUE(cache.find("u98", "p", t0));

    auth::CredentialCache none(0);
    none.insert("a", "1", ok_login("a"), t0);
    EXPECT_EQ(none.size(), 0u);
    EXPECT_FALSE(none.find("a", "1", t0));
}

TEST(CredentialCacheTest, OneEntryPerUserAndOnlySuccesses) {
    auth::CredentialCache cache;
    const auto t0 = Clock::now();
    cache.insert("alice", "old", ok_login("alice"), t0);
    cache.insert("alice", "new", ok_login("alice"), t0 + 1s);
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_FALSE(cache.find("alice", "old", t0 + 1s));
    EXPECT_TRUE(cache.find("alice", "new", t0 + 1s));
    cache.insert("bob", "x", {auth::LoginResult::bad_credentials, std::nullopt, std::nullopt}, t0);
    cache.insert("carol", "x", {auth::LoginResult::not_authorized, std::nullopt, std::nullopt}, t0);
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_FALSE(cache.find("bob", "x", t0));
    cache.clear();
    EXPECT_EQ(cache.size(), 0u);
    EXPECT_FALSE(cache.find("alice", "new", t0 + 1s));
}

// Hashes of "alicepw" and "bobpw" with 1000 iterations.
constexpr const char* alice_hash = "$pbkdf2-sha256$i=1000$efO1TonTOWFM31YreAnfEQ$IeD8VIcienrUnuHUOyzVkhLMzWBYuKxViY2ajPu3SNc";
constexpr const char* bob_hash = "$pbkdf2-sha256$i=1000$0Bsz+Zduz6opL2+1YVE8KA$8AqB23dCeK0zchtZyhmzTPZIJuYHHsYDFL+YIzeuyxk";

config::Config users(std::vector<config::User> list, bool required = true) {
    config::Config c;
    c.mqtt.require_authentication = required;
    c.users = std::move(list);
    return c;
}

auth::Credentials basic(const std::string& user, const std::string& password) { return {user, password, std::nullopt}; }

TEST(AuthorizerCacheTest, RemembersVerifiedPasswordsAndNeverRefusals) {
    auth::Authorizer a(users({{"alice", alice_hash, {}, config::Format::msgpack}}));
    EXPECT_FALSE(a.cached_login(basic("alice", "alicepw")));
    EXPECT_EQ(a.authenticate_cached(basic("alice", "wrong")).result, auth::LoginResult::bad_credentials);
    EXPECT_FALSE(a.cached_login(basic("alice", "wrong")));
    const auto first = a.authenticate_cached(basic("alice", "alicepw"));
    ASSERT_EQ(first.result, auth::LoginResult::ok);
    const auto hit = a.cached_login(basic("alice", "alicepw"));
    ASSERT_TRUE(hit) << "verified once: no KDF the next time";
    EXPECT_EQ(hit->user, "alice");
    EXPECT_EQ(hit->format, config::Format::msgpack);
    EXPECT_EQ(a.authenticate_cached(basic("alice", "alicepw")).user, "alice");
    // A wrong password after a right one is still verified and refused.
    EXPECT_FALSE(a.cached_login(basic("alice", "alicepw2")));
    EXPECT_EQ(a.authenticate_cached(basic("alice", "alicepw2")).result, auth::LoginResult::bad_credentials);
    EXPECT_EQ(a.authenticate_cached(basic("nobody", "alicepw")).result, auth::LoginResult::bad_credentials);
    // Nothing without both a user name and a password, or with a certificate.
    EXPECT_FALSE(a.cached_login({"alice", std::nullopt, std::nullopt}));
    EXPECT_FALSE(a.cached_login({"alice", "alicepw", "alice"}));
    // The uncached authenticate() is unaffected.
    EXPECT_EQ(a.authenticate(basic("alice", "wrong")).result, auth::LoginResult::bad_credentials);
}

TEST(AuthorizerCacheTest, AnonymousFallbackIsNotCached) {
    // Where anonymous access is allowed, an unknown name logs in as anonymous without a KDF
    // run: nothing to remember.
    auth::Authorizer a(users({{"alice", alice_hash, {}, std::nullopt}}, false));
    const auto login = a.authenticate_cached(basic("stranger", "x"));
    EXPECT_EQ(login.result, auth::LoginResult::ok);
    EXPECT_FALSE(login.user);
    EXPECT_FALSE(a.cached_login(basic("stranger", "x")));
}

TEST(AuthorizerCacheTest, ReloadForgetsEveryVerifiedPassword) {
    auth::Authorizer a(users({{"alice", alice_hash, {}, std::nullopt}, {"bob", bob_hash, {}, std::nullopt}}));
    ASSERT_EQ(a.authenticate_cached(basic("alice", "alicepw")).result, auth::LoginResult::ok);
    ASSERT_EQ(a.authenticate_cached(basic("bob", "bobpw")).result, auth::LoginResult::ok);
    ASSERT_TRUE(a.cached_login(basic("alice", "alicepw")));
    // alice's password becomes "bobpw"; bob is removed.
    a.reload(users({{"alice", bob_hash, {}, std::nullopt}}));
    EXPECT_FALSE(a.cached_login(basic("alice", "alicepw")));
    EXPECT_FALSE(a.cached_login(basic("bob", "bobpw")));
    EXPECT_EQ(a.authenticate_cached(basic("alice", "alicepw")).result, auth::LoginResult::bad_credentials);
    EXPECT_EQ(a.authenticate_cached(basic("bob", "bobpw")).result, auth::LoginResult::bad_credentials);
    EXPECT_EQ(a.authenticate_cached(basic("alice", "bobpw")).result, auth::LoginResult::ok);
    EXPECT_TRUE(a.cached_login(basic("alice", "bobpw")));
}

}  // namespace
