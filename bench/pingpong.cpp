// harperrt_pingpong: this machine's floor for a message that crosses between two cores.
//
// One byte goes back and forth over a socketpair between a thread pinned to core 0 and one
// pinned to core 1, 20 000 times, 50 us apart; prints the round trip's p50 and p99. With
// --spin the core-0 side polls epoll instead of sleeping in it, so only one side pays a
// wake-up. Every broker benchmark that needs two crossings (latency_q1, each round of a
// snapshot) has at least the sleeping round trip in it (bench/README.md).
//
//   harperrt_pingpong [--spin]
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace {

void pin(std::size_t cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ::sched_setaffinity(0, sizeof set, &set);
}

}  // namespace

int main(int argc, char** argv) {
    const bool spin = argc > 1 && std::strcmp(argv[1], "--spin") == 0;
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        std::perror("socketpair");
        return 1;
    }
    std::thread echo([&] {
        pin(0);
        const int ep = ::epoll_create1(0);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
        char b = 0;
        for (;;) {
            epoll_event e{};
            int n = 0;
            do n = ::epoll_wait(ep, &e, 1, spin ? 0 : -1);
            while (n == 0);
            if (::read(sv[1], &b, 1) != 1 || ::write(sv[1], &b, 1) != 1) break;
        }
        ::close(ep);
    });
    pin(1);
    std::vector<double> us;
    char b = 'x';
    for (int i = 0; i < 20000; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        if (::write(sv[0], &b, 1) != 1 || ::read(sv[0], &b, 1) != 1) break;
        us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
        ::usleep(50);
    }
    ::close(sv[0]);
    echo.join();
    if (us.empty()) return 1;
    std::sort(us.begin(), us.end());
    std::printf("{\"spin\":%s,\"rtt_p50_us\":%.1f,\"rtt_p99_us\":%.1f}\n", spin ? "true" : "false", us[us.size() / 2],
                us[us.size() * 99 / 100]);
    return 0;
}
