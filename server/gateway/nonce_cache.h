// NonceCache: remembers signature nonces so that each is accepted once
// (SignatureNonceUsed on a replay). A nonce is kept for `retention`, which
// must cover the whole time a request with that nonce could pass the
// timestamp check (twice the allowed clock skew). Thread-safe.
#ifndef JOBCONTROL_SERVER_GATEWAY_NONCE_CACHE_H_
#define JOBCONTROL_SERVER_GATEWAY_NONCE_CACHE_H_

#include <cstddef>
#include <deque>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace jobcontrol {
namespace gateway {

class NonceCache {
 public:
  enum class Result {
    kFresh,     // first use: recorded
    kReplayed,  // seen within the retention time
    kFull,      // `capacity` nonces are live: refused, nothing recorded
  };

  NonceCache(absl::Duration retention, size_t capacity);
  NonceCache(const NonceCache&) = delete;
  NonceCache& operator=(const NonceCache&) = delete;

  // Records `nonce` of credential `scope` at `now` unless already live.
  // `now` should not go backwards between calls (entries expire in call
  // order).
  Result Record(absl::string_view scope, absl::string_view nonce,
                absl::Time now);

 private:
  const absl::Duration retention_;
  const size_t capacity_;
  absl::Mutex mutex_;
  absl::flat_hash_set<std::string> live_ ABSL_GUARDED_BY(mutex_);
  // (time recorded, key) in recording order, for expiry.
  std::deque<std::pair<absl::Time, std::string>> order_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_NONCE_CACHE_H_
