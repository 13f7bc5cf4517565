// Candidates: which queries of a set can match a record, found without evaluating them all.
// For each query one top-level condition (the whole condition, or one operand of a
// top-level '&') is its anchor, indexed by attribute:
//   - an equality, under each reading of its literal (number, text, boolean, null);
//   - ranges (=gt= =ge= =lt= =le=) with a number, merged per attribute into one interval
//     (`n=ge=10&n=lt=20` is [10, 20]); ranges with a text literal and `=sw=` prefixes as
//     text intervals.
// A record is then looked up by its attribute values: a hash lookup per equality anchor,
// and a stabbing query per interval set (intervals sorted by lower bound with a max-tree
// of upper bounds: O(log n + k)). Queries without an anchor (`=ne=`, `=ct=`, `=ew=`, or a
// top-level '|') are candidates for every record.
//
// The lookup returns a superset: every query that matches is a candidate (bounds are
// taken inclusively and integers as doubles, which only widens them), and the caller still
// evaluates each candidate's predicate. Immutable after construction; thread-safe.
#pragma once

#include "common/query/query.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace harperrt::query {

class Candidates {
public:
    Candidates() = default;
    // `wheres[i]`: the condition of query i, nullptr when it has none (then it matches
    // every record and is always a candidate). Attribute names are resolved in `slots`,
    // the Slots the caller extracts record values with.
    Candidates(const std::vector<const Node*>& wheres, Slots& slots);

    // Adds to `out` (unsorted, possibly repeated) the queries that may match a record
    // whose values per slot are `values` (from Slots::extract).
    void find(std::span<const encoding::Value* const> values, std::vector<std::uint32_t>& out) const;

    std::size_t size() const noexcept { return count_; }

private:
    template <class K>
    struct Intervals {
        struct Item {
            K lo, hi;
            bool lo_open_end = false;  // no lower bound
            bool hi_open_end = false;  // no upper bound
            std::uint32_t query;
        };
        std::vector<Item> items;  // by lo
        std::vector<std::size_t> max_hi;  // segment tree over items: index of the max hi
        void build();
        void stab(const K& v, std::vector<std::uint32_t>& out) const;

    private:
        bool hi_above(std::size_t i, const K& v) const;
        void stab(std::size_t node, std::size_t lo, std::size_t hi, std::size_t end, const K& v,
                  std::vector<std::uint32_t>& out) const;
        std::size_t build(std::size_t node, std::size_t lo, std::size_t hi);
    };
    struct PerSlot {
        std::unordered_map<double, std::vector<std::uint32_t>> numbers;  // -0.0 stored as 0.0
        std::unordered_map<std::string, std::vector<std::uint32_t>> texts;
        std::vector<std::uint32_t> trues, falses, nulls;  // null: absent or null
        Intervals<double> number_ranges;
        Intervals<std::string> text_ranges;
    };

    std::vector<PerSlot> slots_;            // by slot number
    std::vector<std::uint32_t> always_;     // queries without an anchor
    std::size_t count_ = 0;
};

}  // namespace harperrt::query
