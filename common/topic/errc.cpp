#include "common/topic/errc.hpp"

#include <string>

namespace harperrt::topic {
namespace {

// Boost 1.74's error_category has a protected non-virtual destructor, which GCC's
// -Wnon-virtual-dtor reports for every derived class; categories are never deleted
// through a base pointer (they live in a function-local static), so it is harmless here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "harperrt.topic"; }
    std::string message(int ev) const override {
        switch (static_cast<Errc>(ev)) {
        case Errc::empty: return "topic is empty";
        case Errc::too_long: return "topic is longer than 65535 bytes";
        case Errc::wildcard_in_name: return "topic name contains a wildcard (+ or #)";
        case Errc::bad_wildcard: return "wildcard does not occupy a whole level, or # is not last";
        case Errc::null_character: return "topic contains U+0000";
        case Errc::invalid_utf8: return "topic is not well-formed UTF-8";
        case Errc::bad_share_name: return "shared subscription needs $share/NAME/FILTER, NAME without + # /";
        case Errc::not_a_table: return "topic does not name a declared table";
        case Errc::no_id: return "record topic has no ID (use Table/ID)";
        case Errc::bad_int_key: return "record ID is not a 64-bit integer";
        case Errc::bad_percent_encoding: return "bad percent-encoding in record ID";
        case Errc::bad_table_name: return "table name cannot be a topic level";
        }
        return "unknown topic error";
    }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& topic_category() noexcept {
    static const Category category;
    return category;
}

}  // namespace harperrt::topic
