// util::SharedString: copies share one block (the characters are not copied), empty is no
// block at all, it compares and hashes by its characters (a map keyed by it is searched
// with a std::string_view), formats as its characters, and copies made and dropped on
// many threads at once free the block exactly once (ASan and TSan runs check that).
#include "common/util/shared_string.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace harperrt::util {
namespace {

TEST(SharedString, CopiesShareTheCharacters) {
    const std::string text = "mosq-4f1e6d0a9b2c7e55";  // longer than std::string's inline buffer
    SharedString a(text);
    SharedString b = a;
    EXPECT_EQ(a.view(), text);
    EXPECT_EQ(b.view().data(), a.view().data());  // one block, not two
    SharedString c(text);
    EXPECT_NE(c.view().data(), a.view().data());
    EXPECT_EQ(a, c);
    EXPECT_EQ(c.str(), text);
    SharedString moved = std::move(b);
    EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move): a moved-from one is empty
    EXPECT_EQ(moved.view().data(), a.view().data());
    EXPECT_EQ(sizeof(SharedString), sizeof(void*));
}

TEST(SharedString, EmptyHasNoBlock) {
    SharedString none;
    SharedString from_empty{std::string_view{}};
    EXPECT_TRUE(none.empty());
    EXPECT_TRUE(from_empty.empty());
    EXPECT_EQ(none.size(), 0u);
    EXPECT_EQ(none.view().data(), nullptr);
    EXPECT_EQ(none, from_empty);
    EXPECT_EQ(none.str(), "");
}

TEST(SharedString, MapKeyedByItIsSearchedWithAView) {
    std::unordered_map<SharedString, int, SharedString::Hash, SharedString::Equal> map;
    map[SharedString("alpha")] = 1;
    map[SharedString("beta")] = 2;
    const std::string probe = "beta";
    auto it = map.find(std::string_view(probe));
    ASSERT_NE(it, map.end());
    EXPECT_EQ(it->second, 2);
    EXPECT_EQ(map.find(std::string_view("gamma")), map.end());
    EXPECT_EQ(SharedString::Hash{}(SharedString("alpha")), std::hash<std::string_view>{}("alpha"));
    EXPECT_EQ(std::hash<SharedString>{}(SharedString("alpha")), std::hash<std::string_view>{}("alpha"));
}

TEST(SharedString, FormatsAsItsCharacters) {
    EXPECT_EQ(fmt::format("client {}!", SharedString("lg1-idle-i7")), "client lg1-idle-i7!");
    EXPECT_EQ(fmt::format("[{:>5}]", SharedString("ab")), "[   ab]");
}

TEST(SharedString, CopiesOnManyThreadsFreeTheBlockOnce) {
    SharedString original("shared across threads, long enough for a heap block");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([copy = original] {
            for (int i = 0; i < 20000; ++i) {
                SharedString again = copy;
                SharedString moved = std::move(again);
                if (moved.size() != copy.size()) std::abort();
            }
        });
    original = SharedString("replaced");  // the threads' copies keep the first block alive
    for (auto& t : threads) t.join();
    EXPECT_EQ(original.view(), "replaced");
}

}  // namespace
}  // namespace harperrt::util
