#include "server/api/credential_set.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/text_format.h"
#include "server/core/ids.h"

namespace jobcontrol {
namespace {

constexpr size_t kMinTokenLength = 16;

absl::Status Invalid(int index, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("credentials[", index, "]: ", what));
}

}  // namespace

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = b.size();
  for (size_t i = 0; i < n; ++i) {
    const unsigned char left = a.empty() ? 0 : a[i % a.size()];
    diff |= static_cast<unsigned char>(left ^ static_cast<unsigned char>(b[i]));
  }
  return diff == 0;
}

absl::StatusOr<CredentialSet> CredentialSet::Parse(
    absl::string_view textproto) {
  config::CredentialsFile file;
  // Parse errors quote positions, not content, so secrets stay out of logs.
  google::protobuf::TextFormat::Parser parser;
  if (!parser.ParseFromString(std::string(textproto), &file)) {
    return absl::InvalidArgumentError(
        "credentials file is not valid text format of "
        "jobcontrol.config.CredentialsFile");
  }
  if (file.credentials().empty()) {
    return absl::InvalidArgumentError("credentials file has no credentials");
  }
  absl::flat_hash_set<std::string> tokens;
  absl::flat_hash_set<std::string> key_ids;
  for (int i = 0; i < file.credentials_size(); ++i) {
    const config::Credential& c = file.credentials(i);
    if (c.tenant().empty()) return Invalid(i, "tenant is empty");
    if (c.access_key_id().empty()) return Invalid(i, "access_key_id is empty");
    if (c.access_key_secret().empty()) {
      return Invalid(i, "access_key_secret is empty");
    }
    if (c.bearer_token().size() < kMinTokenLength) {
      return Invalid(i, absl::StrCat("bearer_token must have at least ",
                                     kMinTokenLength, " characters"));
    }
    if (!tokens.insert(c.bearer_token()).second) {
      return Invalid(i, "bearer_token repeats an earlier credential's");
    }
    if (!key_ids.insert(c.access_key_id()).second) {
      return Invalid(i, absl::StrCat("access_key_id \"", c.access_key_id(),
                                     "\" is not unique"));
    }
  }
  CredentialSet set;
  set.credentials_.assign(file.credentials().begin(),
                          file.credentials().end());
  return set;
}

absl::StatusOr<CredentialSet> CredentialSet::LoadFile(
    const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat(
        "cannot read credentials file ", path, ": ", std::strerror(errno)));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "credentials file %s has mode %04o: it holds secrets and must not be "
        "accessible by group or others; run: chmod 600 %s",
        path, st.st_mode & 07777, path));
  }
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read credentials file ", path));
  }
  std::stringstream content;
  content << in.rdbuf();
  auto set = Parse(content.str());
  if (!set.ok()) {
    return absl::Status(set.status().code(),
                        absl::StrCat(path, ": ", set.status().message()));
  }
  return set;
}

absl::StatusOr<std::string> CredentialSet::CreateDevFile(
    const std::string& path) {
  config::CredentialsFile file;
  config::Credential* c = file.add_credentials();
  c->set_access_key_id(absl::StrCat("DEV", RandomHex(8)));
  c->set_access_key_secret(RandomHex(20));
  c->set_bearer_token(RandomHex(24));
  c->set_tenant("dev");
  c->add_allowed_actions("*");
  std::string text;
  google::protobuf::TextFormat::PrintToString(file, &text);
  text = absl::StrCat(
      "# jobcontrold credentials (jobcontrol.config.CredentialsFile).\n"
      "# Created on first start with one development credential.\n"
      "# Keep this file mode 0600.\n",
      text);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create credentials file ", path, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      unlink(path.c_str());
      return absl::FailedPreconditionError(
          absl::StrCat("cannot write credentials file ", path));
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write credentials file ", path));
  }
  return c->bearer_token();
}

const config::Credential* CredentialSet::FindByBearerToken(
    absl::string_view token) const {
  const config::Credential* found = nullptr;
  for (const config::Credential& c : credentials_) {
    // No early exit: every credential is compared.
    if (ConstantTimeEquals(c.bearer_token(), token)) found = &c;
  }
  return found;
}

const config::Credential* CredentialSet::FindByAccessKeyId(
    absl::string_view access_key_id) const {
  for (const config::Credential& c : credentials_) {
    if (c.access_key_id() == access_key_id) return &c;
  }
  return nullptr;
}

bool CredentialSet::Allows(const config::Credential& credential,
                           absl::string_view action) {
  for (const std::string& allowed : credential.allowed_actions()) {
    if (!allowed.empty() && allowed.back() == '*') {
      absl::string_view prefix(allowed.data(), allowed.size() - 1);
      if (action.substr(0, prefix.size()) == prefix) return true;
    } else if (allowed == action) {
      return true;
    }
  }
  return false;
}

}  // namespace jobcontrol
