#include "server/gateway/message_digests.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <memory>
#include <utility>

#include "absl/strings/escaping.h"

namespace jobcontrol {
namespace gateway {
namespace {

struct MacContextFree {
  void operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }
};
using MacContext = std::unique_ptr<EVP_MAC_CTX, MacContextFree>;

// A thread's HMAC context for `digest` ("SHA1", "SHA256"), set up once:
// fetching the algorithms by name is most of a one-shot HMAC()'s cost.
EVP_MAC_CTX* ThreadMacContext(const char* digest, MacContext* slot) {
  if (*slot == nullptr) {
    static EVP_MAC* const kHmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    MacContext context(EVP_MAC_CTX_new(kHmac));
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                               "digest", const_cast<char*>(digest), 0),
                           OSSL_PARAM_construct_end()};
    if (context == nullptr ||
        EVP_MAC_CTX_set_params(context.get(), params) != 1) {
      return nullptr;
    }
    *slot = std::move(context);
  }
  return slot->get();
}

std::string Hmac(EVP_MAC_CTX* context, absl::string_view key,
                 absl::string_view message) {
  // A null key would mean "the previous call's key" to EVP_MAC_init: an empty
  // key must still be a key.
  static const unsigned char kNoKeyBytes[1] = {0};
  const unsigned char* key_bytes =
      key.empty() ? kNoKeyBytes
                  : reinterpret_cast<const unsigned char*>(key.data());
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t length = 0;
  if (context == nullptr ||
      EVP_MAC_init(context, key_bytes, key.size(), nullptr) != 1 ||
      EVP_MAC_update(context,
                     reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      EVP_MAC_final(context, out, &length, sizeof(out)) != 1) {
    // Only when OpenSSL itself fails (no memory): a value no signature
    // matches.
    return "";
  }
  return std::string(reinterpret_cast<const char*>(out), length);
}

}  // namespace

std::string HmacSha1(absl::string_view key, absl::string_view message) {
  thread_local MacContext context;
  return Hmac(ThreadMacContext("SHA1", &context), key, message);
}

std::string HmacSha256(absl::string_view key, absl::string_view message) {
  thread_local MacContext context;
  return Hmac(ThreadMacContext("SHA256", &context), key, message);
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
