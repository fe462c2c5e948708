#include "server/core/ids.h"

#include <random>

#include "absl/strings/escaping.h"

namespace jobcontrol {

std::string RandomHex(int bytes) {
  // std::random_device reads the kernel's CSPRNG (getrandom) on Linux.
  thread_local std::random_device device;
  std::string raw(bytes, '\0');
  for (char& c : raw) c = static_cast<char>(device() & 0xff);
  return absl::BytesToHexString(raw);
}

std::string NewResourceId() { return RandomHex(kIdLength / 2); }

bool IsValidResourceId(absl::string_view id) {
  if (id.size() != kIdLength) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace jobcontrol
