#include "daemon/auth/password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

namespace harperrt::daemon::auth {
namespace {

constexpr std::string_view b64_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::size_t salt_size = 16;
constexpr std::size_t key_size = 32;
constexpr unsigned max_iterations = 10'000'000;

std::string b64_encode(const unsigned char* data, std::size_t n) {
    std::string out;
    out.reserve((n + 2) / 3 * 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (std::size_t i = 0; i < n; ++i) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(b64_alphabet[(acc >> bits) & 0x3f]);
        }
    }
    if (bits > 0) out.push_back(b64_alphabet[(acc << (6 - bits)) & 0x3f]);
    return out;
}

// Decodes unpadded (or '='-padded) standard base64; nullopt on any other character.
std::optional<std::vector<unsigned char>> b64_decode(std::string_view s) {
    while (!s.empty() && s.back() == '=') s.remove_suffix(1);
    std::vector<unsigned char> out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (const char c : s) {
        const auto pos = b64_alphabet.find(c);
        if (pos == std::string_view::npos) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<unsigned char>((acc >> bits) & 0xff));
        }
    }
    if (bits >= 6) return std::nullopt;  // a dangling single character is not base64
    return out;
}

bool derive(std::string_view password, const std::vector<unsigned char>& salt, unsigned iterations,
            unsigned char* out, std::size_t out_len) {
    return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                             static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                             static_cast<int>(out_len), out) == 1;
}

}  // namespace

std::string hash_password(std::string_view password) {
    std::vector<unsigned char> salt(salt_size);
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
        throw std::runtime_error("hash_password: RAND_bytes failed");
    std::array<unsigned char, key_size> key{};
    if (!derive(password, salt, pbkdf2_iterations, key.data(), key.size()))
        throw std::runtime_error("hash_password: PKCS5_PBKDF2_HMAC failed");
    std::string out = "$pbkdf2-sha256$i=" + std::to_string(pbkdf2_iterations) + "$";
    out += b64_encode(salt.data(), salt.size());
    out += '$';
    out += b64_encode(key.data(), key.size());
    return out;
}

bool verify_password(std::string_view password, std::string_view hash) {
    constexpr std::string_view prefix = "$pbkdf2-sha256$i=";
    if (hash.substr(0, prefix.size()) != prefix) return false;
    hash.remove_prefix(prefix.size());
    const auto d1 = hash.find('$');
    if (d1 == std::string_view::npos) return false;
    const auto iter_text = hash.substr(0, d1);
    unsigned iterations = 0;
    const auto [ptr, ec] = std::from_chars(iter_text.data(), iter_text.data() + iter_text.size(), iterations);
    if (ec != std::errc{} || ptr != iter_text.data() + iter_text.size() || iterations == 0 ||
        iterations > max_iterations || iter_text.front() == '0')
        return false;
    hash.remove_prefix(d1 + 1);
    const auto d2 = hash.find('$');
    if (d2 == std::string_view::npos) return false;
    const auto salt = b64_decode(hash.substr(0, d2));
    const auto expected = b64_decode(hash.substr(d2 + 1));
    if (!salt || !expected || salt->empty() || expected->empty() || expected->size() > 64) return false;
    std::vector<unsigned char> actual(expected->size());
    if (!derive(password, *salt, iterations, actual.data(), actual.size())) return false;
    return CRYPTO_memcmp(actual.data(), expected->data(), actual.size()) == 0;
}

}  // namespace harperrt::daemon::auth
