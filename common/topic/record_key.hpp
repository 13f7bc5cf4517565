// RecordKey: which record a topic `Table/ID` names (DESIGN.md §1). Shared by the topic
// mapping (common/topic) and the store (daemon/store), which knows nothing of MQTT.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace harperrt {

// How a table's primary key is typed (config `tables.<T>.keyType`).
enum class KeyType : std::uint8_t { string, integer };

struct RecordKey {
    std::string table;  // exact, case-sensitive table name as declared in the config
    std::string id;     // percent-decoded ID; a composite key keeps its '/' ("a/b")

    friend auto operator<=>(const RecordKey&, const RecordKey&) = default;
    friend bool operator==(const RecordKey&, const RecordKey&) = default;
};

}  // namespace harperrt
