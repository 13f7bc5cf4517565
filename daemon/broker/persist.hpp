// The stored forms of what the broker keeps across a restart: plain retained messages
// (kv namespace "retained", key = topic) and persistent sessions (kv namespace "session",
// key = client id). Both are MessagePack maps of encoding::Value, so they are
// self-describing and can gain fields without a migration; unknown fields are ignored and
// an unreadable entry is skipped with an error in the log, never a crash.
#pragma once

#include "daemon/broker/message.hpp"
#include "daemon/session/session.hpp"

#include <string>
#include <string_view>

namespace harperrt::daemon::broker {

inline constexpr std::string_view retained_ns = "retained";
inline constexpr std::string_view session_ns = "session";

std::string encode_message(const Message& msg);
Result<std::shared_ptr<Message>> decode_message(std::string_view data);

std::string encode_session(const session::PersistedSession& s);
Result<session::PersistedSession> decode_session(std::string_view data);

}  // namespace harperrt::daemon::broker
