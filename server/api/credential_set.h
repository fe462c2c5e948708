// CredentialSet: the credentials jobcontrold accepts, loaded once at start
// from a textproto file (proto/jobcontrol/config/credentials.proto) and then
// only read, from any thread.
#ifndef JOBCONTROL_SERVER_API_CREDENTIAL_SET_H_
#define JOBCONTROL_SERVER_API_CREDENTIAL_SET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "jobcontrol/config/credentials.pb.h"

namespace jobcontrol {

class CredentialSet {
 public:
  // Parses and checks file content: at least one credential; every
  // credential has tenant, bearer_token (at least 16 bytes),
  // access_key_id and access_key_secret; tokens and key ids are unique.
  // Errors are INVALID_ARGUMENT naming the credential by index, never
  // quoting a secret.
  static absl::StatusOr<CredentialSet> Parse(absl::string_view textproto);

  // Reads and parses `path`. FAILED_PRECONDITION if the file is accessible by
  // group or others (it holds secrets): the message says so and how to fix it.
  static absl::StatusOr<CredentialSet> LoadFile(const std::string& path);

  // Writes a new file at `path` (mode 0600, failing if it exists) holding one
  // development credential of tenant "dev" allowed every action, with random
  // secrets. Returns its bearer token.
  static absl::StatusOr<std::string> CreateDevFile(const std::string& path);

  // The credential whose bearer token is `token`, or nullptr. Compares with
  // every credential in constant time, so timing tells nothing about tokens.
  const config::Credential* FindByBearerToken(absl::string_view token) const;

  // The credential whose access key id is `access_key_id`, or nullptr. Key
  // ids are not secret: an ordinary lookup.
  const config::Credential* FindByAccessKeyId(
      absl::string_view access_key_id) const;

  // True if `credential` may perform `action`: an exact entry of
  // allowed_actions, or an entry ending in `*` that prefixes it.
  static bool Allows(const config::Credential& credential,
                     absl::string_view action);

  size_t size() const { return credentials_.size(); }

 private:
  std::vector<config::Credential> credentials_;
};

// Equality of two secrets whose running time depends only on their lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_CREDENTIAL_SET_H_
