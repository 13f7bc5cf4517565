// Pki: a throwaway certificate authority for TLS tests, made with the openssl CLI in a temp
// dir that is removed with it: the CA (ca.pem), a server certificate for localhost and
// 127.0.0.1 ("server"), one for another host name ("elsewhere", for host name checks), and a
// client certificate with CN alice ("client"). Each name has NAME.pem and NAME.key.
#pragma once

#include <filesystem>
#include <string>

namespace harperrt::test {

class Pki {
public:
    Pki();  // throws std::runtime_error when openssl fails
    ~Pki();
    Pki(const Pki&) = delete;
    Pki& operator=(const Pki&) = delete;

    std::string path(const std::string& file) const { return (dir_ / file).string(); }
    // The daemon's tls: section serving certificate `name`, trusting the CA for clients.
    std::string tls_yaml(const std::string& name = "server") const;

private:
    void make_cert(const std::string& name, const std::string& cn, const std::string& ext);
    void run(const std::string& cmd);

    std::filesystem::path dir_;
};

}  // namespace harperrt::test
