#include "client/jobctl_token.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "jobcontrol/config/credentials.pb.h"

namespace jobcontrol {

absl::StatusOr<std::string> ResolveBearerToken(
    const std::string& token_flag, const std::string& token_env,
    const std::string& credentials_path) {
  if (!token_flag.empty()) return token_flag;
  if (!token_env.empty()) return token_env;

  const std::string tried =
      "no --token, JOBCTL_TOKEN is not set, and the credentials file ";
  std::ifstream file(credentials_path);
  if (!file.is_open()) {
    const int error = errno;
    const std::string why = absl::StrCat(
        tried, credentials_path, " cannot be opened: ", std::strerror(error));
    return error == ENOENT ? absl::NotFoundError(why)
                           : absl::FailedPreconditionError(why);
  }
  std::stringstream text;
  text << file.rdbuf();
  config::CredentialsFile credentials;
  if (!google::protobuf::TextFormat::ParseFromString(text.str(),
                                                     &credentials)) {
    return absl::FailedPreconditionError(
        absl::StrCat(tried, credentials_path,
                     " is not a valid jobcontrol.config.CredentialsFile "
                     "textproto"));
  }
  if (credentials.credentials().empty() ||
      credentials.credentials(0).bearer_token().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(tried, credentials_path,
                     " has no first credential with a bearer_token"));
  }
  return credentials.credentials(0).bearer_token();
}

}  // namespace jobcontrol
