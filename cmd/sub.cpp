// cmd/sub.cpp: `harperrt sub`: subscribe to topic filters and print each message.
#include "cmd/connection.hpp"

#include "common/encoding/content_type.hpp"
#include "common/encoding/display.hpp"

#include <fmt/core.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace harperrt::cmd {

namespace asio = boost::asio;

struct SubOptions {
    ConnectionOptions connection;
    std::vector<std::string> topics;
    int qos = 0;
    std::optional<int> count;
    std::optional<double> wait;
    bool updates_only = false;
    bool retained_only = false;
    std::optional<std::string> accept;
    std::string output = "text";
    bool verbose = false;
    bool persistent = false;
    std::optional<std::string> format_string;
    bool no_newline = false;
};

namespace {

void print_message(const SubOptions& o, const mqtt::Publish& p) {
    std::string line;
    if (o.format_string) {
        line = client::format_message(*o.format_string, p, std::chrono::system_clock::now());
        if (!o.no_newline) line += '\n';
    } else if (o.output == "json") {
        line = message_json(p) + "\n";
    } else if (o.output == "raw") {
        line = p.payload;
    } else {
        line = o.verbose ? p.topic + " " + p.payload : p.payload;
        if (!o.no_newline) line += '\n';
    }
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

asio::awaitable<int> async_run_sub(const SubOptions& o, client::Options copts) {
    const auto start = std::chrono::steady_clock::now();
    const bool v5 = mqtt::is_v5(copts.version);
    auto executor = co_await asio::this_coro::executor;
    client::Client client(executor, std::move(copts));
    client.set_deadline(start + o.connection.timeout_duration());
    if (auto ec = co_await client.async_connect()) co_return report_error("sub", "connecting", ec, client.detail());

    std::vector<mqtt::Subscription> subs;
    for (const auto& t : o.topics) {
        mqtt::Subscription s;
        s.filter = t;
        s.options.qos = static_cast<mqtt::QoS>(o.qos);
        if (o.updates_only) s.options.retain_handling = mqtt::RetainHandling::do_not_send;
        subs.push_back(std::move(s));
    }
    mqtt::Properties props;
    if (o.accept && v5) props.user_properties.emplace_back("accept", *media_type_of(*o.accept));
    auto suback = co_await client.async_subscribe(std::move(subs), std::move(props));
    if (!suback) co_return report_error("sub", "subscribing", suback.error(), client.detail());
    for (std::size_t i = 0; i < suback->reason_codes.size(); ++i) {
        const auto code = suback->reason_codes[i];
        if (mqtt::is_failure(code)) {
            const auto rc = report_reason("sub", "SUBACK for '" + (i < o.topics.size() ? o.topics[i] : std::string()) + "'",
                                          code, suback->properties.reason_string);
            co_await client.async_disconnect();
            co_return rc;
        }
    }

    if (o.retained_only) {
        if (auto ec = co_await client.async_barrier()) co_return report_error("sub", "waiting for retained messages", ec, client.detail());
    }
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (o.wait) deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(*o.wait));
    if (o.retained_only) {
        const auto t = std::chrono::steady_clock::now() + o.connection.timeout_duration();
        if (!deadline || t < *deadline) deadline = t;
    }
    client.set_deadline(deadline);

    int received = 0;
    for (;;) {
        if (o.count && received >= *o.count) break;
        auto next = co_await client.async_receive();
        if (!next) {
            if (client.timed_out() && o.wait && !o.retained_only) {
                // -W: done waiting. A timeout only if nothing (or fewer than -C) arrived.
                if (received == 0 || (o.count && received < *o.count)) {
                    fmt::print(stderr, "harperrt sub: timed out after {} s ({} message{} received)\n", *o.wait,
                               received, received == 1 ? "" : "s");
                    co_return exit_timeout;
                }
                co_return exit_ok;
            }
            co_return report_error("sub", "receiving", next.error(), client.detail());
        }
        if (!*next) break;  // --retained-only: the snapshot is complete
        if (o.retained_only && !o.wait) {
            // --timeout bounds the silence between messages, not the whole snapshot.
            client.set_deadline(std::chrono::steady_clock::now() + o.connection.timeout_duration());
        }
        const mqtt::Publish& p = **next;
        if (o.updates_only && p.retain) continue;
        if (o.retained_only && !p.retain) continue;
        print_message(o, p);
        ++received;
    }
    client.set_deadline(std::chrono::steady_clock::now() + o.connection.timeout_duration());
    co_await client.async_disconnect();
    co_return exit_ok;
}

}  // namespace

int run_sub(const SubOptions& o) {
    auto copts = make_client_options("sub", o.connection);
    if (!copts) return exit_usage;
    if (o.persistent) {
        if (!o.connection.id) {
            fmt::print(stderr, "harperrt sub: -c needs a client id (-i)\n");
            return exit_usage;
        }
        copts->clean_start = false;
        copts->session_expiry = 0xFFFFFFFFu;
    }
    if (o.format_string) {
        if (auto problem = client::check_format(*o.format_string)) {
            fmt::print(stderr, "harperrt sub: bad -F format: {}\n", *problem);
            return exit_usage;
        }
    }
    if (o.accept && !media_type_of(*o.accept)) {
        fmt::print(stderr, "harperrt sub: --accept must be json, cbor, msgpack or a media type\n");
        return exit_usage;
    }
    return run_coroutine("sub", [&o, &copts]() { return async_run_sub(o, *copts); });
}

void add_sub_command(CLI::App& app, Context& ctx) {
    auto opts = std::make_shared<SubOptions>();
    auto* sub = app.add_subcommand("sub", "Subscribe to topic filters and print each message");
    sub->add_option("-t,--topic", opts->topics, "Topic filter (repeatable)")->required()->type_name("FILTER");
    offer_values(sub->add_option("-q,--qos", opts->qos, "Maximum QoS to subscribe with"), {"0", "1", "2"})
        ->check(CLI::Range(0, 2))->capture_default_str();
    sub->add_option("-C,--count", opts->count, "Exit after COUNT messages")->check(CLI::PositiveNumber);
    sub->add_option("-W,--wait", opts->wait, "Exit after SECONDS; exit 4 if nothing (or fewer than -C) arrived")
        ->check(CLI::PositiveNumber)->type_name("SECONDS");
    auto* updates = sub->add_flag("-R,--updates-only", opts->updates_only, "Skip retained messages (current records); print only changes");
    sub->add_flag("--retained-only", opts->retained_only, "Print the current retained messages (records), then exit")
        ->excludes(updates);
    // (A media type is accepted too: the completions offer the three names.)
    offer_values(sub->add_option("--accept", opts->accept, "Payload format to receive (v5 user property accept): json, cbor, msgpack"),
                 {"json", "cbor", "msgpack"})
        ->type_name("FORMAT");
    one_of(sub->add_option("-o,--output", opts->output, "text: the payload; json: one {topic,retain,qos,payload} object per line; raw: payload bytes only"),
           {"text", "json", "raw"})
        ->capture_default_str();
    sub->add_flag("-v,--verbose", opts->verbose, "Print the topic before each payload (text output)");
    sub->add_flag("-c,--persistent", opts->persistent, "Keep the session after disconnecting (needs -i)");
    sub->add_option("-F,--format-string", opts->format_string,
                    "Print each message with FORMAT: %t topic, %p payload, %x hex payload, %q QoS, %r retain, "
                    "%l length, %m packet id, %C content type, %R response topic, %D correlation data, "
                    "%E expiry, %F payload format, %P user properties, %j JSON line, %J JSON with time, "
                    "%I ISO 8601 time, %U Unix time, @H (strftime), %% \\n \\t")
        ->type_name("FORMAT");
    sub->add_flag("-N,--no-newline", opts->no_newline, "Do not print a newline after each message (text output and -F)");
    add_connection_options(sub, opts->connection);
    sub->footer(
        "Exit codes: 0 ok, 1 MQTT failure, 2 usage, 4 timeout, 5 cannot connect, 6 not authorized.\n"
        "Examples:\n"
        "  harperrt sub -t 'Sensor/#'                     # every record, then every change\n"
        "  harperrt sub -t 'Sensor/#' --retained-only     # the current records, then exit\n"
        "  harperrt sub -t 'Sensor/1' -o json -C 1 -W 5   # one message as JSON, wait at most 5 s\n"
        "  harperrt sub -t 'Sensor/#' --accept cbor -o json\n"
        "  harperrt sub -t 'Sensor/#' -F '%I %t %l bytes (%C): %p'\n");
    sub->callback([opts, &ctx] { ctx.exit_code = run_sub(*opts); });
}

}  // namespace harperrt::cmd
