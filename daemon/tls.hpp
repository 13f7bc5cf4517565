// TLS server contexts from `tls.*` (DESIGN.md §7): TLS 1.2 or later, the certificate chain
// and private key, and with mtls a required client certificate verified against
// tls.certificateAuthority. SIGHUP builds a new context; connections accepted after that
// use it, established ones keep theirs (an SSL holds a reference to its SSL_CTX).
#pragma once

#include <utility>  // before Asio (Boost 1.74)

#include "common/config/config.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

namespace harperrt::daemon {

// Builds a server context; nullptr with `error` set when a file is missing or unreadable,
// the key does not match the certificate, or (with require_client_cert) there is no CA.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const config::TlsConfig& tls,
                                                                   bool require_client_cert, std::string& error);

// The context new connections use. Thread-safe.
class TlsContextHolder {
public:
    explicit TlsContextHolder(std::shared_ptr<boost::asio::ssl::context> ctx) : ctx_(std::move(ctx)) {}
    std::shared_ptr<boost::asio::ssl::context> get() const {
        const std::lock_guard lock(mu_);
        return ctx_;
    }
    void set(std::shared_ptr<boost::asio::ssl::context> ctx) {
        const std::lock_guard lock(mu_);
        ctx_ = std::move(ctx);
    }

private:
    mutable std::mutex mu_;
    std::shared_ptr<boost::asio::ssl::context> ctx_;  // guarded by mu_
};

}  // namespace harperrt::daemon
