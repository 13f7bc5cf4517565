// Password hashing for `users[].password` and `harperrt config passwd`: PBKDF2-HMAC-SHA256
// with a random salt, stored in a PHC-like string that config::is_password_hash() accepts.
// Plain-text passwords are never stored or compared.
#pragma once

#include <string>
#include <string_view>

namespace harperrt::daemon::auth {

// Iterations used by hash_password() (OWASP 2023 minimum for PBKDF2-HMAC-SHA256).
inline constexpr unsigned pbkdf2_iterations = 210000;

// Returns "$pbkdf2-sha256$i=<n>$<salt b64>$<hash b64>" (standard base64 alphabet, no
// padding) for a fresh random 16-byte salt and a 32-byte derived key.
// Throws std::runtime_error only if OpenSSL's RNG or KDF fails. Thread-safe.
std::string hash_password(std::string_view password);

// True when `password` matches `hash` (a string from hash_password(); any iteration count
// from 1 to 10'000'000 is accepted). Compares in constant time. A malformed or
// unsupported hash (including scrypt, which this build does not verify) returns false.
// Thread-safe.
bool verify_password(std::string_view password, std::string_view hash);

}  // namespace harperrt::daemon::auth
