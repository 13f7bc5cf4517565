// client/format.cpp: message_json and -F format strings (see format.hpp).
#include "client/format.hpp"

#include "common/encoding/content_type.hpp"
#include "common/encoding/display.hpp"

#include <fmt/core.h>

#include <cctype>
#include <ctime>

namespace harperrt::client {

namespace {

constexpr std::string_view percent_directives = "tpxXqrlmCRDEFPjJIU%";
constexpr std::string_view escapes = "ntrvae0\\";

std::tm local_tm(std::chrono::system_clock::time_point t) {
    const std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::localtime_r(&secs, &tm);
    return tm;
}

std::string strftime_of(const std::tm& tm, const char* spec) {
    char buf[128];
    const std::size_t n = std::strftime(buf, sizeof buf, spec, &tm);
    return std::string(buf, n);
}

std::string iso8601(std::chrono::system_clock::time_point t) {
    return strftime_of(local_tm(t), "%Y-%m-%dT%H:%M:%S%z");
}

std::string unix_time(std::chrono::system_clock::time_point t) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    // Floor division, so times before 1970 print a fraction in [0, 1e9) as well.
    auto secs = ns / 1'000'000'000, frac = ns % 1'000'000'000;
    if (frac < 0) {
        frac += 1'000'000'000;
        --secs;
    }
    return fmt::format("{}.{:09}", secs, frac);
}

std::string hex(std::string_view bytes, bool upper) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

}  // namespace


std::optional<encoding::Format> wire_format(const mqtt::Publish& p) {
    if (!p.properties.content_type) return std::nullopt;
    return encoding::format_from_content_type(*p.properties.content_type);
}

std::string message_json(const mqtt::Publish& p) {
    return fmt::format("{{\"topic\":{},\"retain\":{},\"qos\":{},\"payload\":{}}}", json_string(p.topic),
                       p.retain ? "true" : "false", static_cast<int>(p.qos),
                       encoding::to_display_json(p.payload, wire_format(p)));
}

std::optional<std::string> check_format(std::string_view format) {
    for (std::size_t i = 0; i < format.size(); ++i) {
        const char c = format[i];
        if (c != '%' && c != '\\' && c != '@') continue;
        if (i + 1 == format.size()) return fmt::format("'{}' at the end of the format", c);
        const char n = format[++i];
        if (c == '%' && percent_directives.find(n) == std::string_view::npos)
            return fmt::format("unknown directive %{} (see -F in harperrt-sub(1))", n);
        if (c == '\\' && escapes.find(n) == std::string_view::npos) return fmt::format("unknown escape \\{}", n);
        if (c == '@' && n != '@' && std::isalpha(static_cast<unsigned char>(n)) == 0)
            return fmt::format("unknown time directive @{}", n);
    }
    return std::nullopt;
}

std::string format_message(std::string_view format, const mqtt::Publish& p, std::chrono::system_clock::time_point received) {
    const auto& props = p.properties;
    std::string out;
    for (std::size_t i = 0; i < format.size(); ++i) {
        const char c = format[i];
        if ((c != '%' && c != '\\' && c != '@') || i + 1 == format.size()) {
            out += c;
            continue;
        }
        const char n = format[++i];
        if (c == '\\') {
            switch (n) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'v': out += '\v'; break;
            case 'a': out += '\a'; break;
            case 'e': out += '\x1b'; break;
            case '0': out += '\0'; break;
            case '\\': out += '\\'; break;
            default: out += c; out += n;
            }
            continue;
        }
        if (c == '@') {
            if (n == '@') out += '@';
            else if (std::isalpha(static_cast<unsigned char>(n)) != 0) out += strftime_of(local_tm(received), std::string{'%', n}.c_str());
            else { out += c; out += n; }
            continue;
        }
        switch (n) {
        case 't': out += p.topic; break;
        case 'p': out += p.payload; break;
        case 'x': out += hex(p.payload, false); break;
        case 'X': out += hex(p.payload, true); break;
        case 'q': out += std::to_string(static_cast<int>(p.qos)); break;
        case 'r': out += p.retain ? '1' : '0'; break;
        case 'l': out += std::to_string(p.payload.size()); break;
        case 'm': out += std::to_string(p.packet_id); break;
        case 'C': out += props.content_type.value_or(""); break;
        case 'R': out += props.response_topic.value_or(""); break;
        case 'D': out += props.correlation_data.value_or(""); break;
        case 'E':
            if (props.message_expiry_interval) out += std::to_string(*props.message_expiry_interval);
            break;
        case 'F':
            if (props.payload_format_indicator) out += std::to_string(*props.payload_format_indicator);
            break;
        case 'P':
            for (std::size_t k = 0; k < props.user_properties.size(); ++k) {
                if (k > 0) out += ' ';
                out += props.user_properties[k].first + ":" + props.user_properties[k].second;
            }
            break;
        case 'j': out += message_json(p); break;
        case 'J':
            out += fmt::format("{{\"time\":{},\"topic\":{},\"retain\":{},\"qos\":{},\"length\":{}{},\"payload\":{}}}",
                               json_string(iso8601(received)), json_string(p.topic), p.retain ? "true" : "false",
                               static_cast<int>(p.qos), p.payload.size(),
                               props.content_type ? ",\"content_type\":" + json_string(*props.content_type) : "",
                               encoding::to_display_json(p.payload, wire_format(p)));
            break;
        case 'I': out += iso8601(received); break;
        case 'U': out += unix_time(received); break;
        case '%': out += '%'; break;
        default: out += c; out += n;
        }
    }
    return out;
}

}  // namespace harperrt::client
