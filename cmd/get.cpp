// cmd/get.cpp: `harperrt get TOPIC|FILTER`: print the current record(s) and exit.
//
// Subscribes, then sends PINGREQ: the server writes every retained message a SUBSCRIBE
// triggers before it answers a later packet (DESIGN.md §2), so PINGRESP ends the snapshot.
#include "cmd/connection.hpp"

#include "common/encoding/display.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace harperrt::cmd {

namespace asio = boost::asio;

struct GetOptions {
    ConnectionOptions connection;
    std::string topic;
    bool array = false;
    bool verbose = false;
    std::optional<std::string> accept;
};

namespace {

asio::awaitable<int> async_run_get(const GetOptions& o, client::Options copts) {
    const bool v5 = mqtt::is_v5(copts.version);
    auto executor = co_await asio::this_coro::executor;
    client::Client client(executor, std::move(copts));
    client.set_deadline(std::chrono::steady_clock::now() + o.connection.timeout_duration());
    if (auto ec = co_await client.async_connect()) co_return report_error("get", "connecting", ec, client.detail());

    std::vector<mqtt::Subscription> subs(1);
    subs[0].filter = o.topic;
    subs[0].options.qos = mqtt::QoS::at_least_once;
    mqtt::Properties props;
    if (o.accept && v5) props.user_properties.emplace_back("accept", *media_type_of(*o.accept));
    auto suback = co_await client.async_subscribe(std::move(subs), std::move(props));
    if (!suback) co_return report_error("get", "subscribing", suback.error(), client.detail());
    if (!suback->reason_codes.empty() && mqtt::is_failure(suback->reason_codes[0])) {
        const int rc = report_reason("get", "SUBACK", suback->reason_codes[0], suback->properties.reason_string);
        co_await client.async_disconnect();
        co_return rc;
    }
    if (auto ec = co_await client.async_barrier()) co_return report_error("get", "reading", ec, client.detail());

    std::vector<std::string> lines;
    for (;;) {
        auto next = co_await client.async_receive();
        if (!next) co_return report_error("get", "reading the records", next.error(), client.detail());
        if (!*next) break;
        // --timeout bounds the silence between messages, so a big snapshot is not cut short.
        client.set_deadline(std::chrono::steady_clock::now() + o.connection.timeout_duration());
        const mqtt::Publish& p = **next;
        if (!p.retain) continue;  // a live message that raced the snapshot
        lines.push_back(o.verbose ? message_json(p) : encoding::to_display_json(p.payload, wire_format(p)));
        if (!o.array) {
            lines.back() += '\n';
            std::fwrite(lines.back().data(), 1, lines.back().size(), stdout);
            lines.back().clear();
        }
    }
    co_await client.async_disconnect();
    if (o.array) {
        std::string out = "[";
        for (std::size_t i = 0; i < lines.size(); ++i) {
            if (i > 0) out += ',';
            out += lines[i];
        }
        out += "]\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
    }
    std::fflush(stdout);
    if (lines.empty()) {
        fmt::print(stderr, "harperrt get: nothing at {}\n", o.topic);
        co_return exit_not_found;
    }
    co_return exit_ok;
}

}  // namespace

int run_get(const GetOptions& o) {
    auto copts = make_client_options("get", o.connection);
    if (!copts) return exit_usage;
    if (o.accept && !media_type_of(*o.accept)) {
        fmt::print(stderr, "harperrt get: --accept must be json, cbor, msgpack or a media type\n");
        return exit_usage;
    }
    return run_coroutine("get", [&o, &copts]() { return async_run_get(o, *copts); });
}

void add_get_command(CLI::App& app, Context& ctx) {
    auto opts = std::make_shared<GetOptions>();
    auto* sub = app.add_subcommand("get", "Print the current record(s) of a topic or filter and exit");
    sub->add_option("topic", opts->topic, "Record topic (Table/ID) or filter (Table/#)")->required()->type_name("TOPIC|FILTER");
    sub->add_flag("--array", opts->array, "Print one JSON array instead of JSON lines");
    sub->add_flag("-v,--verbose", opts->verbose, "Print {topic,retain,qos,payload} objects instead of bare payloads");
    // (A media type is accepted too: the completions offer the three names.)
    offer_values(sub->add_option("--accept", opts->accept, "Payload format to ask for (v5 user property accept): json, cbor, msgpack"),
                 {"json", "cbor", "msgpack"})
        ->type_name("FORMAT");
    add_connection_options(sub, opts->connection);
    sub->footer(
        "Prints each record as one line of JSON. Exit codes: 0 found, 3 nothing matched, 4 timeout,\n"
        "5 cannot connect, 6 not authorized, 1 other failure.\n"
        "Examples:\n"
        "  harperrt get Sensor/1\n"
        "  harperrt get 'Sensor/#' --array\n"
        "  harperrt get -L mqtt://alice:secret@db.example:1883 Sensor/1\n");
    sub->callback([opts, &ctx] { ctx.exit_code = run_get(*opts); });
}

}  // namespace harperrt::cmd
