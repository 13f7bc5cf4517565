// cmd/put.cpp: `harperrt put TOPIC [VALUE]`: replace (or with -n delete) one record with a
// retained QoS 1 publish, and report the PUBACK's reason.
#include "cmd/connection.hpp"

#include "common/encoding/content_type.hpp"

#include <fmt/core.h>

#include <memory>
#include <optional>
#include <string>

namespace harperrt::cmd {

namespace asio = boost::asio;

struct PutOptions {
    ConnectionOptions connection;
    std::string topic;
    std::optional<std::string> value;
    bool remove = false;
    std::optional<std::string> format;
};

namespace {

asio::awaitable<int> async_run_put(const PutOptions& o, client::Options copts, mqtt::Publish publish) {
    auto executor = co_await asio::this_coro::executor;
    client::Client client(executor, std::move(copts));
    client.set_deadline(std::chrono::steady_clock::now() + o.connection.timeout_duration());
    if (auto ec = co_await client.async_connect()) co_return report_error("put", "connecting", ec, client.detail());
    auto ack = co_await client.async_publish(std::move(publish));
    if (!ack) co_return report_error("put", "waiting for PUBACK", ack.error(), client.detail());
    co_await client.async_disconnect();
    if (mqtt::is_failure(ack->reason_code)) co_return report_reason("put", "PUBACK", ack->reason_code, ack->reason_string);
    co_return exit_ok;
}

}  // namespace

int run_put(const PutOptions& o) {
    auto copts = make_client_options("put", o.connection);
    if (!copts) return exit_usage;
    if (o.remove && o.value) {
        fmt::print(stderr, "harperrt put: give either VALUE or --delete\n");
        return exit_usage;
    }
    std::optional<encoding::Format> format;
    if (o.format) format = encoding::format_from_name(*o.format);
    mqtt::Publish publish;
    publish.topic = o.topic;
    publish.qos = mqtt::QoS::at_least_once;
    publish.retain = true;
    if (!o.remove) {
        const std::string text = o.value ? *o.value : read_stdin();
        auto payload = convert_payload("put", text, format);
        if (!payload) return exit_usage;
        publish.payload = std::move(*payload);
        if (format && mqtt::is_v5(copts->version))
            publish.properties.content_type = std::string(encoding::content_type(*format));
    }
    return run_coroutine("put", [&o, &copts, &publish]() { return async_run_put(o, *copts, std::move(publish)); });
}

void add_put_command(CLI::App& app, Context& ctx) {
    auto opts = std::make_shared<PutOptions>();
    auto* sub = app.add_subcommand("put", "Replace the record at TOPIC (retained QoS 1 publish); -n deletes it");
    sub->add_option("topic", opts->topic, "Record topic, e.g. Sensor/1")->required()->type_name("TOPIC");
    sub->add_option("value", opts->value, "Record body (default: stdin)")->type_name("VALUE");
    sub->add_flag("-n,--delete", opts->remove, "Delete the record (empty retained payload)");
    one_of(sub->add_option("--format", opts->format, "Send as json, cbor or msgpack (VALUE must be JSON; sets the content type)"),
           {"json", "cbor", "msgpack"});
    add_connection_options(sub, opts->connection);
    sub->footer(
        "Prints nothing on success; the PUBACK reason code on failure. Exit codes: 0 ok, 1 refused,\n"
        "4 timeout, 5 cannot connect, 6 not authorized.\n"
        "Examples:\n"
        "  harperrt put Sensor/1 '{\"temp\":21}'\n"
        "  echo '{\"temp\":22}' | harperrt put Sensor/1\n"
        "  harperrt put -n Sensor/1                    # delete\n");
    sub->callback([opts, &ctx] { ctx.exit_code = run_put(*opts); });
}

}  // namespace harperrt::cmd
