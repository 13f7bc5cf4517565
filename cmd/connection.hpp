// The connection options that `sub`, `pub`, `get` and `put` share (DESIGN.md §8), how they
// become client::Options, how a client error becomes an exit code, and the io_context that
// runs one subcommand's coroutine.
#pragma once

#include <utility>  // before Asio: Boost 1.74 awaitable.hpp uses std::exchange without it

#include "client/client.hpp"
#include "client/format.hpp"
#include "cmd/context.hpp"
#include "common/encoding/codec.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace harperrt::cmd {

struct ConnectionOptions {
    std::optional<std::string> url;
    std::optional<std::string> host;
    std::optional<std::uint16_t> port;
    std::optional<std::string> username;
    std::optional<std::string> password;
    std::optional<std::string> password_file;
    std::optional<std::string> id;
    std::string protocol = "5";
    std::uint16_t keepalive = 60;
    std::optional<std::string> cafile, cert, key;
    bool insecure = false;
    double timeout = 10.0;  // seconds, for connect and each acknowledgement

    std::chrono::steady_clock::duration timeout_duration() const;
};

// Adds -L/--url, -h/--host, -p/--port, -u, -P, --password-file, -i, -V, -k, --cafile,
// --cert, --key, --insecure and --timeout to `sub` (in group "Connection").
void add_connection_options(CLI::App* sub, ConnectionOptions& opts);

// Defaults < $HARPERRT_URL < $HARPERRT_USERNAME/$HARPERRT_PASSWORD < -L < the other flags
// ($HARPERRT_URL is ignored when -L is given).
// On a bad value prints "harperrt <command>: ..." on stderr and returns nullopt (usage error).
std::optional<client::Options> make_client_options(std::string_view command, const ConnectionOptions& opts);

// Prints "harperrt <command>: <what failed>" on stderr and returns the exit code of
// DESIGN.md §8 for `ec`: cannot connect 5, timeout 4, bad credentials / not authorized 6,
// any other MQTT failure 1 (with the reason code's number and name).
int report_error(std::string_view command, std::string_view what, const error_code& ec, std::string_view detail);

// The exit code for a failure reason code in an ack (0x86/0x87 -> 6, others 1).
int exit_code_for(mqtt::ReasonCode code);

// Prints the failure `code` of a `packet` ack ("PUBACK") with its reason string; returns
// exit_code_for(code).
int report_reason(std::string_view command, std::string_view packet, mqtt::ReasonCode code,
                  const std::optional<std::string>& reason_string);

// Runs `body` on a fresh io_context until it and everything it started finished; returns
// its result, or exit_failure (with a message) if it threw.
int run_coroutine(std::string_view command, const std::function<boost::asio::awaitable<int>()>& body);

// All of stdin, or the whole file `path`.
std::string read_stdin();
std::optional<std::string> read_file(const std::string& path);

// Shared with the client library's printing helpers (client/format.hpp).
using client::json_string;
using client::message_json;
using client::wire_format;

// The media type that --accept / --format names: json, cbor, msgpack or a media type.
std::optional<std::string> media_type_of(std::string_view name);

}  // namespace harperrt::cmd

namespace harperrt::cmd {

// The payload to send for --format: `text` unchanged when `format` is nullopt; otherwise
// `text` must be JSON and is re-encoded in `format` (JSON is compacted). nullopt, with a
// message on stderr, when it is not JSON.
std::optional<std::string> convert_payload(std::string_view command, std::string_view text,
                                           std::optional<encoding::Format> format);

}  // namespace harperrt::cmd
