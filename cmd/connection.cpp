// cmd/connection.cpp: the shared connection options of sub, pub, get and put.
#include "cmd/connection.hpp"

#include "common/encoding/content_type.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace harperrt::cmd {

namespace asio = boost::asio;

std::chrono::steady_clock::duration ConnectionOptions::timeout_duration() const {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(timeout));
}

void add_connection_options(CLI::App* sub, ConnectionOptions& o) {
    const std::string group = "Connection";
    sub->add_option("-L,--url", o.url, "mqtt://[user[:pass]@]host[:port], mqtts://, ws://host:port/mqtt, wss://; [::1] for IPv6, %40 %3A %2F for @ : / in credentials (env HARPERRT_URL)")
        ->group(group);
    sub->add_option("-h,--host", o.host, "Server host (default 127.0.0.1)")->group(group);
    sub->add_option("-p,--port", o.port, "Server port (default 1883; 8883 mqtts; 9926 ws/wss)")->group(group);
    sub->add_option("-u,--username", o.username, "User name (env HARPERRT_USERNAME)")->group(group);
    sub->add_option("-P,--password", o.password, "Password (env HARPERRT_PASSWORD)")->group(group);
    sub->add_option("--password-file", o.password_file, "Read the password from the first line of FILE")
        ->type_name("FILE")->group(group);
    sub->add_option("-i,--id", o.id, "Client identifier (default: assigned by the server)")->group(group);
    // The completions offer the two canonical names; mosquitto's and the dotted spellings
    // are accepted too.
    offer_values(sub->add_option("-V,--protocol", o.protocol, "MQTT version: 5 or 311"), {"5", "311"})
        ->check(CLI::IsMember({"5", "311", "mqttv5", "mqttv311", "5.0", "3.1.1"}))->group(group);
    sub->add_option("-k,--keepalive", o.keepalive, "Keep-alive in seconds (0 disables)")->capture_default_str()->group(group);
    sub->add_option("--cafile", o.cafile, "CA certificates (PEM) to verify the server")->type_name("FILE")->group(group);
    sub->add_option("--cert", o.cert, "Client certificate (PEM) for mutual TLS")->type_name("FILE")->group(group);
    sub->add_option("--key", o.key, "Client private key (PEM)")->type_name("FILE")->group(group);
    sub->add_flag("--insecure", o.insecure, "Do not verify the server's certificate or host name")->group(group);
    sub->add_option("--timeout", o.timeout, "Seconds to wait for the connection and each acknowledgement")->capture_default_str()
        ->check(CLI::PositiveNumber)->group(group);
}

namespace {

const char* env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != 0 ? v : nullptr;
}

}  // namespace

std::optional<client::Options> make_client_options(std::string_view command, const ConnectionOptions& o) {
    client::Options opts;
    std::string problem;
    if (const char* url = env("HARPERRT_URL"); url != nullptr && !o.url) {
        auto applied = client::apply_url(url, opts, &problem);
        if (!applied) {
            fmt::print(stderr, "harperrt {}: bad HARPERRT_URL '{}': {}\n", command, url, problem);
            return std::nullopt;
        }
        opts = std::move(*applied);
    }
    if (const char* user = env("HARPERRT_USERNAME")) opts.username = user;
    if (const char* pass = env("HARPERRT_PASSWORD")) opts.password = pass;
    if (o.url) {
        auto applied = client::apply_url(*o.url, opts, &problem);
        if (!applied) {
            fmt::print(stderr, "harperrt {}: bad URL '{}': {}\n", command, *o.url, problem);
            return std::nullopt;
        }
        opts = std::move(*applied);
    }
    if (o.host) opts.host = *o.host;
    if (o.port) opts.port = *o.port;
    if (o.username) opts.username = *o.username;
    if (o.password) opts.password = *o.password;
    if (o.password_file) {
        auto text = read_file(*o.password_file);
        if (!text) {
            fmt::print(stderr, "harperrt {}: cannot read {}\n", command, *o.password_file);
            return std::nullopt;
        }
        if (const auto nl = text->find_first_of("\r\n"); nl != std::string::npos) text->resize(nl);
        opts.password = std::move(*text);
    }
    if (o.id) opts.client_id = *o.id;
    opts.version = (o.protocol == "311" || o.protocol == "mqttv311" || o.protocol == "3.1.1") ? mqtt::Version::v311
                                                                                              : mqtt::Version::v5;
    if (opts.password && !opts.username && !mqtt::is_v5(opts.version)) {
        fmt::print(stderr, "harperrt {}: MQTT 3.1.1 needs a user name (-u) with a password\n", command);
        return std::nullopt;
    }
    opts.keep_alive = o.keepalive;
    opts.cafile = o.cafile;
    opts.certfile = o.cert;
    opts.keyfile = o.key;
    opts.insecure = o.insecure;
    return opts;
}

int exit_code_for(mqtt::ReasonCode code) {
    if (code == mqtt::ReasonCode::bad_user_name_or_password || code == mqtt::ReasonCode::not_authorized)
        return exit_not_authorized;
    return exit_failure;
}

int report_reason(std::string_view command, std::string_view packet, mqtt::ReasonCode code,
                  const std::optional<std::string>& reason_string) {
    fmt::print(stderr, "harperrt {}: {} reason 0x{:02x} {}{}{}\n", command, packet, static_cast<unsigned>(code),
               mqtt::name(code), reason_string ? ": " : "", reason_string.value_or(""));
    return exit_code_for(code);
}

int report_error(std::string_view command, std::string_view what, const error_code& ec, std::string_view detail) {
    const std::string suffix = detail.empty() ? std::string() : ": " + std::string(detail);
    if (ec.category() == client::client_category()) {
        switch (static_cast<client::Errc>(ec.value())) {
        case client::Errc::cannot_connect:
            fmt::print(stderr, "harperrt {}: {}\n", command, detail.empty() ? ec.message() : std::string(detail));
            return exit_cannot_connect;
        case client::Errc::timeout:
            fmt::print(stderr, "harperrt {}: timed out while {}\n", command, what);
            return exit_timeout;
        case client::Errc::bad_url:
            fmt::print(stderr, "harperrt {}: {}{}\n", command, ec.message(), suffix);
            return exit_usage;
        default:
            fmt::print(stderr, "harperrt {}: {} failed: {}{}\n", command, what, ec.message(), suffix);
            return exit_failure;
        }
    }
    if (auto code = mqtt::as_reason_code(ec)) {
        fmt::print(stderr, "harperrt {}: {} failed: reason 0x{:02x} {}{}\n", command, what,
                   static_cast<unsigned>(*code), mqtt::name(*code), suffix);
        return exit_code_for(*code);
    }
    fmt::print(stderr, "harperrt {}: {} failed: {}{}\n", command, what, ec.message(), suffix);
    return exit_failure;
}

int run_coroutine(std::string_view command, const std::function<asio::awaitable<int>()>& body) {
    asio::io_context io;
    int rc = exit_failure;
    asio::co_spawn(io, body(), [&rc, command](std::exception_ptr e, int result) {
        if (!e) {
            rc = result;
            return;
        }
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            fmt::print(stderr, "harperrt {}: {}\n", command, ex.what());
        }
        rc = exit_failure;
    });
    io.run();
    return rc;
}

std::string read_stdin() {
    std::ostringstream out;
    out << std::cin.rdbuf();
    return std::move(out).str();
}

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<std::string> media_type_of(std::string_view name) {
    if (auto format = encoding::format_from_name(name)) return std::string(encoding::content_type(*format));
    if (name.find('/') != std::string_view::npos) return std::string(name);
    return std::nullopt;
}

}  // namespace harperrt::cmd

namespace harperrt::cmd {

std::optional<std::string> convert_payload(std::string_view command, std::string_view text,
                                           std::optional<encoding::Format> format) {
    if (!format) return std::string(text);
    auto value = encoding::decode(text, encoding::Format::json);
    if (!value) {
        fmt::print(stderr, "harperrt {}: --format {} needs JSON input: {}\n", command, encoding::name(*format),
                   value.error().message());
        return std::nullopt;
    }
    return encoding::encode(*value, *format);
}

}  // namespace harperrt::cmd
