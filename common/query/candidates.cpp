#include "common/query/candidates.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

namespace harperrt::query {

namespace {

double normal(double d) { return d == 0.0 ? 0.0 : d; }  // -0.0 == 0.0: one key

bool lower(Op op) { return op == Op::gt || op == Op::ge; }
bool upper(Op op) { return op == Op::lt || op == Op::le; }

template <class K>
struct Bounds {
    std::optional<K> lo, hi;
    void raise(const K& v) {
        if (!lo || *lo < v) lo = v;
    }
    void cap(const K& v) {
        if (!hi || v < *hi) hi = v;
    }
};

}  // namespace

template <class K>
bool Candidates::Intervals<K>::hi_above(std::size_t i, const K& v) const {
    return items[i].hi_open_end || !(items[i].hi < v);
}

template <class K>
std::size_t Candidates::Intervals<K>::build(std::size_t node, std::size_t lo, std::size_t hi) {
    if (hi - lo == 1) return max_hi[node] = lo;
    const std::size_t mid = (lo + hi) / 2;
    const auto a = build(2 * node + 1, lo, mid);
    const auto b = build(2 * node + 2, mid, hi);
    const bool b_higher = items[b].hi_open_end || (!items[a].hi_open_end && items[a].hi < items[b].hi);
    return max_hi[node] = b_higher ? b : a;
}

template <class K>
void Candidates::Intervals<K>::build() {
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        if (a.lo_open_end != b.lo_open_end) return a.lo_open_end;
        return !a.lo_open_end && a.lo < b.lo;
    });
    max_hi.assign(items.empty() ? 0 : 4 * items.size(), 0);
    if (!items.empty()) build(0, 0, items.size());
}

template <class K>
void Candidates::Intervals<K>::stab(std::size_t node, std::size_t lo, std::size_t hi, std::size_t end, const K& v,
                                    std::vector<std::uint32_t>& out) const {
    if (lo >= end || !hi_above(max_hi[node], v)) return;
    if (hi - lo == 1) {
        out.push_back(items[lo].query);
        return;
    }
    const std::size_t mid = (lo + hi) / 2;
    stab(2 * node + 1, lo, mid, end, v, out);
    stab(2 * node + 2, mid, hi, end, v, out);
}

template <class K>
void Candidates::Intervals<K>::stab(const K& v, std::vector<std::uint32_t>& out) const {
    if (items.empty()) return;
    // Items whose lower bound is at most v: a prefix of the sorted items.
    const auto end = std::upper_bound(items.begin(), items.end(), v, [](const K& x, const Item& it) {
        return !it.lo_open_end && x < it.lo;
    });
    stab(0, 0, items.size(), static_cast<std::size_t>(end - items.begin()), v, out);
}

Candidates::Candidates(const std::vector<const Node*>& wheres, Slots& slots) : count_(wheres.size()) {
    auto per = [&](const std::string& attribute) -> PerSlot& {
        const auto s = slots.slot(attribute);
        if (slots_.size() <= s) slots_.resize(s + 1);
        return slots_[s];
    };
    for (std::uint32_t q = 0; q < wheres.size(); ++q) {
        const Node* where = wheres[q];
        std::vector<const Condition*> conjuncts;
        if (where != nullptr && where->kind == Node::Kind::condition) conjuncts.push_back(&where->condition);
        if (where != nullptr && where->kind == Node::Kind::all)
            for (const auto& child : where->children)
                if (child.kind == Node::Kind::condition) conjuncts.push_back(&child.condition);
        if (conjuncts.empty()) {
            always_.push_back(q);  // no condition, or a top-level '|'
            continue;
        }
        // 1. An equality: a point per reading.
        const auto eq = std::find_if(conjuncts.begin(), conjuncts.end(), [](const Condition* c) { return c->op == Op::eq; });
        if (eq != conjuncts.end()) {
            const auto& lit = (*eq)->value;
            auto& ps = per((*eq)->attribute);
            if (lit.number) ps.numbers[normal(*lit.number)].push_back(q);
            if (lit.text) ps.texts[*lit.text].push_back(q);
            if (lit.boolean) (*lit.boolean ? ps.trues : ps.falses).push_back(q);
            if (lit.null) ps.nulls.push_back(q);
            continue;
        }
        // 2. Number ranges on one attribute, merged into an interval.
        std::map<std::string, Bounds<double>> numbers;
        std::map<std::string, Bounds<std::string>> texts;
        for (const auto* c : conjuncts) {
            const auto& lit = c->value;
            if ((lower(c->op) || upper(c->op)) && lit.number) {
                auto& b = numbers[c->attribute];
                if (lower(c->op)) b.raise(*lit.number);
                else b.cap(*lit.number);
            } else if ((lower(c->op) || upper(c->op)) && lit.text) {
                auto& b = texts[c->attribute];
                if (lower(c->op)) b.raise(*lit.text);
                else b.cap(*lit.text);
            } else if (c->op == Op::sw && lit.text) {
                auto& b = texts[c->attribute];
                b.raise(*lit.text);
                if (auto end = prefix_end(*lit.text)) b.cap(*end);
            }
        }
        if (!numbers.empty()) {
            const auto& [attribute, b] = *numbers.begin();
            per(attribute).number_ranges.items.push_back({b.lo.value_or(0), b.hi.value_or(0), !b.lo, !b.hi, q});
        } else if (!texts.empty()) {
            const auto& [attribute, b] = *texts.begin();
            per(attribute).text_ranges.items.push_back({b.lo.value_or(""), b.hi.value_or(""), !b.lo, !b.hi, q});
        } else {
            always_.push_back(q);  // =ne=, =ct=, =ew= only
        }
    }
    for (auto& ps : slots_) {
        ps.number_ranges.build();
        ps.text_ranges.build();
    }
}

void Candidates::find(std::span<const encoding::Value* const> values, std::vector<std::uint32_t>& out) const {
    out.insert(out.end(), always_.begin(), always_.end());
    auto add = [&](const std::vector<std::uint32_t>& qs) { out.insert(out.end(), qs.begin(), qs.end()); };
    for (std::size_t s = 0; s < slots_.size() && s < values.size(); ++s) {
        const auto& ps = slots_[s];
        const encoding::Value* v = values[s];
        if (v == nullptr || v->is_null()) {
            add(ps.nulls);
        } else if (v->is_bool()) {
            add(v->as_bool() ? ps.trues : ps.falses);
        } else if (v->is_number()) {
            const double d = v->is_int64() ? static_cast<double>(v->as_int64())
                             : v->is_uint64() ? static_cast<double>(v->as_uint64())
                                              : v->as_double();
            if (std::isnan(d)) continue;
            if (auto it = ps.numbers.find(normal(d)); it != ps.numbers.end()) add(it->second);
            ps.number_ranges.stab(d, out);
        } else if (v->is_string()) {
            if (auto it = ps.texts.find(v->as_string()); it != ps.texts.end()) add(it->second);
            ps.text_ranges.stab(v->as_string(), out);
        }
    }
}

}  // namespace harperrt::query
