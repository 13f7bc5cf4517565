// SubscriptionTrie: the broker's index from topic filters to subscribers. It answers
// "who subscribed to something matching this topic name?" in time proportional to the
// name's levels and the answer, not to the number of subscriptions, and agrees exactly with
// topic::matches().
//
// Design notes
//  1. One node per distinct filter prefix, one level per edge. A node has literal children
//     in a hash map (transparent lookup: matching a name never builds a std::string), and
//     separate slots for its '+' and '#' children, so a wildcard never needs a lookup.
//     The root stands before the first level: "a" is root→"a", "/" is root→""→"".
//  2. A node holds the entries (Key → Value) of the filter that ends there. A '#' node is
//     always a leaf: '#' is the last level of a valid filter.
//  3. A (filter, key) pair is stored at most once; insert replaces the value. A node that
//     has no entries and no children is removed by erase, so the trie's size follows the
//     live subscriptions (node_count() shows it).
//  4. match() walks the name's levels depth-first with an explicit stack (inline storage
//     for 32 frames, so nothing is allocated unless more than 32 branches are pending).
//     Each node is reached along one path only, so each (filter, key) is visited once.
//     Nothing recurses: a valid filter can have 32768 levels, too deep for a call stack.
//  5. `$` names: at the root, '+' and '#' children are skipped for a name starting with
//     '$' [MQTT-4.7.2-1]; "$SYS/#" still matches through the literal "$SYS" child.
//
// Complexity (L = levels in the name or filter, M = entries visited):
//  - insert, erase, find: O(L) hash lookups, O(1) expected per level.
//  - match: O(P + M), P = trie nodes whose filter prefix matches a prefix of the name.
//    P ≤ (L + 1) for filters without '+'; each '+' level can at most double the branches
//    still alive, and P never exceeds the number of nodes.
//  - for_each: O(nodes + entries); one string buffer, grown and cut back in place.
//
// Not thread-safe: the router serialises every call with its mutex. The trie stores
// filters without `$share/NAME/` (the router keys shared entries by group, e.g. Key =
// {group, client}). Requires for every `filter` argument: validate_topic_filter succeeds;
// for every `topic_name`: validate_topic_name succeeds.
#pragma once

#include "common/topic/levels.hpp"
#include "common/topic/string_hash.hpp"

#include <boost/container/small_vector.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace harperrt::topic {

template <class Key, class Value, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>>
class SubscriptionTrie {
public:
    SubscriptionTrie() = default;
    SubscriptionTrie(const SubscriptionTrie&) = delete;
    SubscriptionTrie& operator=(const SubscriptionTrie&) = delete;
    SubscriptionTrie(SubscriptionTrie&&) noexcept = default;
    SubscriptionTrie& operator=(SubscriptionTrie&&) noexcept = default;
    ~SubscriptionTrie() = default;

    // Subscribes `key` to `filter` with `value`. Returns true if the pair is new; false if
    // `key` already had `filter`, in which case its value is replaced (a re-SUBSCRIBE with
    // new options, v5 [MQTT-3.8.4-3]).
    bool insert(std::string_view filter, const Key& key, Value value) {
        Node* node = &root_;
        for (std::string_view level : Levels(filter)) {
            std::unique_ptr<Node>* slot = nullptr;
            if (level == "+") {
                slot = &node->plus;
            } else if (level == "#") {
                slot = &node->hash;
            } else if (auto it = node->children.find(level); it != node->children.end()) {
                slot = &it->second;
            } else {
                slot = &node->children.emplace(std::string(level), nullptr).first->second;
            }
            if (!*slot) {
                *slot = std::make_unique<Node>();
                ++nodes_;
            }
            node = slot->get();
        }
        auto [it, inserted] = node->entries.try_emplace(key, std::move(value));
        if (!inserted) {
            it->second = std::move(value);  // try_emplace left `value` untouched
            return false;
        }
        ++size_;
        return true;
    }

    // Unsubscribes `key` from `filter`. Returns false if it was not subscribed. Removes the
    // nodes that no longer lead to any entry.
    bool erase(std::string_view filter, const Key& key) {
        struct Step {
            Node* parent;
            std::string_view level;
        };
        std::vector<Step> path;
        Node* node = &root_;
        for (std::string_view level : Levels(filter)) {
            Node* child = child_of(*node, level);
            if (!child) return false;
            path.push_back({node, level});
            node = child;
        }
        if (node->entries.erase(key) == 0) return false;
        --size_;
        // Prune bottom-up: stop at the first node still in use.
        while (!path.empty() && node->unused()) {
            const Step step = path.back();
            path.pop_back();
            remove_child(*step.parent, step.level);
            --nodes_;
            node = step.parent;
        }
        return true;
    }

    // The value `key` subscribed to `filter` with, or nullptr.
    const Value* find(std::string_view filter, const Key& key) const {
        const Node* node = &root_;
        for (std::string_view level : Levels(filter)) {
            node = child_of(*node, level);
            if (!node) return nullptr;
        }
        auto it = node->entries.find(key);
        return it == node->entries.end() ? nullptr : &it->second;
    }

    // Calls visit(const Key&, const Value&) once for every (filter, key) whose filter
    // matches `topic_name`, in no particular order. `visit` must not modify the trie.
    template <class F>
    void match(std::string_view topic_name, F&& visit) const {
        struct Frame {
            const Node* node;
            LevelIterator level;  // the name's next level to consume; end: all consumed
        };
        const bool dollar = !topic_name.empty() && topic_name.front() == '$';
        boost::container::small_vector<Frame, 32> stack;
        stack.push_back({&root_, LevelIterator(topic_name)});
        while (!stack.empty()) {
            const Frame frame = stack.back();
            stack.pop_back();
            const Node& node = *frame.node;
            if (frame.level == LevelIterator()) {
                // The name ends here: filters ending here match, and "x/#" matches "x"
                // (v5 [MQTT-4.7.1-1], v3.1.1 [MQTT-4.7.1-2]).
                visit_entries(node, visit);
                if (node.hash) visit_entries(*node.hash, visit);
                continue;
            }
            const bool wildcards = !(dollar && frame.node == &root_);  // [MQTT-4.7.2-1]
            if (wildcards && node.hash) visit_entries(*node.hash, visit);
            auto next = frame.level;
            ++next;
            if (wildcards && node.plus) stack.push_back({node.plus.get(), next});
            if (auto it = node.children.find(*frame.level); it != node.children.end())
                stack.push_back({it->second.get(), next});
        }
    }

    // Calls visit(std::string_view filter, const Key&, const Value&) for every entry, in
    // no particular order (e.g. to persist a session's subscriptions). The view is valid
    // only during the call. `visit` must not modify the trie.
    template <class F>
    void for_each(F&& visit) const {
        std::string filter;  // the path to the node on top of the stack, built in place
        std::vector<Cursor> stack;
        stack.push_back(Cursor(root_, 0));
        while (!stack.empty()) {
            std::string_view level;
            const Node* child = stack.back().next(level);
            if (!child) {
                stack.pop_back();
                continue;
            }
            filter.resize(stack.back().filter_size);
            if (stack.size() > 1) filter += '/';  // the root's children are first levels
            filter += level;
            for (const auto& [key, value] : child->entries) visit(std::string_view(filter), key, value);
            stack.push_back(Cursor(*child, filter.size()));
        }
    }

    // Number of (filter, key) entries.
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    // Number of nodes, the root included (1 when empty): for metrics and tests.
    std::size_t node_count() const noexcept { return nodes_; }

    void clear() noexcept {
        root_ = Node{};
        size_ = 0;
        nodes_ = 1;
    }

private:
    struct Node;
    using Children = std::unordered_map<std::string, std::unique_ptr<Node>, StringHash, std::equal_to<>>;

    struct Node {
        Children children;
        std::unique_ptr<Node> plus;  // the '+' child
        std::unique_ptr<Node> hash;  // the '#' child, always a leaf
        std::unordered_map<Key, Value, Hash, KeyEqual> entries;  // the filter ending here

        bool unused() const noexcept { return entries.empty() && children.empty() && !plus && !hash; }
    };

    static Node* child_of(const Node& node, std::string_view level) {
        if (level == "+") return node.plus.get();
        if (level == "#") return node.hash.get();
        auto it = node.children.find(level);
        return it == node.children.end() ? nullptr : it->second.get();
    }

    static void remove_child(Node& node, std::string_view level) {
        if (level == "+") {
            node.plus.reset();
        } else if (level == "#") {
            node.hash.reset();
        } else if (auto it = node.children.find(level); it != node.children.end()) {
            node.children.erase(it);
        }
    }

    template <class F>
    static void visit_entries(const Node& node, F& visit) {
        for (const auto& [key, value] : node.entries) visit(key, value);
    }

    // for_each's position among one node's children: the literal ones, then '+', then '#'.
    class Cursor {
    public:
        Cursor(const Node& node, std::size_t size) : filter_size(size), node_(&node), it_(node.children.begin()) {}
        // The next child and its level, or nullptr when all were returned.
        const Node* next(std::string_view& level) {
            if (it_ != node_->children.end()) {
                level = it_->first;
                return (it_++)->second.get();
            }
            if (stage_ == 0) {
                stage_ = 1;
                if (node_->plus) {
                    level = "+";
                    return node_->plus.get();
                }
            }
            if (stage_ == 1) {
                stage_ = 2;
                if (node_->hash) {
                    level = "#";
                    return node_->hash.get();
                }
            }
            return nullptr;
        }
        std::size_t filter_size;  // length of the node's own filter

    private:
        const Node* node_;
        typename Children::const_iterator it_;
        int stage_ = 0;
    };

    Node root_;
    std::size_t size_ = 0;
    std::size_t nodes_ = 1;
};

}  // namespace harperrt::topic
