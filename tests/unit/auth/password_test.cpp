#include "daemon/auth/password.hpp"

#include <gtest/gtest.h>

#include "common/config/config.hpp"

namespace auth = harperrt::daemon::auth;

namespace {

TEST(PasswordTest, HashHasPhcShapeAndIsAcceptedByConfig) {
    const auto h = auth::hash_password("s3cret");
    EXPECT_EQ(h.rfind("$pbkdf2-sha256$i=210000$", 0), 0u) << h;
    EXPECT_TRUE(harperrt::config::is_password_hash(h)) << h;
    EXPECT_EQ(h.find('='), h.find("i=") + 1) << "no base64 padding: " << h;
}

TEST(PasswordTest, VerifiesCorrectPasswordOnly) {
    const auto h = auth::hash_password("s3cret");
    EXPECT_TRUE(auth::verify_password("s3cret", h));
    EXPECT_FALSE(auth::verify_password("s3cret ", h));
    EXPECT_FALSE(auth::verify_password("", h));
}

TEST(PasswordTest, SaltIsRandom) {
    EXPECT_NE(auth::hash_password("x"), auth::hash_password("x"));
}

TEST(PasswordTest, EmptyPasswordRoundTrips) {
    EXPECT_TRUE(auth::verify_password("", auth::hash_password("")));
}

TEST(PasswordTest, KnownVectorWithLowIterationCount) {
    // PBKDF2-HMAC-SHA256("password", "salt", 1, 32) from RFC 7914 §11 style test vectors:
    // 120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b.
    // salt "salt" = c2FsdA, key base64 below.
    EXPECT_TRUE(auth::verify_password("password", "$pbkdf2-sha256$i=1$c2FsdA$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs"));
    EXPECT_FALSE(auth::verify_password("passw0rd", "$pbkdf2-sha256$i=1$c2FsdA$Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs"));
}

TEST(PasswordTest, MalformedHashesAreFalse) {
    for (const char* bad : {"", "s3cret", "$pbkdf2-sha256$", "$pbkdf2-sha256$i=$c2FsdA$AAAA",
                            "$pbkdf2-sha256$i=0$c2FsdA$AAAA", "$pbkdf2-sha256$i=01$c2FsdA$AAAA",
                            "$pbkdf2-sha256$i=1x$c2FsdA$AAAA", "$pbkdf2-sha256$i=1$$AAAA",
                            "$pbkdf2-sha256$i=1$c2FsdA$", "$pbkdf2-sha256$i=1$c2F*dA$AAAA",
                            "$pbkdf2-sha256$i=99999999999$c2FsdA$AAAA", "$pbkdf2-sha1$i=1$c2FsdA$AAAA",
                            "$scrypt$ln=4,r=8,p=1$c2FsdA$AAAA", "$pbkdf2-sha256$i=1$c2FsdA$A"}) {
        EXPECT_FALSE(auth::verify_password("password", bad)) << bad;
    }
}

}  // namespace
