// Anchors the util sources in harperrt_core; Result<T> itself is header-only.
#include "common/util/result.hpp"
