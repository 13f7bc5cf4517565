#include "tests/support/pki.hpp"

#include "tests/support/daemon.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <stdexcept>

namespace harperrt::test {

namespace fs = std::filesystem;

namespace {
std::atomic<int> g_counter{0};
}

Pki::Pki() {
    dir_ = fs::temp_directory_path() /
           ("harperrt-pki-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter.fetch_add(1)));
    fs::create_directories(dir_);
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=harperrt-test-ca -keyout ca.key -out ca.pem");
    make_cert("server", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    make_cert("elsewhere", "elsewhere.invalid", "subjectAltName=DNS:elsewhere.invalid");  // a wrong host
    make_cert("client", "alice", "extendedKeyUsage=clientAuth");
}

Pki::~Pki() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

std::string Pki::tls_yaml(const std::string& name) const {
    return "tls: { certificate: " + path(name + ".pem") + ", privateKey: " + path(name + ".key") +
           ", certificateAuthority: " + path("ca.pem") + " }\n";
}

void Pki::make_cert(const std::string& name, const std::string& cn, const std::string& ext) {
    run("openssl req -newkey rsa:2048 -nodes -subj /CN=" + cn + " -keyout " + name + ".key -out " + name + ".csr");
    std::ofstream(dir_ / (name + ".ext")) << ext << "\n";
    run("openssl x509 -req -in " + name + ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile " + name +
        ".ext -out " + name + ".pem");
}

void Pki::run(const std::string& cmd) {
    std::string err;
    if (run_command("cd " + shell_quote(dir_.string()) + " && " + cmd, nullptr, &err) != 0)
        throw std::runtime_error(cmd + ": " + err);
}

}  // namespace harperrt::test
