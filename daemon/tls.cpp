#include "daemon/tls.hpp"

#include <openssl/ssl.h>

namespace harperrt::daemon {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_server_tls_context(const config::TlsConfig& tls, bool require_client_cert,
                                                      std::string& error) {
    if (!tls.certificate || !tls.private_key) {
        error = "a TLS listener needs tls.certificate and tls.privateKey";
        return nullptr;
    }
    if (require_client_cert && !tls.certificate_authority) {
        error = "mqtt.network.mtls needs tls.certificateAuthority";
        return nullptr;
    }
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    boost::system::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                     ec);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    const auto step = [&](std::string_view what, const std::filesystem::path& path) {
        if (!ec) return true;
        error = std::string(what) + " " + path.string() + ": " + ec.message();
        return false;
    };
    ctx->use_certificate_chain_file(tls.certificate->string(), ec);
    if (!step("tls.certificate", *tls.certificate)) return nullptr;
    ctx->use_private_key_file(tls.private_key->string(), ssl::context::pem, ec);
    if (!step("tls.privateKey", *tls.private_key)) return nullptr;
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
        error = "tls.privateKey does not match tls.certificate";
        return nullptr;
    }
    if (tls.certificate_authority) {
        ctx->load_verify_file(tls.certificate_authority->string(), ec);
        if (!step("tls.certificateAuthority", *tls.certificate_authority)) return nullptr;
        if (require_client_cert) {
            // The CertificateRequest names the acceptable CAs, so a client holding several
            // certificates can pick the one this server trusts (RFC 8446 §4.2.4).
            if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.certificate_authority->c_str()))
                SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
        }
    }
    if (require_client_cert) ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    else ctx->set_verify_mode(ssl::verify_none, ec);
    return ctx;
}

}  // namespace harperrt::daemon
