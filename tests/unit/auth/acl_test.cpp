#include "daemon/auth/acl.hpp"

#include <gtest/gtest.h>

namespace auth = harperrt::daemon::auth;
namespace config = harperrt::config;

namespace {

// Hash of "alicepw" with 1000 iterations.
constexpr const char* pw_hash = "$pbkdf2-sha256$i=1000$efO1TonTOWFM31YreAnfEQ$IeD8VIcienrUnuHUOyzVkhLMzWBYuKxViY2ajPu3SNc";

config::Config make_config() {
    config::Config c;
    c.roles["writer"].tables["Sensor"] = {true, true, false, false};
    c.roles["writer"].topics = {{"plant/%u/#", true, true}, {"plant/#", false, false}, {"own/%c", true, std::nullopt}};
    c.roles["nobody"].topics = {{"test/nosubscribe", std::nullopt, false}};
    c.users.push_back({"alice", pw_hash, {"writer"}, config::Format::cbor});
    c.users.push_back({"certonly", std::nullopt, {}, std::nullopt});
    return c;
}

TEST(AuthenticatorTest, PasswordsCertificatesAndAnonymous) {
    auto c = make_config();
    // The stored hash is of "alicepw".
    EXPECT_EQ(auth::authenticate(c, {"alice", "alicepw", std::nullopt}).result, auth::LoginResult::ok);
    EXPECT_EQ(auth::authenticate(c, {"alice", "alicepw", std::nullopt}).format, config::Format::cbor);
    EXPECT_EQ(auth::authenticate(c, {"alice", "nope", std::nullopt}).result, auth::LoginResult::bad_credentials);
    EXPECT_EQ(auth::authenticate(c, {"alice", std::nullopt, std::nullopt}).result, auth::LoginResult::bad_credentials);
    EXPECT_EQ(auth::authenticate(c, {"certonly", "x", std::nullopt}).result, auth::LoginResult::bad_credentials);
    // Anonymous allowed: an unknown name is anonymous.
    const auto unknown = auth::authenticate(c, {"stranger", "x", std::nullopt});
    EXPECT_EQ(unknown.result, auth::LoginResult::ok);
    EXPECT_FALSE(unknown.user);
    // Certificates: the CN is the user; a different user name is refused.
    EXPECT_EQ(auth::authenticate(c, {std::nullopt, std::nullopt, "certonly"}).user, "certonly");
    EXPECT_EQ(auth::authenticate(c, {"alice", std::nullopt, "certonly"}).result, auth::LoginResult::bad_credentials);
    c.mqtt.require_authentication = true;
    EXPECT_EQ(auth::authenticate(c, {}).result, auth::LoginResult::not_authorized);
    EXPECT_EQ(auth::authenticate(c, {"stranger", "x", std::nullopt}).result, auth::LoginResult::bad_credentials);
}

TEST(AclTest, TablePermissionsAreTheUnionOfRoles) {
    auth::Authorizer a(make_config());
    const auth::Identity alice{"alice", "c1"};
    EXPECT_TRUE(a.can_table(alice, "Sensor", auth::TableAction::read));
    EXPECT_TRUE(a.can_table(alice, "Sensor", auth::TableAction::insert_or_update));
    EXPECT_FALSE(a.can_table(alice, "Sensor", auth::TableAction::update));
    EXPECT_FALSE(a.can_table(alice, "Sensor", auth::TableAction::remove));
    EXPECT_FALSE(a.can_table(alice, "Other", auth::TableAction::read));
}

TEST(AclTest, FirstMatchingTopicRuleDecidesWithSubstitution) {
    auth::Authorizer a(make_config());
    const auth::Identity alice{"alice", "c1"};
    EXPECT_TRUE(a.can_topic(alice, "plant/alice/x", auth::TopicAction::publish));
    EXPECT_FALSE(a.can_topic(alice, "plant/bob/x", auth::TopicAction::publish));
    EXPECT_TRUE(a.can_topic(alice, "own/c1", auth::TopicAction::publish));
    EXPECT_TRUE(a.can_topic(alice, "own/c2", auth::TopicAction::subscribe)) << "no rule: defaultTopicAccess";
    EXPECT_TRUE(a.can_topic(alice, "elsewhere", auth::TopicAction::publish));
    // A user name with wildcard characters never widens a rule.
    const auth::Identity sneaky{"#", "c2"};
    EXPECT_TRUE(a.can_topic(sneaky, "plant/x", auth::TopicAction::publish)) << "sneaky has no roles";
}

TEST(AclTest, AnonymousRolesAndDefaultAccess) {
    auto c = make_config();
    const auth::Identity anon{std::nullopt, "c3"};
    {
        auth::Authorizer a(c);
        EXPECT_TRUE(a.can_table(anon, "Sensor", auth::TableAction::remove)) << "no anonymousRoles: everything";
    }
    c.anonymous_roles = {"nobody"};
    c.mqtt.default_topic_access = config::TopicAccess::deny;
    auth::Authorizer a(c);
    EXPECT_FALSE(a.can_table(anon, "Sensor", auth::TableAction::read));
    EXPECT_FALSE(a.can_topic(anon, "test/nosubscribe", auth::TopicAction::subscribe));
    EXPECT_FALSE(a.can_topic(anon, "test/other", auth::TopicAction::subscribe));
    c.mqtt.default_topic_access = config::TopicAccess::allow;
    a.reload(c);
    EXPECT_TRUE(a.can_topic(anon, "test/other", auth::TopicAction::subscribe));
    EXPECT_FALSE(a.can_topic(anon, "test/nosubscribe", auth::TopicAction::subscribe));
}

}  // namespace
