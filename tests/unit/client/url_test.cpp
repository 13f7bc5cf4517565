// client::apply_url: schemes, default ports, credentials, IPv6 literals, WebSocket paths and
// the message for each kind of bad URL.
#include "client/options.hpp"

#include <gtest/gtest.h>

#include <string>

namespace harperrt::client {
namespace {

Options parse(const std::string& url, Options base = {}) {
    std::string problem;
    auto r = apply_url(url, std::move(base), &problem);
    EXPECT_TRUE(r.has_value()) << url << ": " << problem;
    return r ? *r : Options{};
}

// The problem apply_url reports for `url` (and that it fails with Errc::bad_url).
std::string problem_of(const std::string& url) {
    std::string problem;
    auto r = apply_url(url, Options{}, &problem);
    EXPECT_FALSE(r.has_value()) << url << " parsed";
    if (!r) {
        EXPECT_EQ(r.error(), Errc::bad_url) << url;
    }
    EXPECT_FALSE(problem.empty()) << url;
    return problem;
}

TEST(ClientUrl, SchemesPickTheTransportAndDefaultPort) {
    struct Case {
        const char* url;
        net::Transport transport;
        std::uint16_t port;
    };
    for (const auto& c : {Case{"mqtt://db.example", net::Transport::tcp, 1883}, Case{"tcp://db.example", net::Transport::tcp, 1883},
                          Case{"mqtts://db.example", net::Transport::tls, 8883}, Case{"ssl://db.example", net::Transport::tls, 8883},
                          Case{"tls://db.example", net::Transport::tls, 8883}, Case{"ws://db.example", net::Transport::ws, 9926},
                          Case{"wss://db.example", net::Transport::wss, 9926}, Case{"MQTTS://db.example", net::Transport::tls, 8883},
                          Case{"WsS://db.example", net::Transport::wss, 9926}}) {
        const auto o = parse(c.url);
        EXPECT_EQ(o.transport, c.transport) << c.url;
        EXPECT_EQ(o.host, "db.example") << c.url;
        EXPECT_EQ(o.port, 0) << c.url;  // 0: the scheme's default
        EXPECT_EQ(o.effective_port(), c.port) << c.url;
        EXPECT_EQ(o.authority(), "db.example:" + std::to_string(c.port)) << c.url;
        EXPECT_FALSE(o.username) << c.url;
        EXPECT_FALSE(o.password) << c.url;
    }
    EXPECT_EQ(default_port(net::Transport::tcp), 1883);
    EXPECT_EQ(default_port(net::Transport::tls), 8883);
    EXPECT_EQ(default_port(net::Transport::ws), 9926);
    EXPECT_EQ(default_port(net::Transport::wss), 9926);
}

TEST(ClientUrl, ExplicitPortsOverrideTheDefaultAndAnEarlierPort) {
    EXPECT_EQ(parse("mqtt://127.0.0.1:1884").effective_port(), 1884);
    EXPECT_EQ(parse("mqtts://h:1").port, 1);
    EXPECT_EQ(parse("ws://h:65535").port, 65535);
    Options base;
    base.port = 1999;
    base.host = "old";
    const auto o = parse("mqtt://new", base);  // a URL without a port means the default
    EXPECT_EQ(o.port, 0);
    EXPECT_EQ(o.host, "new");
}

TEST(ClientUrl, UserAndPasswordArePercentDecoded) {
    auto o = parse("mqtt://alice:s%40cr%3At%2F%25@db.example:1883");
    EXPECT_EQ(o.username, "alice");
    EXPECT_EQ(o.password, "s@cr:t/%");
    EXPECT_EQ(o.host, "db.example");
    EXPECT_EQ(o.port, 1883);

    o = parse("mqtt://b%C3%B6b@h");  // UTF-8 user name, no password
    EXPECT_EQ(o.username, "b\xc3\xb6" "b");
    EXPECT_FALSE(o.password);

    o = parse("mqtt://:only-password@h");  // v5 allows a password without a user name
    EXPECT_EQ(o.username, "");
    EXPECT_EQ(o.password, "only-password");

    o = parse("mqtt://carol:@h");  // an empty password is a password
    EXPECT_EQ(o.username, "carol");
    EXPECT_EQ(o.password, "");

    o = parse("mqtt://a:p@ss@h");  // the last @ ends the user info
    EXPECT_EQ(o.username, "a");
    EXPECT_EQ(o.password, "p@ss");
    EXPECT_EQ(o.host, "h");
}

TEST(ClientUrl, CredentialsNotInTheUrlAreKept) {
    Options base;
    base.username = "env-user";
    base.password = "env-pass";
    auto o = parse("mqtt://h", base);
    EXPECT_EQ(o.username, "env-user");
    EXPECT_EQ(o.password, "env-pass");
    o = parse("mqtt://url-user@h", base);
    EXPECT_EQ(o.username, "url-user");
    EXPECT_EQ(o.password, "env-pass");
}

TEST(ClientUrl, Ipv6LiteralsGoInBrackets) {
    auto o = parse("mqtt://[::1]:1884");
    EXPECT_EQ(o.host, "::1");
    EXPECT_EQ(o.port, 1884);
    EXPECT_EQ(o.authority(), "[::1]:1884");

    o = parse("wss://u:p@[2001:db8::5]/mqtt");
    EXPECT_EQ(o.transport, net::Transport::wss);
    EXPECT_EQ(o.host, "2001:db8::5");
    EXPECT_EQ(o.port, 0);
    EXPECT_EQ(o.authority(), "[2001:db8::5]:9926");
    EXPECT_EQ(o.username, "u");
    EXPECT_EQ(o.path, "/mqtt");

    o = parse("mqtt://[::ffff:127.0.0.1]");
    EXPECT_EQ(o.host, "::ffff:127.0.0.1");
}

TEST(ClientUrl, WebSocketPathIsTheRequestTarget) {
    EXPECT_EQ(parse("ws://h:9926").path, "/mqtt");
    EXPECT_EQ(parse("ws://h:9926/").path, "/");
    EXPECT_EQ(parse("ws://h:9926/mqtt").path, "/mqtt");
    EXPECT_EQ(parse("wss://h/a/b?token=x%20y").path, "/a/b?token=x%20y");
    EXPECT_EQ(parse("ws://h?x=1").path, "/?x=1");
    Options base;
    base.path = "/from-env";
    EXPECT_EQ(parse("ws://h", base).path, "/mqtt");  // not inherited from an earlier URL
    EXPECT_EQ(parse("mqtt://h/").transport, net::Transport::tcp);  // a bare "/" is fine
}

TEST(ClientUrl, BadUrlsSayWhatIsWrong) {
    EXPECT_NE(problem_of("localhost:1883").find("scheme://"), std::string::npos);
    EXPECT_NE(problem_of("").find("scheme://"), std::string::npos);
    EXPECT_NE(problem_of("http://h").find("unknown scheme 'http'"), std::string::npos);
    EXPECT_NE(problem_of("://h").find("unknown scheme ''"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://").find("no host"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://:1883").find("no host"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://user@").find("no host"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://h:").find("bad port ''"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://h:0").find("bad port '0'"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://h:65536").find("bad port '65536'"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://h:99999999999").find("bad port"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://h:12ab").find("bad port '12ab'"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://h:-1").find("bad port"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://::1:1883").find("brackets"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://[::1:1883").find("']'"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://[::1]1883").find("':port'"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://[]:1883").find("not an IPv6 address"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://[db.example]:1883").find("not an IPv6 address"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://[::1]:").find("bad port"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://u%4:p@h").find("user name"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://u:p%zz@h").find("password"), std::string::npos);
    EXPECT_NE(problem_of("mqtt://u:p%00@h").find("password"), std::string::npos);  // U+0000
    EXPECT_NE(problem_of("mqtt://h/Sensor/1").find("no path"), std::string::npos);
    EXPECT_NE(problem_of("mqtts://h:8883/x").find("no path"), std::string::npos);
    EXPECT_NE(problem_of("ws://h/mqtt#frag").find("fragment"), std::string::npos);
}

TEST(ClientUrl, ABadUrlWithoutAProblemStringStillFails) {
    auto r = apply_url("bogus://x", Options{});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), Errc::bad_url);
    EXPECT_EQ(r.error().message(), "bad URL");
}

}  // namespace
}  // namespace harperrt::client
