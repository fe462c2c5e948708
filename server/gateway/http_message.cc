#include "server/gateway/http_message.h"

#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"

namespace jobcontrol {
namespace gateway {

const std::string* HttpRequest::FindHeader(
    absl::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return &value;
  }
  return nullptr;
}

int HttpRequest::CountHeader(absl::string_view lower_case_name) const {
  int count = 0;
  for (const auto& header : headers) {
    if (header.first == lower_case_name) ++count;
  }
  return count;
}

absl::string_view HttpRequest::Path() const {
  absl::string_view t(target);
  return t.substr(0, t.find('?'));
}

absl::string_view HttpRequest::Query() const {
  absl::string_view t(target);
  const size_t question = t.find('?');
  return question == absl::string_view::npos ? absl::string_view()
                                             : t.substr(question + 1);
}

std::string NewRequestId() {
  // std::random_device reads the kernel's CSPRNG (getrandom) on Linux.
  thread_local std::random_device device;
  std::string raw(16, '\0');
  for (char& c : raw) c = static_cast<char>(device() & 0xff);
  const std::string hex = absl::AsciiStrToUpper(absl::BytesToHexString(raw));
  // 8-4-4-4-12
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) +
         "-" + hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace gateway
}  // namespace jobcontrol
