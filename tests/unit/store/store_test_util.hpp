// Helpers for the store tests: a temporary directory per test and synchronous wrappers
// that wait for a write's completion.
#pragma once

#include "daemon/store/sqlite_store.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace harperrt::daemon::store::test {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base && *base ? base : "/tmp") + "/harperrt-store-XXXXXX";
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline TableSpec string_table(std::string name, std::vector<std::string> indexes = {}) {
    return TableSpec{std::move(name), KeyType::string, "id", std::move(indexes)};
}

inline TableSpec integer_table(std::string name, std::vector<std::string> indexes = {}) {
    return TableSpec{std::move(name), KeyType::integer, "id", std::move(indexes)};
}

inline Options options_in(const TempDir& dir, std::vector<TableSpec> tables) {
    Options o;
    o.path = dir.path() / "db" / "harperrt.db";
    o.sync = SyncMode::normal;  // durable against process crashes; keeps the tests fast
    o.tables = std::move(tables);
    return o;
}

inline std::unique_ptr<SqliteStore> open_or_fail(const Options& options) {
    auto store = SqliteStore::open(options);
    if (!store) {
        ADD_FAILURE() << "open: " << store.error().message();
        return nullptr;
    }
    return std::move(*store);
}

// Waits for one completion.
template <class T>
class Waiter {
public:
    Completion<T> callback() {
        return [this](Result<T> r) { promise_.set_value(std::move(r)); };
    }
    Result<T> get() { return future_.get(); }

private:
    std::promise<Result<T>> promise_;
    std::future<Result<T>> future_ = promise_.get_future();
};

inline Result<Record> put(Store& s, RecordKey key, std::string data, std::vector<IndexValue> index_values = {}) {
    Waiter<Record> w;
    s.put(std::move(key), std::move(data), std::move(index_values), w.callback());
    return w.get();
}

inline Result<Removed> remove(Store& s, RecordKey key) {
    Waiter<Removed> w;
    s.remove(std::move(key), w.callback());
    return w.get();
}

inline Result<void> kv_put(Store& s, std::string ns, std::string key, std::string value) {
    Waiter<void> w;
    s.kv_put(std::move(ns), std::move(key), std::move(value), w.callback());
    return w.get();
}

inline Result<std::vector<WriteOutcome>> write(Store& s, WriteBatch batch) {
    Waiter<std::vector<WriteOutcome>> w;
    s.write(std::move(batch), w.callback());
    return w.get();
}

inline std::vector<std::string> ids(const std::vector<Record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.key.id);
    return out;
}

}  // namespace harperrt::daemon::store::test
