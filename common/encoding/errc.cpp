#include "common/encoding/errc.hpp"

#include <string>

namespace harperrt::encoding {
namespace {

// Boost 1.74's error_category has a non-virtual destructor by design (categories are
// never deleted through a base pointer), which -Wnon-virtual-dtor flags.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "harperrt.encoding"; }
    std::string message(int ev) const override {
        switch (static_cast<Errc>(ev)) {
        case Errc::syntax_error: return "payload is not well-formed in its format";
        case Errc::trailing_data: return "payload has bytes after the end of the value";
        case Errc::truncated: return "payload ends in the middle of a value";
        case Errc::too_deep: return "payload nests arrays/maps more than 512 levels deep";
        case Errc::invalid_utf8: return "payload has a text string that is not valid UTF-8";
        case Errc::non_string_key: return "payload has a map key that is not a string or integer";
        case Errc::unsupported_type:
            return "payload has a type outside the record model (MessagePack ext, CBOR simple value)";
        case Errc::out_of_range: return "payload has an integer outside the 64-bit range";
        case Errc::not_a_map: return "payload is not a map (a record must be a map)";
        }
        return "unknown encoding error";
    }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& encoding_category() noexcept {
    static const Category category;
    return category;
}

}  // namespace harperrt::encoding
