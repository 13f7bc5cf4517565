// UTF-8 well-formedness as MQTT requires it for every string (v5 §1.5.4, v3.1.1 §1.5.3):
// common/util/text.hpp's check, under the name topic validation has always used. U+0000 is
// well-formed there; MQTT strings forbid it separately, see validate_topic_name.
#pragma once

#include "common/util/text.hpp"

namespace harperrt::topic {

using util::is_well_formed_utf8;

}  // namespace harperrt::topic
