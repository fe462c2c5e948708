#include "server/core/ids.h"

#include <cstdint>
#include <random>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"

namespace jobcontrol {
namespace {

constexpr int kTimeHexDigits = 12;  // 48 bits of milliseconds: until 10889

}  // namespace

std::string RandomHex(int bytes) {
  // std::random_device reads the kernel's CSPRNG (getrandom) on Linux.
  thread_local std::random_device device;
  std::string raw(bytes, '\0');
  for (char& c : raw) c = static_cast<char>(device() & 0xff);
  return absl::BytesToHexString(raw);
}

std::string NewResourceId(absl::Time now) {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  int64_t millis = absl::ToUnixMillis(now);
  if (millis < 0) millis = 0;  // before 1970: sorts first, still valid
  std::string id(kTimeHexDigits, '0');
  for (int i = kTimeHexDigits - 1; i >= 0; --i) {
    id[i] = kHexDigits[millis & 0xf];
    millis >>= 4;
  }
  return id + RandomHex((kIdLength - kTimeHexDigits) / 2);
}

std::string NewResourceId() { return NewResourceId(absl::Now()); }

bool IsValidResourceId(absl::string_view id) {
  if (id.size() != kIdLength) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace jobcontrol
