// Fuzz target: an arbitrary byte stream as an HTTP request, through everything
// the ICE gateway does before calling the service: Beast's parser under the
// server's limits, parameter decoding (query and form body) and authentication
// (signature V1 or V3 canonicalization, timestamp, nonce). Nothing may crash; a
// parsed request never exceeds the limits; authentication never succeeds
// without the secret.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/time/time.h"
#include "server/api/credential_set.h"
#include "server/gateway/http_request_reader.h"
#include "server/gateway/ice_authenticator.h"
#include "server/gateway/ice_parameters.h"
#include "server/gateway/nonce_cache.h"

namespace {

using jobcontrol::CredentialSet;
using namespace jobcontrol::gateway;  // NOLINT: test target

const CredentialSet& Credentials() {
  static const CredentialSet* set = new CredentialSet(*CredentialSet::Parse(R"(
    credentials { access_key_id: "ak" access_key_secret: "fuzz-secret"
                  bearer_token: "fuzz-bearer-token-0123" tenant: "t"
                  allowed_actions: "*" })"));
  return *set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  RequestLimits limits;
  limits.max_body_bytes = 4096;
  limits.max_header_bytes = 2048;
  auto request = ParseHttpRequest(
      std::string(reinterpret_cast<const char*>(data), size), limits);
  if (!request.ok()) return 0;
  if (request->body.size() > limits.max_body_bytes) std::abort();

  IceParameters params;
  if (IceParameters::Decode(*request, &params).has_value()) return 0;
  NonceCache nonces(absl::Minutes(30), 16);
  IceAuthenticator authenticator(&Credentials(), &nonces);
  IceError error;
  const auto* credential = authenticator.Authenticate(
      *request, params, absl::FromUnixSeconds(1700000000), &error);
  // The seeds hold no valid signature and the fuzzer cannot forge one.
  if (credential != nullptr) std::abort();
  if (error.code.empty() || error.http_status < 400 ||
      error.http_status > 499) {
    std::abort();
  }
  return 0;
}
