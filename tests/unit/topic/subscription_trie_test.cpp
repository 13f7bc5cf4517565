// SubscriptionTrie: insert/replace/erase/prune, for_each, and match() against the
// reference topic::matches() on the shared table and on a randomized set (fixed seed).
#include "common/topic/subscription_trie.hpp"

#include "common/topic/topic.hpp"
#include "tests/unit/topic/match_cases.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace harperrt::topic {
namespace {

using Trie = SubscriptionTrie<std::string, int>;
using Hit = std::pair<std::string, int>;  // (key, value)

std::vector<Hit> match_all(const Trie& trie, std::string_view name) {
    std::vector<Hit> hits;
    trie.match(name, [&](const std::string& key, const int& value) { hits.emplace_back(key, value); });
    std::sort(hits.begin(), hits.end());
    return hits;
}

TEST(TopicTrie, AgreesWithReferenceTable) {
    for (const auto& c : test::match_cases) {
        Trie trie;
        ASSERT_TRUE(trie.insert(c.filter, "client", 1));
        const auto hits = match_all(trie, c.name);
        EXPECT_EQ(hits.size(), c.match ? 1U : 0U) << "filter \"" << c.filter << "\" name \"" << c.name << '"';
    }
}

TEST(TopicTrie, InsertReplacesValueOfSameKey) {
    Trie trie;
    EXPECT_TRUE(trie.empty());
    EXPECT_TRUE(trie.insert("a/+", "c1", 1));
    EXPECT_FALSE(trie.insert("a/+", "c1", 2));  // same (filter, key): value replaced
    EXPECT_TRUE(trie.insert("a/+", "c2", 3));
    EXPECT_TRUE(trie.insert("a/#", "c1", 4));   // another filter of the same key
    EXPECT_EQ(trie.size(), 3U);
    EXPECT_EQ(match_all(trie, "a/b"), (std::vector<Hit>{{"c1", 2}, {"c1", 4}, {"c2", 3}}));
    ASSERT_NE(trie.find("a/+", "c1"), nullptr);
    EXPECT_EQ(*trie.find("a/+", "c1"), 2);
    EXPECT_EQ(trie.find("a/+", "c3"), nullptr);
    EXPECT_EQ(trie.find("a", "c1"), nullptr);
    EXPECT_EQ(trie.find("a/b", "c1"), nullptr);
}

TEST(TopicTrie, EachFilterKeyPairIsVisitedOnce) {
    Trie trie;
    // Several filters match "a/b" through different paths; each must appear exactly once.
    for (std::string_view f : {"#", "a/#", "a/b/#", "+/b", "a/+", "+/+", "+/#", "a/b", "+/+/#"})
        trie.insert(f, std::string(f), 0);
    std::vector<std::string> keys;
    trie.match("a/b", [&](const std::string& key, const int&) { keys.push_back(key); });
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(keys, (std::vector<std::string>{"#", "+/#", "+/+", "+/+/#", "+/b", "a/#", "a/+", "a/b", "a/b/#"}));
}

TEST(TopicTrie, DollarTopicsSkipRootWildcards) {
    Trie trie;
    trie.insert("#", "all", 0);
    trie.insert("+/x", "plus", 0);
    trie.insert("$SYS/#", "sys", 0);
    trie.insert("$SYS/+", "sysplus", 0);
    EXPECT_EQ(match_all(trie, "$SYS/x"), (std::vector<Hit>{{"sys", 0}, {"sysplus", 0}}));
    EXPECT_EQ(match_all(trie, "$SYS"), (std::vector<Hit>{{"sys", 0}}));
    EXPECT_EQ(match_all(trie, "a/x"), (std::vector<Hit>{{"all", 0}, {"plus", 0}}));
}

TEST(TopicTrie, EraseReturnsWhetherSubscribedAndPrunes) {
    Trie trie;
    EXPECT_EQ(trie.node_count(), 1U);  // the root
    trie.insert("a/b/c", "k", 1);
    EXPECT_EQ(trie.node_count(), 4U);
    trie.insert("a/b/+/#", "k", 1);
    EXPECT_EQ(trie.node_count(), 6U);
    trie.insert("a", "k", 1);
    EXPECT_EQ(trie.node_count(), 6U);  // "a" already exists as a prefix

    EXPECT_FALSE(trie.erase("a/b/c", "other"));  // not subscribed
    EXPECT_FALSE(trie.erase("a/b", "k"));        // a node, but no entry
    EXPECT_FALSE(trie.erase("x/y", "k"));        // no node
    EXPECT_EQ(trie.node_count(), 6U);

    EXPECT_TRUE(trie.erase("a/b/+/#", "k"));
    EXPECT_FALSE(trie.erase("a/b/+/#", "k"));
    EXPECT_EQ(trie.node_count(), 4U);  // '+' and '#' pruned, "a/b/c" keeps the rest
    EXPECT_TRUE(trie.erase("a/b/c", "k"));
    EXPECT_EQ(trie.node_count(), 2U);  // only "a" is left, it has an entry
    EXPECT_EQ(match_all(trie, "a"), (std::vector<Hit>{{"k", 1}}));
    EXPECT_TRUE(trie.erase("a", "k"));
    EXPECT_EQ(trie.node_count(), 1U);
    EXPECT_EQ(trie.size(), 0U);
    EXPECT_TRUE(trie.empty());
}

TEST(TopicTrie, PruningStopsAtSharedNodes) {
    Trie trie;
    trie.insert("a/b", "k1", 1);
    trie.insert("a/b", "k2", 1);
    trie.insert("a/c", "k1", 1);
    EXPECT_EQ(trie.node_count(), 4U);
    EXPECT_TRUE(trie.erase("a/b", "k1"));
    EXPECT_EQ(trie.node_count(), 4U);  // "a/b" still has k2
    EXPECT_TRUE(trie.erase("a/b", "k2"));
    EXPECT_EQ(trie.node_count(), 3U);  // "a/b" gone, "a" still leads to "a/c"
    EXPECT_EQ(match_all(trie, "a/b"), std::vector<Hit>{});
    EXPECT_EQ(match_all(trie, "a/c"), (std::vector<Hit>{{"k1", 1}}));
}

TEST(TopicTrie, ForEachRebuildsFilters) {
    Trie trie;
    const std::vector<std::string> filters = {"a", "a/b", "/", "//", "", "+", "#", "+/#", "a//+", "$SYS/#", "a/"};
    int value = 0;
    for (const auto& f : filters) {
        if (f.empty()) continue;  // "" is not a valid filter
        trie.insert(f, "k" + f, value++);
    }
    trie.insert("a/b", "other", 99);
    std::set<std::tuple<std::string, std::string, int>> seen;
    trie.for_each([&](std::string_view filter, const std::string& key, const int& v) {
        EXPECT_TRUE(seen.emplace(std::string(filter), key, v).second);
    });
    std::set<std::tuple<std::string, std::string, int>> expected;
    value = 0;
    for (const auto& f : filters) {
        if (f.empty()) continue;
        expected.emplace(f, "k" + f, value++);
    }
    expected.emplace("a/b", "other", 99);
    EXPECT_EQ(seen, expected);
}

TEST(TopicTrie, ClearAndMove) {
    Trie trie;
    trie.insert("a/#", "k", 1);
    Trie moved = std::move(trie);
    EXPECT_EQ(match_all(moved, "a/b"), (std::vector<Hit>{{"k", 1}}));
    moved.clear();
    EXPECT_TRUE(moved.empty());
    EXPECT_EQ(moved.node_count(), 1U);
    EXPECT_EQ(match_all(moved, "a/b"), std::vector<Hit>{});
}

TEST(TopicTrie, PointerKeysAndMoveOnlyValues) {
    // The broker may key by a session pointer and store a move-only payload.
    SubscriptionTrie<const void*, std::unique_ptr<int>> trie;
    int s1 = 0;
    int s2 = 0;
    EXPECT_TRUE(trie.insert("x/+", &s1, std::make_unique<int>(1)));
    EXPECT_TRUE(trie.insert("x/+", &s2, std::make_unique<int>(2)));
    EXPECT_FALSE(trie.insert("x/+", &s1, std::make_unique<int>(3)));
    int sum = 0;
    trie.match("x/y", [&](const void* const&, const std::unique_ptr<int>& v) { sum += *v; });
    EXPECT_EQ(sum, 5);
}

TEST(TopicTrie, DeepFiltersNeedNoRecursion) {
    // The longest valid filter has 32768 levels; match and erase must not overflow a stack.
    std::string deep = "+";
    for (int i = 0; i < 32767; ++i) deep += "/+";
    ASSERT_TRUE(validate_topic_filter(deep));
    std::string name = "a";
    for (int i = 0; i < 32767; ++i) name += "/a";
    Trie trie;
    trie.insert(deep, "k", 1);
    trie.insert("#", "all", 2);
    EXPECT_EQ(match_all(trie, name), (std::vector<Hit>{{"all", 2}, {"k", 1}}));
    std::size_t visited = 0;
    trie.for_each([&](std::string_view f, const std::string&, const int&) { visited += f.size(); });
    EXPECT_EQ(visited, deep.size() + 1);
    EXPECT_TRUE(trie.erase(deep, "k"));
    EXPECT_EQ(trie.node_count(), 2U);
}

// Random filters and names over a small alphabet, so that matches are frequent and every
// corner (empty levels, '$', '#' as parent, '+' on empty) shows up.
class RandomTopics {
public:
    explicit RandomTopics(std::uint32_t seed) : rng_(seed) {}

    std::string name() {
        static const std::vector<std::string> levels = {"a", "b", "c", "", "$SYS", "$x"};
        std::string n = join(levels, pick(1, 4));
        return n.empty() ? "a" : n;  // a single empty level is not a valid name
    }
    std::string filter() {
        static const std::vector<std::string> levels = {"a", "b", "", "+", "+", "$SYS"};
        const std::size_t n = pick(0, 4);
        std::string f = join(levels, n);
        if (pick(0, 2) == 0) f += n == 0 ? "#" : "/#";  // "" + "/#" is "/#": empty first level
        return f.empty() ? "+" : f;
    }
    std::size_t pick(std::size_t lo, std::size_t hi) { return std::uniform_int_distribution<std::size_t>(lo, hi)(rng_); }

private:
    std::string join(const std::vector<std::string>& levels, std::size_t n) {
        std::string out;
        for (std::size_t i = 0; i < n; ++i) {
            if (i > 0) out += '/';
            out += levels[pick(0, levels.size() - 1)];
        }
        return out;
    }
    std::mt19937 rng_;
};

// Every (filter, key) whose filter matches `name`, from the reference rule.
std::vector<Hit> reference(const std::map<std::pair<std::string, std::string>, int>& subs, std::string_view name) {
    std::vector<Hit> hits;
    for (const auto& [fk, value] : subs)
        if (matches(fk.first, name)) hits.emplace_back(fk.second, value);
    std::sort(hits.begin(), hits.end());
    return hits;
}

TEST(TopicTrie, RandomizedAgreesWithMatches) {
    RandomTopics gen(20240517);
    Trie trie;
    std::map<std::pair<std::string, std::string>, int> subs;  // (filter, key) → value
    int next_value = 0;
    std::vector<std::string> names;
    for (int i = 0; i < 200; ++i) names.push_back(gen.name());

    const auto check_all = [&] {
        ASSERT_EQ(trie.size(), subs.size());
        std::size_t hits = 0;
        for (const auto& n : names) {
            ASSERT_TRUE(validate_topic_name(n)) << n;
            // Values are unique per insert, so (key, value) identifies the (filter, key) pair.
            const auto expected = reference(subs, n);
            ASSERT_EQ(match_all(trie, n), expected) << "name \"" << n << '"';
            hits += expected.size();
        }
        EXPECT_GT(hits, names.size() * 5);  // the alphabet is small enough to match often
    };

    for (int i = 0; i < 600; ++i) {
        const std::string f = gen.filter();
        ASSERT_TRUE(validate_topic_filter(f)) << f;
        const std::string key = "c" + std::to_string(gen.pick(0, 9));
        const int value = next_value++;
        const bool fresh = subs.insert_or_assign({f, key}, value).second;
        EXPECT_EQ(trie.insert(f, key, value), fresh) << f << ' ' << key;
    }
    check_all();

    // Erase about half, re-check; then everything, which must prune back to the root.
    std::vector<std::pair<std::string, std::string>> all;
    for (const auto& [fk, v] : subs) all.push_back(fk);
    std::shuffle(all.begin(), all.end(), std::mt19937(7));
    for (std::size_t i = 0; i < all.size() / 2; ++i) {
        EXPECT_TRUE(trie.erase(all[i].first, all[i].second));
        subs.erase(all[i]);
    }
    check_all();
    std::size_t count = 0;
    trie.for_each([&](std::string_view f, const std::string& k, const int& v) {
        ++count;
        auto it = subs.find({std::string(f), k});
        ASSERT_NE(it, subs.end()) << f << ' ' << k;
        EXPECT_EQ(it->second, v);
    });
    EXPECT_EQ(count, subs.size());
    for (std::size_t i = all.size() / 2; i < all.size(); ++i) EXPECT_TRUE(trie.erase(all[i].first, all[i].second));
    EXPECT_EQ(trie.size(), 0U);
    EXPECT_EQ(trie.node_count(), 1U);
}

}  // namespace
}  // namespace harperrt::topic
