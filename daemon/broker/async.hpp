// Bridges a callback-style operation (the store's Completion<T>, invoked on the store's
// writer thread) into a coroutine: the caller suspends and resumes on its own executor
// (its connection's strand) with the result.
#pragma once

#include "daemon/store/store.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <utility>

namespace harperrt::daemon::broker {

// Calls start(done) with a store::Completion<T>; co_awaits the Result<T> passed to done.
// Pass a named callable (std::move(start)): gcc 12 destroys a non-trivial temporary that
// appears inside a co_await expression twice.
template <class T, class Start>
boost::asio::awaitable<Result<T>> async_complete(Start start) {
    namespace asio = boost::asio;
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(Result<T>)>(
        [start = std::move(start)](auto handler) mutable {
            auto executor = asio::get_associated_executor(handler);
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            start(store::Completion<T>([shared, executor](Result<T> result) {
                asio::post(executor, [shared, result = std::move(result)]() mutable { (*shared)(std::move(result)); });
            }));
        },
        asio::use_awaitable);
}

}  // namespace harperrt::daemon::broker
