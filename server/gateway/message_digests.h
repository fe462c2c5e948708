// The digests the vendor signatures need, from OpenSSL's libcrypto.
#ifndef JOBCONTROL_SERVER_GATEWAY_MESSAGE_DIGESTS_H_
#define JOBCONTROL_SERVER_GATEWAY_MESSAGE_DIGESTS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace jobcontrol {
namespace gateway {

// Raw (binary) digests. Thread-safe: each thread keeps its own HMAC
// contexts, set up on its first call.
std::string HmacSha1(absl::string_view key, absl::string_view message);
std::string HmacSha256(absl::string_view key, absl::string_view message);
std::string Sha256(absl::string_view message);

// Lower-case hex of raw bytes.
std::string LowerHex(absl::string_view bytes);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_MESSAGE_DIGESTS_H_
