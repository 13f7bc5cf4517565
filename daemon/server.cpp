#include "daemon/server.hpp"

#include "daemon/broker/broker.hpp"
#include "daemon/http/http_server.hpp"
#include "daemon/listener.hpp"
#include "daemon/tls.hpp"
#include "daemon/store/sqlite_store.hpp"

#include "common/config/load.hpp"
#include "common/util/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <sys/signalfd.h>
#include <unistd.h>
#include <vector>

namespace harperrt::daemon {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto drain_deadline = 5s;

std::string json_port(const std::optional<std::uint16_t>& port) { return port ? std::to_string(*port) : "null"; }

// Writes the ready file atomically (temp file + rename), so a reader never sees half of it.
bool write_ready_file(const std::filesystem::path& path, std::optional<std::uint16_t> mqtt,
                      std::optional<std::uint16_t> mqtts, std::optional<std::uint16_t> http,
                      std::optional<std::uint16_t> https) {
    const auto tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << fmt::format(R"({{"mqtt":{},"mqtts":{},"http":{},"https":{},"pid":{}}})", json_port(mqtt),
                           json_port(mqtts), json_port(http), json_port(https), ::getpid())
            << '\n';
        if (!out) return false;
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    return !ec;
}

// Binds host:port; nullptr (after logging) on failure.
std::unique_ptr<tcp::acceptor> bind_listener(asio::io_context& io, const std::string& host, std::uint16_t port,
                                    std::string_view what) {
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
    if (ec || results.empty()) {
        log::error("{}: cannot resolve {}: {}", what, host, ec ? ec.message() : "no address");
        return nullptr;
    }
    const tcp::endpoint ep = *results.begin();
    // On a strand of its own: its accept loop and the shutdown that closes it may run on
    // different threads (threads > 1), and an acceptor is not thread-safe.
    auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(io));
    if (acceptor->open(ep.protocol(), ec); !ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        log::error("{}: cannot listen on {}:{}: {}", what, host, port, ec.message());
        return nullptr;
    }
    return acceptor;
}

// The settings whose change SIGHUP does not apply (a restart does), by their YAML keys.
// SIGHUP applies users, roles, anonymousRoles, mqtt.requireAuthentication,
// mqtt.defaultTopicAccess, logging.level and the tls.* files.
std::vector<std::string_view> needs_restart(const config::Config& running, const config::Config& next) {
    std::vector<std::string_view> keys;
    const auto check = [&keys](bool changed, std::string_view key) {
        if (changed) keys.push_back(key);
    };
    check(next.root_path != running.root_path, "rootPath");
    check(next.threads != running.threads, "threads");
    check(next.http != running.http, "http");
    check(next.mqtt.network != running.mqtt.network, "mqtt.network");
    check(next.mqtt.web_socket != running.mqtt.web_socket, "mqtt.webSocket");
    check(next.mqtt.strict_topics != running.mqtt.strict_topics, "mqtt.strictTopics");
    check(next.mqtt.default_format != running.mqtt.default_format, "mqtt.defaultFormat");
    check(next.mqtt.v3_reject_action != running.mqtt.v3_reject_action, "mqtt.v3RejectAction");
    check(next.mqtt.sys_interval != running.mqtt.sys_interval, "mqtt.sysInterval");
    check(next.mqtt.limits != running.mqtt.limits, "mqtt.limits");
    check(next.storage != running.storage, "storage");
    check(next.logging.format != running.logging.format, "logging.format");
    check(next.tables != running.tables, "tables");
    return keys;
}

}  // namespace

int run_server(const config::Config& config, const ServerOptions& options) {
    // SIGINT, SIGTERM and SIGHUP are blocked in every thread (the threads started below
    // inherit the mask) and read from a signalfd by the I/O loop: no asynchronous signal
    // handler runs at all, so no thread can be interrupted or hold a signal back (under
    // ThreadSanitizer a SIGTERM taken by a thread in pthread_create or a condition wait was
    // lost with Asio's handler-based signal_set), and SQLite's I/O sees no EINTR.
    sigset_t handled_signals;
    ::sigemptyset(&handled_signals);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaddset(&handled_signals, sig);
    ::pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);

    std::error_code fs_ec;
    std::filesystem::create_directories(config.root_path, fs_ec);
    if (fs_ec) {
        log::error("cannot create rootPath {}: {}", config.root_path.string(), fs_ec.message());
        return 1;
    }

    store::Options store_options;
    store_options.path = config.root_path / "harperrt.db";
    store_options.sync = static_cast<store::SyncMode>(config.storage.sync);
    store_options.tables = broker::table_specs(config);
    auto opened = store::SqliteStore::open(store_options);
    if (!opened) {
        log::error("cannot open the database {}: {}", store_options.path.string(), opened.error().message());
        return 1;
    }
    auto db = std::move(*opened);

    const auto threads = std::max<std::uint32_t>(config.threads, 1);
    asio::io_context io(static_cast<int>(threads));
    broker::Broker broker(config, io, *db);
    broker.load_persisted();
    ConnectionGate gate(broker, config.mqtt.limits.connect_rate_per_ip);

    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    std::optional<std::uint16_t> mqtt_port;
    if (config.mqtt.network.port) {
        auto a = bind_listener(io, config.mqtt.network.host, *config.mqtt.network.port, "mqtt");
        if (!a) return 1;
        mqtt_port = a->local_endpoint().port();
        asio::co_spawn(a->get_executor(), accept_mqtt(*a, broker, gate), asio::detached);
        acceptors.push_back(std::move(a));
        log::info("MQTT listening on {}:{}", config.mqtt.network.host, *mqtt_port);
    }

    // MQTT over TLS on mqtt.network.securePort.
    std::unique_ptr<TlsContextHolder> mqtt_tls;
    std::optional<std::uint16_t> mqtts_port;
    if (config.mqtt.network.secure_port) {
        std::string tls_error;
        auto ctx = make_server_tls_context(config.tls, config.mqtt.network.mtls, tls_error);
        if (!ctx) {
            log::error("mqtts: {}", tls_error);
            return 1;
        }
        mqtt_tls = std::make_unique<TlsContextHolder>(std::move(ctx));
        auto a = bind_listener(io, config.mqtt.network.host, *config.mqtt.network.secure_port, "mqtts");
        if (!a) return 1;
        mqtts_port = a->local_endpoint().port();
        asio::co_spawn(a->get_executor(), accept_mqtt(*a, broker, gate, mqtt_tls.get()), asio::detached);
        acceptors.push_back(std::move(a));
        log::info("MQTT over TLS listening on {}:{}{}", config.mqtt.network.host, *mqtts_port,
                  config.mqtt.network.mtls ? " (client certificates required)" : "");
    }

    // HTTP on http.port: /health, /metrics, REST, MQTT over WebSocket.
    std::optional<std::uint16_t> http_port;
    if (config.http.port) {
        auto a = bind_listener(io, config.http.host, *config.http.port, "http");
        if (!a) return 1;
        http_port = a->local_endpoint().port();
        asio::co_spawn(a->get_executor(), http::accept_http(*a, broker, gate), asio::detached);
        acceptors.push_back(std::move(a));
        log::info("HTTP listening on {}:{}", config.http.host, *http_port);
    }

    // HTTPS / WSS on http.securePort (never mutual TLS).
    std::unique_ptr<TlsContextHolder> http_tls;
    std::optional<std::uint16_t> https_port;
    if (config.http.secure_port) {
        std::string tls_error;
        auto ctx = make_server_tls_context(config.tls, false, tls_error);
        if (!ctx) {
            log::error("https: {}", tls_error);
            return 1;
        }
        http_tls = std::make_unique<TlsContextHolder>(std::move(ctx));
        auto a = bind_listener(io, config.http.host, *config.http.secure_port, "https");
        if (!a) return 1;
        https_port = a->local_endpoint().port();
        asio::co_spawn(a->get_executor(), http::accept_http(*a, broker, gate, http_tls.get()), asio::detached);
        acceptors.push_back(std::move(a));
        log::info("HTTPS listening on {}:{}", config.http.host, *https_port);
    }

    // SIGHUP (DESIGN.md §7): users, roles and the log level from the same sources, and the
    // TLS certificate; on any error the old settings stay.
    const auto reload = [&] {
        if (!options.config_sources) {
            log::warn("SIGHUP: no config sources to reload from");
            return;
        }
        auto loaded = config::load(*options.config_sources);
        if (!loaded) {
            for (const auto& e : loaded.errors) log::error("SIGHUP: {} (keeping the old config)", e.to_string());
            return;
        }
        const auto& next = *loaded.config;
        for (const auto key : needs_restart(config, next))
            log::warn("SIGHUP: {} changed; it takes effect only after a restart", key);
        broker.authorizer().reload(next);
        if (auto level = log::parse_level(config::to_string(next.logging.level))) log::set_level(*level);
        if (mqtt_tls) {
            // Files and mtls as configured at start-up; only the files' contents change.
            std::string tls_error;
            if (auto ctx = make_server_tls_context(next.tls, config.mqtt.network.mtls, tls_error))
                mqtt_tls->set(std::move(ctx));
            else
                log::error("SIGHUP: mqtts: {} (keeping the old certificate)", tls_error);
        }
        if (http_tls) {
            std::string tls_error;
            if (auto ctx = make_server_tls_context(next.tls, false, tls_error)) http_tls->set(std::move(ctx));
            else log::error("SIGHUP: https: {} (keeping the old certificate)", tls_error);
        }
        log::info("SIGHUP: reloaded users, roles, log level{}", mqtt_tls || http_tls ? " and TLS certificate" : "");
    };

    // $SYS/broker/... every mqtt.sysInterval seconds.
    asio::steady_timer sys_timer(io);
    std::function<void()> sys_tick = [&] {
        broker.publish_sys();
        sys_timer.expires_after(config.mqtt.sys_interval);
        sys_timer.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) sys_tick();
        });
    };
    if (config.mqtt.sys_interval.count() > 0) sys_tick();

    // Graceful shutdown on SIGINT/SIGTERM; SIGHUP reloads (log level for now).
    const int signal_fd = ::signalfd(-1, &handled_signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0) {
        log::error("signalfd: {}", std::strerror(errno));
        return 1;
    }
    asio::posix::stream_descriptor signals(io, signal_fd);  // owns and closes signal_fd
    // The next signal from signal_fd, 0 when none is waiting.
    auto next_signal = [signal_fd]() -> int {
        signalfd_siginfo info{};
        const auto n = ::read(signal_fd, &info, sizeof info);
        return n == static_cast<ssize_t>(sizeof info) ? static_cast<int>(info.ssi_signo) : 0;
    };
    asio::steady_timer drain_timer(io);
    std::function<void()> wait_signal;
    std::function<void(std::chrono::steady_clock::time_point)> drain = [&](std::chrono::steady_clock::time_point deadline) {
        if (broker.connection_count() == 0 || std::chrono::steady_clock::now() >= deadline) {
            io.stop();
            return;
        }
        drain_timer.expires_after(10ms);
        drain_timer.async_wait([&, deadline](const boost::system::error_code&) { drain(deadline); });
    };
    wait_signal = [&] {
        signals.async_wait(asio::posix::stream_descriptor::wait_read, [&](const boost::system::error_code& ec) {
            if (ec) return;
            const int sig = next_signal();
            if (sig == 0) {  // woken without a signal: wait again
                wait_signal();
                return;
            }
            if (sig == SIGHUP) {
                reload();
                wait_signal();
                return;
            }
            log::info("{}: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
            for (auto& a : acceptors) {
                asio::post(a->get_executor(), [acceptor = a.get()] {
                    boost::system::error_code ignored;
                    acceptor->close(ignored);
                });
            }
            sys_timer.cancel();
            broker.close_all_connections();
            drain(std::chrono::steady_clock::now() + drain_deadline);
        });
    };
    wait_signal();

    if (options.ready_file && !write_ready_file(*options.ready_file, mqtt_port, mqtts_port, http_port, https_port)) {
        log::error("cannot write ready file {}", options.ready_file->string());
        return 1;
    }

    std::vector<std::thread> workers;
    for (std::uint32_t i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : workers) t.join();
    broker.save_sessions();
    // Every acknowledged write is committed already; this drains what is queued,
    // checkpoints the WAL and closes the database.
    if (auto closed = db->close(); !closed) {
        log::error("closing the database: {}", closed.error().message());
        return 1;
    }
    log::info("stopped");
    return 0;
}

}  // namespace harperrt::daemon
