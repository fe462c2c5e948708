#include "server/gateway/message_digests.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"

namespace jobcontrol {
namespace gateway {
namespace {

std::string Hmac(const EVP_MD* digest, absl::string_view key,
                 absl::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(digest, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
       out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

}  // namespace

std::string HmacSha1(absl::string_view key, absl::string_view message) {
  return Hmac(EVP_sha1(), key, message);
}

std::string HmacSha256(absl::string_view key, absl::string_view message) {
  return Hmac(EVP_sha256(), key, message);
}

std::string Sha256(absl::string_view message) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(message.data()), message.size(),
         out);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

std::string LowerHex(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

}  // namespace gateway
}  // namespace jobcontrol
