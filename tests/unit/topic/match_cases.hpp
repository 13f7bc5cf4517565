// The (filter, name, match?) table that both topic::matches() and SubscriptionTrie::match
// must satisfy (STYLE.md §9): the spec's examples, `$` names, empty levels, '#' rules and
// '+' at each position. Every filter and name in it is valid.
#pragma once

#include <string_view>
#include <vector>

namespace harperrt::topic::test {

struct MatchCase {
    std::string_view filter;
    std::string_view name;
    bool match;
};

inline const std::vector<MatchCase> match_cases = {
    // The spec's examples (v3.1.1 and v5 §4.7.1.2, §4.7.1.3, §4.7.2).
    {"sport/tennis/player1/#", "sport/tennis/player1", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
    {"sport/#", "sport", true},                           // '#' includes the parent level
    {"sport/tennis/+", "sport/tennis/player1", true},
    {"sport/tennis/+", "sport/tennis/player2", true},
    {"sport/tennis/+", "sport/tennis/player1/ranking", false},
    {"sport/+", "sport", false},
    {"sport/+", "sport/", true},                          // '+' matches an empty level
    {"+/+", "/finance", true},
    {"/+", "/finance", true},
    {"+", "/finance", false},
    {"#", "$SYS/monitor/Clients", false},                 // [MQTT-4.7.2-1]
    {"+/monitor/Clients", "$SYS/monitor/Clients", false}, // [MQTT-4.7.2-1]
    {"$SYS/#", "$SYS/monitor/Clients", true},
    {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
    // '$' rule only looks at the first character of the name and the filter.
    {"#", "$", false},
    {"+", "$SYS", false},
    {"+/#", "$SYS/x", false},
    {"$SYS", "$SYS", true},
    {"$SYS/#", "$SYS", true},
    {"+/$SYS", "a/$SYS", true},
    {"a/#", "a/$x", true},
    {"a/+", "a/$x", true},
    {"#", "a$", true},
    // Literal matching is exact: case, empty levels, trailing '/'.
    {"a/b", "a/b", true},
    {"a/b", "A/b", false},
    {"a/b", "a/b/", false},
    {"a/b/", "a/b", false},
    {"a/b/", "a/b/", true},
    {"a//b", "a//b", true},
    {"a//b", "a/b", false},
    {"/", "/", true},
    {"/", "//", false},
    {"a", "ab", false},
    {"ab", "a", false},
    // '+' at each position.
    {"+/b/c", "a/b/c", true},
    {"a/+/c", "a/b/c", true},
    {"a/b/+", "a/b/c", true},
    {"+/+/+", "a/b/c", true},
    {"+/+", "a/b/c", false},
    {"+/+/+/+", "a/b/c", false},
    {"a/+/c", "a//c", true},
    {"a/+/c", "a/c", false},
    {"+/b", "/b", true},
    {"+", "a", true},
    {"+", "a/b", false},
    {"+/", "a/", true},
    {"+/", "a", false},
    {"+/+", "/", true},
    {"+", "/", false},
    // '#' rules.
    {"#", "a", true},
    {"#", "/", true},
    {"#", "a/b/c", true},
    {"#", "//", true},
    {"/#", "/", true},
    {"/#", "//x", true},
    {"/#", "a", false},
    {"a/#", "a/", true},
    {"a/#", "ab", false},
    {"a/#", "b/a", false},
    {"+/#", "a", true},
    {"+/#", "a/b/c", true},
    {"a/+/#", "a", false},
    {"a/+/#", "a/b", true},
    {"a/+/#", "a/b/c/d", true},
    {"a/b/#", "a/b", true},
    {"a/b/#", "a/c", false},
};

}  // namespace harperrt::topic::test
