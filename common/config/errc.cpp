#include "common/config/errc.hpp"

#include <string>

namespace harperrt::config {
namespace {

// Boost 1.74's error_category has a non-virtual destructor by design (categories are
// never deleted through a base pointer), which -Wnon-virtual-dtor flags.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "harperrt.config"; }
    std::string message(int ev) const override {
        switch (static_cast<Errc>(ev)) {
        case Errc::unknown_key: return "unknown config key";
        case Errc::invalid_config: return "invalid config";
        }
        return "unknown config error";
    }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& config_category() noexcept {
    static const Category category;
    return category;
}

}  // namespace harperrt::config
