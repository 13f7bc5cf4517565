// harperrt_loadgen: a single-threaded epoll MQTT load generator for bench/run.sh.
//
// One process, many non-blocking TCP connections to one broker on loopback, raw MQTT 3.1.1
// (or 5.0 with --mqtt 5) framed and decoded by harperrt's own codec. Each run does one
// scenario and prints one JSON line of results on stdout; errors go to stderr and give
// exit code 1. Everything is bounded: message counts, in-flight windows, output buffers
// and a wall-clock --time-limit after which the run stops and reports "timeout":true.
//
//   fanin     --pubs 10 --qos 0|1|2 --count N --inflight 1000
//             P publishers -> 1 subscriber on bench/fanin/#. QoS 1/2: at most --inflight
//             unacknowledged PUBLISHes over all publishers. QoS 0 has no acks, so the
//             window is end to end: sent - delivered <= --inflight (a stall of --stall-ms
//             writes the outstanding ones off as lost).
//   fanout    --subs 100 --qos 0 --count N --inflight 100
//             1 publisher -> S subscribers on bench/fanout; reports deliveries/s.
//   latency   --rate 10000 --qos 1 --count N --spin 0|1
//             1 publisher paced by a timerfd at --rate, 1 subscriber; each payload carries
//             its intended send time, so queueing delay is not hidden (no coordinated
//             omission). Reports p50/p90/p99/p999/max in microseconds, and apart: the
//             same from the actual send time, and the generator's send lag (actual -
//             intended: its timer wake-up when it sleeps). --spin 1: the
//             generator polls (epoll_wait with timeout 0) instead of sleeping, so its own
//             wake-up is not counted in each sample: the broker's wake-up and work remain.
//   retained  --count N --pubs 10 --inflight 1000 --prefix Bench/
//             retained QoS 1 puts of a JSON map to prefix+0 .. prefix+N-1.
//   snapshot  --filter 'Bench/#' --count N --qos 1
//             one subscriber; time from SUBSCRIBE until N retained messages arrived.
//   idle      --conns 10000
//             opens N connections (CONNECT, keep-alive 600 s) and holds them; with --pid
//             reports the broker's RSS growth per connection.
//
// Common: --host 127.0.0.1 --port 1883 --payload 100 --time-limit 60 --stall-ms 1000
//         --pid BROKER_PID (adds broker CPU seconds and RSS from /proc) --mqtt 311|5
#include "common/mqtt/codec.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <span>
#include <sstream>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <vector>

namespace m = harperrt::mqtt;

namespace {

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "harperrt_loadgen: %s\n", what.c_str());
    std::exit(1);
}

struct Options {
    std::map<std::string, std::string> kv;
    std::string mode;

    std::string str(const std::string& k, const std::string& def) const {
        auto it = kv.find(k);
        return it == kv.end() ? def : it->second;
    }
    std::uint64_t num(const std::string& k, std::uint64_t def) const {
        auto it = kv.find(k);
        if (it == kv.end()) return def;
        char* end = nullptr;
        const auto v = std::strtoull(it->second.c_str(), &end, 10);
        if (end == it->second.c_str() || *end != '\0') die("--" + k + " needs a non-negative integer");
        return v;
    }
    double real(const std::string& k, double def) const {
        auto it = kv.find(k);
        if (it == kv.end()) return def;
        return std::strtod(it->second.c_str(), nullptr);
    }
};

// Broker process figures from /proc (0 when no --pid).
struct ProcSample {
    double cpu_s = 0;
    std::uint64_t rss_kib = 0;
};

ProcSample sample_proc(long pid) {
    ProcSample s;
    if (pid <= 0) return s;
    {
        std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto rp = all.rfind(')');
        if (rp == std::string::npos) return s;
        std::istringstream fields(all.substr(rp + 2));
        std::string f;
        std::vector<std::string> v;
        while (fields >> f) v.push_back(f);
        // After "pid (comm) ", field 3 (state) is v[0]; utime is field 14, stime field 15.
        if (v.size() > 12) {
            const double tck = static_cast<double>(::sysconf(_SC_CLK_TCK));
            s.cpu_s = (std::strtod(v[11].c_str(), nullptr) + std::strtod(v[12].c_str(), nullptr)) / tck;
        }
    }
    std::ifstream st("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(st, line))
        if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::strtoull(line.c_str() + 6, nullptr, 10);
    return s;
}

enum class Role : std::uint8_t { publisher, subscriber, idle };

struct Conn {
    int fd = -1;
    Role role = Role::idle;
    std::uint32_t index = 0;
    bool connacked = false;
    bool subacked = false;
    bool closed = false;
    std::vector<std::byte> in;
    std::size_t in_off = 0;
    m::Bytes out;
    std::size_t out_off = 0;
    // publisher
    m::Publish pub;
    std::uint64_t quota = 0;   // messages this publisher sends
    std::uint64_t sent = 0;
    std::uint64_t acked = 0;
    std::uint32_t inflight = 0;
    std::uint16_t next_pid = 1;
    // subscriber
    std::uint64_t received = 0;
};

class Loadgen {
public:
    explicit Loadgen(const Options& o) : opt_(o) {
        mode_ = o.mode;
        port_ = static_cast<std::uint16_t>(o.num("port", 1883));
        host_ = o.str("host", "127.0.0.1");
        version_ = o.num("mqtt", 311) == 5 ? m::Version::v5 : m::Version::v311;
        qos_ = static_cast<std::uint8_t>(o.num("qos", mode_ == "fanout" ? 0 : 1));
        if (qos_ > 2) die("--qos must be 0, 1 or 2");
        count_ = o.num("count", 10000);
        payload_ = static_cast<std::size_t>(o.num("payload", 100));
        if (payload_ < 16) payload_ = 16;
        window_ = static_cast<std::uint32_t>(o.num("inflight", mode_ == "fanout" ? 100 : 1000));
        if (window_ == 0) window_ = 1;
        time_limit_ns_ = static_cast<std::int64_t>(o.real("time-limit", 60) * 1e9);
        stall_ns_ = static_cast<std::int64_t>(o.num("stall-ms", 1000)) * 1'000'000;
        pid_ = static_cast<long>(o.num("pid", 0));
        spin_ = o.num("spin", 0) != 0;
        ep_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) die("epoll_create1 failed");
        rlimit rl{};
        if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
            rl.rlim_cur = rl.rlim_max;
            ::setrlimit(RLIMIT_NOFILE, &rl);
        }
    }

    int run() {
        start_ns_ = now_ns();
        if (mode_ == "fanin") return fanin();
        if (mode_ == "fanout") return fanout();
        if (mode_ == "latency") return latency();
        if (mode_ == "retained") return retained();
        if (mode_ == "snapshot") return snapshot();
        if (mode_ == "idle") return idle();
        die("unknown mode '" + mode_ + "' (fanin, fanout, latency, retained, snapshot, idle)");
    }

private:
    // ---- connections -----------------------------------------------------------------
    Conn& open(Role role, std::uint32_t index, std::uint16_t keep_alive = 600) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) die(std::string("socket: ") + std::strerror(errno));
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port_);
        if (::inet_pton(AF_INET, host_.c_str(), &sa.sin_addr) != 1) die("--host must be an IPv4 address");
        if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS)
            die(std::string("connect: ") + std::strerror(errno));
        conns_.push_back(std::make_unique<Conn>());
        Conn& c = *conns_.back();
        c.fd = fd;
        c.role = role;
        c.index = index;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.ptr = &c;
        if (::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl failed");
        m::Connect connect;
        connect.version = version_;
        connect.clean_start = true;
        connect.keep_alive = keep_alive;
        connect.client_id = "lg" + std::to_string(::getpid()) + "-" + mode_ + "-" +
                            (role == Role::publisher ? "p" : role == Role::subscriber ? "s" : "i") +
                            std::to_string(index);
        m::encode_to(connect, version_, c.out);
        flush(c);
        return c;
    }

    void subscribe(Conn& c, const std::string& filter, std::uint8_t qos) {
        m::Subscribe s;
        s.packet_id = 1;
        m::Subscription sub;
        sub.filter = filter;
        sub.options.qos = static_cast<m::QoS>(qos);
        s.subscriptions.push_back(sub);
        m::encode_to(s, version_, c.out);
        flush(c);
    }

    void flush(Conn& c) {
        while (c.out_off < c.out.size() && !c.closed) {
            const auto n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN || errno == EINTR) break;
                lose(c, std::string("send: ") + std::strerror(errno));
                return;
            }
            c.out_off += static_cast<std::size_t>(n);
        }
        if (c.out_off == c.out.size()) {
            c.out.clear();
            c.out_off = 0;
        } else if (c.out_off > (1u << 20)) {
            c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.out_off));
            c.out_off = 0;
        }
    }

    std::size_t pending_out(const Conn& c) const { return c.out.size() - c.out_off; }

    void lose(Conn& c, const std::string& why) {
        if (c.closed) return;
        c.closed = true;
        ++closed_;
        if (!stopping_) {
            std::fprintf(stderr, "harperrt_loadgen: connection %s%u lost: %s\n",
                         c.role == Role::publisher ? "p" : c.role == Role::subscriber ? "s" : "i", c.index,
                         why.c_str());
            error_ = true;
        }
        ::epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
    }

    void on_readable(Conn& c) {
        std::byte buf[65536];
        for (;;) {
            const auto n = ::recv(c.fd, buf, sizeof buf, 0);
            if (n > 0) {
                c.in.insert(c.in.end(), buf, buf + n);
                continue;
            }
            if (n == 0) {
                parse(c);
                lose(c, "closed by the broker");
                return;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == EINTR) continue;
            lose(c, std::string("recv: ") + std::strerror(errno));
            return;
        }
        parse(c);
    }

    void parse(Conn& c) {
        for (;;) {
            std::span<const std::byte> avail(c.in.data() + c.in_off, c.in.size() - c.in_off);
            auto size = m::frame_size(avail, m::max_varint + 5);
            if (!size) {
                lose(c, "malformed frame from the broker");
                return;
            }
            if (*size == 0 || *size > avail.size()) break;
            const auto first = std::to_integer<std::uint8_t>(avail[0]);
            const std::uint8_t type = static_cast<std::uint8_t>(first >> 4);
            if (type == 3) {
                on_publish(c, avail.first(*size), first);
            } else {
                auto p = m::decode(avail.first(*size), version_);
                if (!p) {
                    lose(c, "undecodable packet: " + p.error().message());
                    return;
                }
                on_packet(c, *p);
            }
            c.in_off += *size;
            if (c.closed) return;
        }
        if (c.in_off == c.in.size()) {
            c.in.clear();
            c.in_off = 0;
        } else if (c.in_off > (1u << 20)) {
            c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(c.in_off));
            c.in_off = 0;
        }
        flush(c);
    }

    static void put_ack(std::uint8_t first, std::uint16_t pid, m::Bytes& out) {
        out.push_back(std::byte{first});
        out.push_back(std::byte{2});
        out.push_back(static_cast<std::byte>(pid >> 8));
        out.push_back(static_cast<std::byte>(pid & 0xff));
    }

    // The hot path decodes a PUBLISH by hand (the codec would copy topic and payload).
    void on_publish(Conn& c, std::span<const std::byte> pkt, std::uint8_t first) {
        std::size_t i = 1;
        while (std::to_integer<std::uint8_t>(pkt[i]) & 0x80) ++i;
        ++i;
        const auto rd16 = [&](std::size_t at) {
            return static_cast<std::uint16_t>((std::to_integer<unsigned>(pkt[at]) << 8) | std::to_integer<unsigned>(pkt[at + 1]));
        };
        const std::size_t tlen = rd16(i);
        i += 2 + tlen;
        const auto qos = static_cast<std::uint8_t>((first >> 1) & 3);
        std::uint16_t pid = 0;
        if (qos > 0) {
            pid = rd16(i);
            i += 2;
        }
        if (m::is_v5(version_)) {
            std::span<const std::byte> rest = pkt.subspan(i);
            const auto before = rest.size();
            auto plen = m::read_varint(rest);
            if (!plen) {
                lose(c, "bad PUBLISH properties");
                return;
            }
            i += (before - rest.size()) + *plen;
        }
        const auto payload = pkt.subspan(i);
        if (qos == 1) put_ack(0x40, pid, c.out);
        if (qos == 2) put_ack(0x50, pid, c.out);
        ++c.received;
        ++delivered_;
        last_rx_ns_ = now_ns();
        if (first & 1) ++retained_rx_;
        if (want_latency_ && payload.size() >= 16) {
            std::int64_t intended = 0, actual = 0;
            std::memcpy(&intended, payload.data(), sizeof intended);
            std::memcpy(&actual, payload.data() + sizeof intended, sizeof actual);
            latencies_.push_back(last_rx_ns_ - intended);
            from_send_.push_back(last_rx_ns_ - actual);
            send_lags_.push_back(actual - intended);
        }
    }

    void on_packet(Conn& c, const m::Packet& p) {
        if (auto* ca = std::get_if<m::Connack>(&p)) {
            if (ca->reason_code != m::ReasonCode::success) {
                lose(c, "CONNACK refused");
                return;
            }
            c.connacked = true;
            ++connacked_;
        } else if (auto* sa = std::get_if<m::Suback>(&p)) {
            for (auto rc : sa->reason_codes)
                if (static_cast<std::uint8_t>(rc) >= 0x80) lose(c, "SUBSCRIBE refused");
            c.subacked = true;
            ++subacked_;
        } else if (auto* pa = std::get_if<m::Puback>(&p)) {
            if (static_cast<std::uint8_t>(pa->reason_code) >= 0x80) ++refused_;
            acked(c);
        } else if (auto* pr = std::get_if<m::Pubrec>(&p)) {
            if (static_cast<std::uint8_t>(pr->reason_code) >= 0x80) {
                ++refused_;
                acked(c);
            } else {
                put_ack(0x62, pr->packet_id, c.out);
            }
        } else if (std::get_if<m::Pubcomp>(&p)) {
            acked(c);
        } else if (auto* rel = std::get_if<m::Pubrel>(&p)) {
            put_ack(0x70, rel->packet_id, c.out);
        } else if (std::get_if<m::Disconnect>(&p)) {
            lose(c, "DISCONNECT from the broker");
        }
    }

    void acked(Conn& c) {
        if (c.inflight > 0) --c.inflight;
        ++c.acked;
        ++acked_;
        --total_inflight_;
        last_ack_ns_ = now_ns();
    }

    // Dispatches ready events for at most `timeout_ms`; false when the time limit is hit.
    bool poll_once(int timeout_ms) {
        epoll_event evs[256];
        const int n = ::epoll_wait(ep_, evs, 256, timeout_ms);
        if (n < 0 && errno != EINTR) die("epoll_wait failed");
        for (int k = 0; k < n; ++k) {
            if (evs[k].data.ptr == nullptr) {
                std::uint64_t ticks = 0;
                [[maybe_unused]] auto r = ::read(timer_fd_, &ticks, sizeof ticks);
                continue;
            }
            auto& c = *static_cast<Conn*>(evs[k].data.ptr);
            if (c.closed) continue;
            if (evs[k].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) on_readable(c);
            if (!c.closed && (evs[k].events & EPOLLOUT)) flush(c);
        }
        return now_ns() - start_ns_ < time_limit_ns_;
    }

    // Waits until pred() or the time limit; false on the time limit or a lost connection.
    template <class Pred>
    bool wait_for(Pred pred) {
        while (!pred()) {
            if (error_) return false;
            if (!poll_once(50)) {
                timed_out_ = true;
                return false;
            }
        }
        return !error_;
    }

    void connect_many(Role role, std::uint32_t n, std::uint32_t first_index = 0) {
        const auto target = connacked_ + n;
        for (std::uint32_t i = 0; i < n; ++i) {
            // At most 200 handshakes in flight, far below any listen backlog.
            if (!wait_for([&] { return connacked_ + 200 > target - n + i; })) return;
            open(role, first_index + i);
        }
        wait_for([&] { return connacked_ >= target; });
    }

    // ---- publishing ------------------------------------------------------------------
    void init_publisher(Conn& c, std::string topic, bool retain, std::uint64_t quota) {
        c.pub.topic = std::move(topic);
        c.pub.qos = static_cast<m::QoS>(qos_);
        c.pub.retain = retain;
        c.pub.payload.assign(payload_, 'x');
        c.pub.payload[0] = '\0';  // opaque bytes, not JSON: a message, not a record
        c.quota = quota;
    }

    void send_one(Conn& c, std::int64_t stamp) {
        if (qos_ > 0) {
            c.pub.packet_id = c.next_pid;
            c.next_pid = static_cast<std::uint16_t>(c.next_pid == 65535 ? 1 : c.next_pid + 1);
            ++c.inflight;
            ++total_inflight_;
        }
        std::memcpy(c.pub.payload.data(), &stamp, sizeof stamp);
        if (want_latency_ && c.pub.payload.size() >= 2 * sizeof stamp) {
            // The actual send time as well: the gap to the intended one is the generator's
            // own lag (its timer wake-up when it sleeps), reported apart.
            const std::int64_t actual = now_ns();
            std::memcpy(c.pub.payload.data() + sizeof stamp, &actual, sizeof actual);
        }
        m::encode_publish_to(c.pub, version_, c.out);
        ++c.sent;
        ++sent_;
    }

    // Fills the windows of every publisher; per_conn_window caps each connection's QoS 1/2
    // in-flight; qos0_window caps sent - delivered - written off (end to end).
    void pump(std::uint32_t per_conn_window, std::uint64_t qos0_window, std::uint64_t fan = 1) {
        for (auto* c : publishers_) {
            if (c->closed) continue;
            while (c->sent < c->quota && pending_out(*c) < 65536) {
                if (qos_ > 0 && c->inflight >= per_conn_window) break;
                if (qos_ == 0 && sent_ * fan >= delivered_ + written_off_ + qos0_window * fan) break;
                send_one(*c, now_ns());
            }
            flush(*c);
        }
    }

    bool all_sent() const {
        for (auto* c : publishers_)
            if (c->sent < c->quota && !c->closed) return false;
        return true;
    }

    // Drives publishers until `expected` deliveries (or acks for `count_acks`), the time
    // limit, or a stall of stall_ns_ after everything was sent.
    void drive(std::uint64_t expected, std::uint32_t per_conn_window, std::uint64_t qos0_window,
               std::uint64_t fan, bool count_acks) {
        t0_ = now_ns();
        last_rx_ns_ = last_ack_ns_ = t0_;
        std::uint64_t seen = 0;
        std::int64_t progress_at = t0_;
        for (;;) {
            pump(per_conn_window, qos0_window, fan);
            const std::uint64_t done = count_acks ? acked_ : delivered_;
            if (done >= expected) break;
            if (error_) break;
            const auto now = now_ns();
            if (delivered_ + acked_ != seen) {
                seen = delivered_ + acked_;
                progress_at = now;
            } else if (now - progress_at > stall_ns_) {
                if (all_sent() && (qos_ == 0 || total_inflight_ == 0 || count_acks)) break;
                if (qos_ == 0) {  // the window stalled: the broker dropped what is outstanding
                    written_off_ = sent_ * fan - delivered_;
                    progress_at = now;
                } else {
                    break;  // acks stopped coming: report what we have
                }
            }
            if (!poll_once(1)) {
                timed_out_ = true;
                break;
            }
        }
        t1_ = count_acks ? last_ack_ns_ : last_rx_ns_;
        if (t1_ <= t0_) t1_ = now_ns();
    }

    // ---- scenarios -------------------------------------------------------------------
    int fanin() {
        const auto pubs = static_cast<std::uint32_t>(opt_.num("pubs", 10));
        Conn& sub = open(Role::subscriber, 0);
        if (!wait_for([&] { return sub.connacked; })) return report();
        subscribe(sub, "bench/fanin/#", qos_);
        if (!wait_for([&] { return sub.subacked; })) return report();
        connect_many(Role::publisher, pubs);
        if (error_ || timed_out_) return report();
        for (auto& c : conns_)
            if (c->role == Role::publisher) {
                init_publisher(*c, "bench/fanin/" + std::to_string(c->index), false,
                               count_ / pubs + (c->index < count_ % pubs ? 1 : 0));
                publishers_.push_back(c.get());
            }
        const ProcSample before = sample_proc(pid_);
        drive(count_, std::max<std::uint32_t>(1, window_ / pubs), window_, 1, false);
        const ProcSample after = sample_proc(pid_);
        lost_ = sent_ > delivered_ ? sent_ - delivered_ : 0;
        cpu_ = after.cpu_s - before.cpu_s;
        rss_ = after.rss_kib;
        return report();
    }

    int fanout() {
        const auto subs = static_cast<std::uint32_t>(opt_.num("subs", 100));
        for (std::uint32_t i = 0; i < subs; ++i) {
            if (!wait_for([&] { return connacked_ + 200 > i; })) return report();
            open(Role::subscriber, i);
        }
        if (!wait_for([&] { return connacked_ >= subs; })) return report();
        for (auto& c : conns_) subscribe(*c, "bench/fanout", qos_);
        if (!wait_for([&] { return subacked_ >= subs; })) return report();
        Conn& pub = open(Role::publisher, 0);
        if (!wait_for([&] { return pub.connacked; })) return report();
        init_publisher(pub, "bench/fanout", false, count_);
        publishers_.push_back(&pub);
        const ProcSample before = sample_proc(pid_);
        drive(count_ * subs, window_, window_, subs, false);
        const ProcSample after = sample_proc(pid_);
        lost_ = sent_ * subs > delivered_ ? sent_ * subs - delivered_ : 0;
        cpu_ = after.cpu_s - before.cpu_s;
        rss_ = after.rss_kib;
        return report();
    }

    int latency() {
        const double rate = opt_.real("rate", 10000);
        if (rate <= 0) die("--rate must be positive");
        want_latency_ = true;
        latencies_.reserve(static_cast<std::size_t>(count_));
        from_send_.reserve(static_cast<std::size_t>(count_));
        send_lags_.reserve(static_cast<std::size_t>(count_));
        Conn& sub = open(Role::subscriber, 0);
        if (!wait_for([&] { return sub.connacked; })) return report();
        subscribe(sub, "bench/latency", qos_);
        if (!wait_for([&] { return sub.subacked; })) return report();
        Conn& pub = open(Role::publisher, 0);
        if (!wait_for([&] { return pub.connacked; })) return report();
        init_publisher(pub, "bench/latency", false, count_);
        timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        const auto interval = static_cast<std::int64_t>(1e9 / rate);
        itimerspec its{};
        const auto tick = std::max<std::int64_t>(interval, 50'000);  // wake at most every 50 µs
        its.it_interval.tv_nsec = tick;
        its.it_value.tv_nsec = tick;
        ::timerfd_settime(timer_fd_, 0, &its, nullptr);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = nullptr;
        ::epoll_ctl(ep_, EPOLL_CTL_ADD, timer_fd_, &ev);
        const ProcSample before = sample_proc(pid_);
        t0_ = now_ns();
        std::int64_t progress_at = t0_;
        std::uint64_t seen = 0;
        while (delivered_ < count_ && !error_) {
            const auto now = now_ns();
            // Send everything whose intended time has come, stamped with that time.
            while (pub.sent < count_ && t0_ + static_cast<std::int64_t>(pub.sent) * interval <= now &&
                   (qos_ == 0 || pub.inflight < window_) && pending_out(pub) < (1u << 20))
                send_one(pub, t0_ + static_cast<std::int64_t>(pub.sent) * interval);
            flush(pub);
            if (delivered_ != seen) {
                seen = delivered_;
                progress_at = now;
            } else if (pub.sent >= count_ && now - progress_at > stall_ns_) {
                break;
            }
            if (!poll_once(spin_ ? 0 : 1)) {
                timed_out_ = true;
                break;
            }
        }
        t1_ = last_rx_ns_ > t0_ ? last_rx_ns_ : now_ns();
        const ProcSample after = sample_proc(pid_);
        lost_ = sent_ > delivered_ ? sent_ - delivered_ : 0;
        cpu_ = after.cpu_s - before.cpu_s;
        rss_ = after.rss_kib;
        return report();
    }

    int retained() {
        const auto pubs = static_cast<std::uint32_t>(opt_.num("pubs", 10));
        const std::string prefix = opt_.str("prefix", "Bench/");
        connect_many(Role::publisher, pubs);
        if (error_ || timed_out_) return report();
        for (auto& c : conns_) {
            c->pub.qos = static_cast<m::QoS>(qos_);
            c->pub.retain = true;
            c->quota = count_ / pubs + (c->index < count_ % pubs ? 1 : 0);
            publishers_.push_back(c.get());
        }
        const ProcSample before = sample_proc(pid_);
        t0_ = now_ns();
        last_ack_ns_ = t0_;
        const auto per_conn = std::max<std::uint32_t>(1, window_ / pubs);
        std::int64_t progress_at = t0_;
        std::uint64_t seen = 0;
        std::string body;
        while (acked_ < count_ && !error_) {
            for (auto* c : publishers_) {
                while (c->sent < c->quota && c->inflight < per_conn && pending_out(*c) < 65536) {
                    const std::uint64_t key = c->sent * pubs + c->index;
                    c->pub.topic = prefix + std::to_string(key);
                    // A JSON map of about --payload bytes: a record in harperrt.
                    body = "{\"n\":" + std::to_string(key) + ",\"pad\":\"";
                    const std::size_t pad = payload_ > body.size() + 2 ? payload_ - body.size() - 2 : 0;
                    body.append(pad, 'x');
                    body += "\"}";
                    c->pub.payload = body;
                    c->pub.packet_id = c->next_pid;
                    c->next_pid = static_cast<std::uint16_t>(c->next_pid == 65535 ? 1 : c->next_pid + 1);
                    ++c->inflight;
                    ++total_inflight_;
                    m::encode_publish_to(c->pub, version_, c->out);
                    ++c->sent;
                    ++sent_;
                }
                flush(*c);
            }
            const auto now = now_ns();
            if (acked_ != seen) {
                seen = acked_;
                progress_at = now;
            } else if (now - progress_at > stall_ns_ * 10) {
                break;
            }
            if (!poll_once(1)) {
                timed_out_ = true;
                break;
            }
        }
        t1_ = last_ack_ns_ > t0_ ? last_ack_ns_ : now_ns();
        const ProcSample after = sample_proc(pid_);
        lost_ = sent_ > acked_ ? sent_ - acked_ : 0;
        cpu_ = after.cpu_s - before.cpu_s;
        rss_ = after.rss_kib;
        rate_basis_acks_ = true;
        return report();
    }

    int snapshot() {
        const std::string filter = opt_.str("filter", "Bench/#");
        Conn& sub = open(Role::subscriber, 0);
        if (!wait_for([&] { return sub.connacked; })) return report();
        const ProcSample before = sample_proc(pid_);
        t0_ = now_ns();
        last_rx_ns_ = t0_;
        subscribe(sub, filter, qos_);
        std::int64_t progress_at = t0_;
        std::uint64_t seen = 0;
        while (delivered_ < count_ && !error_) {
            const auto now = now_ns();
            if (delivered_ != seen) {
                seen = delivered_;
                progress_at = now;
            } else if (now - progress_at > stall_ns_ * 5) {
                break;
            }
            if (!poll_once(5)) {
                timed_out_ = true;
                break;
            }
        }
        t1_ = last_rx_ns_ > t0_ ? last_rx_ns_ : now_ns();
        const ProcSample after = sample_proc(pid_);
        lost_ = count_ > delivered_ ? count_ - delivered_ : 0;
        cpu_ = after.cpu_s - before.cpu_s;
        rss_ = after.rss_kib;
        return report();
    }

    int idle() {
        const auto n = static_cast<std::uint32_t>(opt_.num("conns", 10000));
        const double hold = opt_.real("hold", 1.0);
        const ProcSample before = sample_proc(pid_);
        t0_ = now_ns();
        connect_many(Role::idle, n);
        t1_ = now_ns();
        const auto until = now_ns() + static_cast<std::int64_t>(hold * 1e9);
        while (!error_ && now_ns() < until) poll_once(50);
        const ProcSample after = sample_proc(pid_);
        rss_before_ = before.rss_kib;
        rss_ = after.rss_kib;
        cpu_ = after.cpu_s - before.cpu_s;
        idle_conns_ = connacked_;
        return report();
    }

    int report() {
        stopping_ = true;
        if (t1_ == 0) t1_ = now_ns();
        if (t0_ == 0) t0_ = start_ns_;
        const double elapsed = static_cast<double>(t1_ - t0_) / 1e9;
        const std::uint64_t basis = rate_basis_acks_ ? acked_ : delivered_;
        std::string j = "{\"mode\":\"" + mode_ + "\",\"qos\":" + std::to_string(qos_);
        const auto add = [&](const char* k, const std::string& v) { j += ",\""; j += k; j += "\":"; j += v; };
        const auto num = [](double v) {
            char b[64];
            std::snprintf(b, sizeof b, "%.6g", v);
            return std::string(b);
        };
        add("sent", std::to_string(sent_));
        add("acked", std::to_string(acked_));
        add("delivered", std::to_string(delivered_));
        add("retained_rx", std::to_string(retained_rx_));
        add("lost", std::to_string(lost_));
        add("refused", std::to_string(refused_));
        add("elapsed_s", num(elapsed));
        add("rate", num(elapsed > 0 ? static_cast<double>(basis) / elapsed : 0));
        if (want_latency_ && !latencies_.empty()) {
            std::sort(latencies_.begin(), latencies_.end());
            const auto pct = [&](double p) {
                const auto idx = static_cast<std::size_t>(p * static_cast<double>(latencies_.size() - 1));
                return num(static_cast<double>(latencies_[idx]) / 1e3);
            };
            add("spin", spin_ ? "true" : "false");
            add("p50_us", pct(0.50));
            add("p90_us", pct(0.90));
            add("p99_us", pct(0.99));
            add("p999_us", pct(0.999));
            add("max_us", num(static_cast<double>(latencies_.back()) / 1e3));
            // The same samples from the actual send time (without the generator's lag), and
            // the lag itself: where a sample's time goes, the generator's part apart.
            const auto pct_of = [&](std::vector<std::int64_t>& v, double p) {
                std::sort(v.begin(), v.end());
                return num(static_cast<double>(v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))]) / 1e3);
            };
            add("from_send_p50_us", pct_of(from_send_, 0.50));
            add("from_send_p99_us", pct_of(from_send_, 0.99));
            add("send_lag_p50_us", pct_of(send_lags_, 0.50));
            add("send_lag_p99_us", pct_of(send_lags_, 0.99));
        }
        if (pid_ > 0) {
            add("broker_cpu_s", num(cpu_));
            if (basis > 0) add("cpu_s_per_million", num(cpu_ * 1e6 / static_cast<double>(basis)));
            add("broker_rss_kib", std::to_string(rss_));
            if (mode_ == "idle" && idle_conns_ > 0) {
                add("rss_before_kib", std::to_string(rss_before_));
                add("kib_per_conn", num((static_cast<double>(rss_) - static_cast<double>(rss_before_)) /
                                        static_cast<double>(idle_conns_)));
            }
        }
        if (mode_ == "idle") add("connections", std::to_string(connacked_));
        add("timeout", timed_out_ ? "true" : "false");
        add("error", error_ ? "true" : "false");
        j += "}";
        std::printf("%s\n", j.c_str());
        std::fflush(stdout);
        for (auto& c : conns_)
            if (!c->closed) ::close(c->fd);
        return error_ || timed_out_ ? 1 : 0;
    }

    const Options& opt_;
    std::string mode_, host_;
    std::uint16_t port_ = 1883;
    m::Version version_ = m::Version::v311;
    std::uint8_t qos_ = 1;
    std::uint64_t count_ = 0;
    std::size_t payload_ = 100;
    std::uint32_t window_ = 1000;
    std::int64_t time_limit_ns_ = 0, stall_ns_ = 0, start_ns_ = 0;
    long pid_ = 0;
    int ep_ = -1, timer_fd_ = -1;
    std::vector<std::unique_ptr<Conn>> conns_;
    std::vector<Conn*> publishers_;
    std::uint64_t connacked_ = 0, subacked_ = 0, closed_ = 0;
    std::uint64_t sent_ = 0, acked_ = 0, delivered_ = 0, retained_rx_ = 0, refused_ = 0, lost_ = 0,
                  written_off_ = 0, idle_conns_ = 0;
    std::int64_t total_inflight_ = 0;
    std::int64_t t0_ = 0, t1_ = 0, last_rx_ns_ = 0, last_ack_ns_ = 0;
    bool want_latency_ = false, rate_basis_acks_ = false;
    bool spin_ = false;  // latency: poll instead of sleeping
    bool error_ = false, timed_out_ = false, stopping_ = false;
    std::vector<std::int64_t> latencies_;  // receive - intended send time
    std::vector<std::int64_t> from_send_;  // receive - actual send time
    std::vector<std::int64_t> send_lags_;  // actual - intended send time
    double cpu_ = 0;
    std::uint64_t rss_ = 0, rss_before_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (argc < 2 || std::string(argv[1]) == "--help") {
        std::fprintf(stderr,
                     "usage: harperrt_loadgen fanin|fanout|latency|retained|snapshot|idle [--key value]...\n"
                     "  see the comment at the top of bench/loadgen.cpp for the keys\n");
        return argc < 2 ? 2 : 0;
    }
    o.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0 || i + 1 >= argc) die("expected --key value, got '" + k + "'");
        o.kv[k.substr(2)] = argv[++i];
    }
    Loadgen lg(o);
    return lg.run();
}
