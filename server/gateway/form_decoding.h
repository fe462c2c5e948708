// Decoding of application/x-www-form-urlencoded text, which is also how ICE
// callers write the URL query: "Action=SubmitDNAJob&Input=%7B...%7D".
#ifndef JOBCONTROL_SERVER_GATEWAY_FORM_DECODING_H_
#define JOBCONTROL_SERVER_GATEWAY_FORM_DECODING_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jobcontrol {
namespace gateway {

// Decoded (name, value) pairs in the order they were written. Names may
// repeat: whether that is allowed is the caller's rule.
using ParamList = std::vector<std::pair<std::string, std::string>>;

// Splits at '&', each part at its first '=' (no '=' means an empty value),
// and percent-decodes both halves with '+' as a space. Empty parts
// ("a=1&&b=2", a trailing '&') are skipped. INVALID_ARGUMENT, with a message
// naming the parameter where it can, when a part has an empty name, malformed
// percent-encoding, or a name or value that is not UTF-8.
absl::StatusOr<ParamList> DecodeForm(absl::string_view encoded);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_FORM_DECODING_H_
