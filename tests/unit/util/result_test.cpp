#include "common/util/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace harperrt {
namespace {

Result<int> parse_digit(char c) {
    if (c < '0' || c > '9') return error(boost::system::errc::make_error_code(boost::system::errc::invalid_argument));
    return c - '0';
}

TEST(Result, HoldsValue) {
    auto r = parse_digit('7');
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 7);
    EXPECT_FALSE(r.error());
}

TEST(Result, HoldsError) {
    auto r = parse_digit('x');
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.has_error());
    EXPECT_EQ(r.error(), boost::system::errc::invalid_argument);
}

TEST(Result, MovesOnlyTypes) {
    Result<std::unique_ptr<std::string>> r = std::make_unique<std::string>("x");
    ASSERT_TRUE(r);
    auto p = std::move(r).value();
    EXPECT_EQ(*p, "x");
}

TEST(Result, VoidResult) {
    Result<void> good = ok();
    EXPECT_TRUE(good);
    Result<void> bad = error(boost::system::errc::make_error_code(boost::system::errc::io_error));
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.error(), boost::system::errc::io_error);
}

}  // namespace
}  // namespace harperrt
