// Percent-encoding as the Alibaba Cloud signatures use it (RFC 3986): every
// byte but the unreserved A-Z a-z 0-9 - _ . ~ becomes %XY (upper-case hex), so
// a space is %20 and '*' is %2A. And the inverse, strict.
#ifndef JOBCONTROL_SERVER_GATEWAY_PERCENT_ENCODING_H_
#define JOBCONTROL_SERVER_GATEWAY_PERCENT_ENCODING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jobcontrol {
namespace gateway {

// Encodes every byte of `raw` (UTF-8 or not) outside the unreserved set.
std::string AcsPercentEncode(absl::string_view raw);

// Decodes %XY escapes (either hex case) and, when `plus_is_space`, '+' as a
// space (HTML form encoding). INVALID_ARGUMENT for a '%' not followed by two
// hex digits. The result may be any bytes: check UTF-8 separately.
absl::StatusOr<std::string> PercentDecode(absl::string_view encoded,
                                          bool plus_is_space);

// True iff `bytes` is well-formed UTF-8 (no overlong forms, no surrogates, at
// most U+10FFFF).
bool IsValidUtf8(absl::string_view bytes);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_PERCENT_ENCODING_H_
