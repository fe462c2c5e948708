// Where jobctl gets its bearer token from.
#ifndef JOBCONTROL_CLIENT_JOBCTL_TOKEN_H_
#define JOBCONTROL_CLIENT_JOBCTL_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"

namespace jobcontrol {

// The first non-empty of: `token_flag` (--token), `token_env` (the value of
// $JOBCTL_TOKEN), and the bearer_token of the first credential in the
// credentials file at `credentials_path` (protobuf text format of
// jobcontrol.config.CredentialsFile, the file jobcontrold reads). Errors:
// NOT_FOUND when the file does not exist, FAILED_PRECONDITION when it cannot
// be read or parsed or holds no credential with a bearer token; each message
// says which sources were tried.
absl::StatusOr<std::string> ResolveBearerToken(
    const std::string& token_flag, const std::string& token_env,
    const std::string& credentials_path);

}  // namespace jobcontrol

#endif  // JOBCONTROL_CLIENT_JOBCTL_TOKEN_H_
