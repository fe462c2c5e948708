#include "server/gateway/nonce_cache.h"

#include "absl/strings/str_cat.h"

namespace jobcontrol {
namespace gateway {

NonceCache::NonceCache(absl::Duration retention, size_t capacity)
    : retention_(retention), capacity_(capacity) {}

NonceCache::Result NonceCache::Record(absl::string_view scope,
                                      absl::string_view nonce, absl::Time now) {
  // Length-prefixed so that no (scope, nonce) pair collides with another.
  std::string key = absl::StrCat(scope.size(), ":", scope, nonce);
  absl::MutexLock lock(&mutex_);
  while (!order_.empty() && now - order_.front().first > retention_) {
    live_.erase(order_.front().second);
    order_.pop_front();
  }
  if (live_.contains(key)) return Result::kReplayed;
  if (live_.size() >= capacity_) return Result::kFull;
  live_.insert(key);
  order_.emplace_back(now, std::move(key));
  return Result::kFresh;
}

}  // namespace gateway
}  // namespace jobcontrol
