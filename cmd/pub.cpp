// cmd/pub.cpp: `harperrt pub`: publish one message (--repeat times), or one per input line
// with -l.
#include "cmd/connection.hpp"

#include "cmd/stdin_lines.hpp"
#include "common/encoding/content_type.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/core.h>

#include <charconv>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace harperrt::cmd {

namespace asio = boost::asio;

struct PubOptions {
    ConnectionOptions connection;
    std::string topic;
    std::optional<std::string> message;
    std::optional<std::string> file;
    bool stdin_message = false;
    bool lines = false;
    bool null_message = false;
    int qos = 0;
    bool retain = false;
    int repeat = 1;
    double repeat_delay = 0;
    std::optional<std::string> format;
    std::vector<std::pair<std::string, std::string>> properties;
};

namespace {

// -D NAME VALUE: a v5 PUBLISH property by its mosquitto name, else a user property.
bool apply_property(const std::string& name, const std::string& value, mqtt::Properties& props) {
    if (name == "content-type") props.content_type = value;
    else if (name == "response-topic") props.response_topic = value;
    else if (name == "correlation-data") props.correlation_data = value;
    else if (name == "payload-format-indicator") {
        if (value != "0" && value != "1") return false;
        props.payload_format_indicator = static_cast<std::uint8_t>(value == "1" ? 1 : 0);
    }
    else if (name == "message-expiry-interval") {
        std::uint32_t v = 0;
        const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec != std::errc{} || ptr != value.data() + value.size()) return false;
        props.message_expiry_interval = v;
    } else props.user_properties.emplace_back(name, value);
    return true;
}

// Publishes `publish` with --timeout for its acknowledgement. nullopt when it was sent (and
// accepted, for QoS 1 and 2); otherwise the exit code, with the failure on stderr (a
// refusal's reason code sets `refused`: the connection is still usable).
asio::awaitable<std::optional<int>> async_publish_one(client::Client& client, const PubOptions& o, mqtt::Publish publish,
                                                      bool& refused) {
    refused = false;
    client.set_deadline(std::chrono::steady_clock::now() + o.connection.timeout_duration());
    auto ack = co_await client.async_publish(std::move(publish));
    client.set_deadline(std::nullopt);
    if (!ack) co_return report_error("pub", "publishing", ack.error(), client.detail());
    if (mqtt::is_failure(ack->reason_code)) {
        refused = true;
        co_return report_reason("pub", o.qos == 2 ? "PUBREC/PUBCOMP" : "PUBACK", ack->reason_code, ack->reason_string);
    }
    co_return std::nullopt;
}

asio::awaitable<int> async_run_pub(const PubOptions& o, client::Options copts, mqtt::Publish templ,
                                   std::optional<encoding::Format> format) {
    auto executor = co_await asio::this_coro::executor;
    client::Client client(executor, std::move(copts));
    client.set_deadline(std::chrono::steady_clock::now() + o.connection.timeout_duration());
    if (auto ec = co_await client.async_connect()) co_return report_error("pub", "connecting", ec, client.detail());
    client.set_deadline(std::nullopt);

    int rc = exit_ok;
    bool refused = false;
    if (o.lines) {
        // Off the event loop, so keep-alive PINGREQs flow while stdin is quiet.
        StdinLines input(executor);
        for (;;) {
            auto line = co_await input.async_next();
            if (!line) break;
            if (line->empty()) continue;  // as mosquitto_pub: blank lines are not sent
            auto payload = convert_payload("pub", *line, format);
            if (!payload) {
                rc = exit_failure;
                continue;
            }
            mqtt::Publish publish = templ;
            publish.payload = std::move(*payload);
            auto failed = co_await async_publish_one(client, o, std::move(publish), refused);
            if (failed && !refused) co_return *failed;  // the connection is gone
            if (failed) rc = *failed;                    // one line refused: go on with the next
        }
        if (const int e = input.error()) {
            fmt::print(stderr, "harperrt pub: reading stdin: {}\n", std::strerror(e));
            rc = exit_failure;
        }
    } else {
        asio::steady_timer pause(executor);
        const auto delay = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(o.repeat_delay));
        for (int i = 0; i < o.repeat; ++i) {
            if (i > 0 && delay.count() > 0) {
                error_code ignored;
                pause.expires_after(delay);
                co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
            }
            mqtt::Publish publish = templ;
            auto failed = co_await async_publish_one(client, o, std::move(publish), refused);
            if (failed && !refused) co_return *failed;
            if (failed) {
                rc = *failed;
                break;
            }
        }
    }
    client.set_deadline(std::chrono::steady_clock::now() + o.connection.timeout_duration());
    co_await client.async_disconnect();
    co_return rc;
}

}  // namespace

int run_pub(const PubOptions& o) {
    auto copts = make_client_options("pub", o.connection);
    if (!copts) return exit_usage;
    const int sources = (o.message ? 1 : 0) + (o.file ? 1 : 0) + (o.stdin_message ? 1 : 0) + (o.lines ? 1 : 0) +
                        (o.null_message ? 1 : 0);
    if (sources != 1) {
        fmt::print(stderr, "harperrt pub: give exactly one of -m, -f, -s, -l, -n\n");
        return exit_usage;
    }
    if (o.lines && (o.repeat != 1 || o.repeat_delay > 0)) {
        fmt::print(stderr, "harperrt pub: --repeat and --repeat-delay apply to one message (-m, -f, -s, -n), not to -l\n");
        return exit_usage;
    }
    std::optional<encoding::Format> format;
    if (o.format) format = encoding::format_from_name(*o.format);
    mqtt::Publish templ;
    templ.topic = o.topic;
    templ.qos = static_cast<mqtt::QoS>(o.qos);
    templ.retain = o.retain;
    for (const auto& [name, value] : o.properties) {
        if (!mqtt::is_v5(copts->version)) {
            fmt::print(stderr, "harperrt pub: -D needs MQTT 5 (-V 5)\n");
            return exit_usage;
        }
        if (!apply_property(name, value, templ.properties)) {
            fmt::print(stderr, "harperrt pub: bad value for -D {}: {}\n", name, value);
            return exit_usage;
        }
    }
    if (format && mqtt::is_v5(copts->version)) templ.properties.content_type = std::string(encoding::content_type(*format));
    if (!o.lines) {
        std::string text;
        if (o.message) text = *o.message;
        else if (o.stdin_message) text = read_stdin();
        else if (o.file) {
            auto content = read_file(*o.file);
            if (!content) {
                fmt::print(stderr, "harperrt pub: cannot read {}\n", *o.file);
                return exit_usage;
            }
            text = std::move(*content);
        }
        if (!o.null_message) {
            auto payload = convert_payload("pub", text, format);
            if (!payload) return exit_usage;
            templ.payload = std::move(*payload);
        }
    }
    return run_coroutine("pub", [&]() { return async_run_pub(o, *copts, templ, format); });
}

void add_pub_command(CLI::App& app, Context& ctx) {
    auto opts = std::make_shared<PubOptions>();
    auto* sub = app.add_subcommand("pub", "Publish a message (retained with -r: writes the record)");
    sub->add_option("-t,--topic", opts->topic, "Topic name")->required()->type_name("TOPIC");
    sub->add_option("-m,--message", opts->message, "Message payload")->type_name("TEXT");
    sub->add_option("-f,--file", opts->file, "Send the contents of FILE")->type_name("FILE");
    sub->add_flag("-s,--stdin-file", opts->stdin_message, "Send all of stdin as one message");
    sub->add_flag("-l,--stdin-line", opts->lines, "Send one message per line of stdin");
    sub->add_flag("-n,--null-message", opts->null_message, "Send an empty message (with -r: delete the record)");
    offer_values(sub->add_option("-q,--qos", opts->qos, "QoS 0, 1 or 2 (1 and 2 wait for the acknowledgement)"), {"0", "1", "2"})
        ->check(CLI::Range(0, 2))->capture_default_str();
    sub->add_flag("-r,--retain", opts->retain, "Retain the message (a record topic: replace the record)");
    sub->add_option("--repeat", opts->repeat, "Publish the message COUNT times (not with -l)")
        ->check(CLI::PositiveNumber)->type_name("COUNT")->capture_default_str();
    sub->add_option("--repeat-delay", opts->repeat_delay, "Wait SECONDS between repeated messages (fractions allowed)")
        ->check(CLI::NonNegativeNumber)->type_name("SECONDS");
    one_of(sub->add_option("--format", opts->format, "Convert JSON input to json, cbor or msgpack and set the v5 content type"),
           {"json", "cbor", "msgpack"});
    // The completions offer the property names for NAME (any other is a user property).
    offer_values(sub->add_option("-D,--property", opts->properties,
                                 "v5 property NAME VALUE: content-type, response-topic, correlation-data, "
                                 "message-expiry-interval, payload-format-indicator; any other NAME is a user property"),
                 {"content-type", "response-topic", "correlation-data", "message-expiry-interval", "payload-format-indicator"})
        ->type_name("NAME VALUE");
    add_connection_options(sub, opts->connection);
    sub->footer(
        "Exit codes: 0 ok, 1 refused (reason code on stderr), 2 usage, 4 timeout, 5 cannot connect,\n"
        "6 not authorized.\n"
        "Examples:\n"
        "  harperrt pub -t alerts/door -m open\n"
        "  harperrt pub -t Sensor/1 -r -q 1 -m '{\"temp\":21}' --format cbor\n"
        "  tail -f log.jsonl | harperrt pub -t logs/app -l\n"
        "  harperrt pub -t bench/x -m ping --repeat 100 --repeat-delay 0.1\n");
    sub->callback([opts, &ctx] { ctx.exit_code = run_pub(*opts); });
}

}  // namespace harperrt::cmd
