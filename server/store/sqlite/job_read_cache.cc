#include "server/store/sqlite/job_read_cache.h"

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace jobcontrol {
namespace {

// Shards, so concurrent readers of different jobs rarely share a lock. A
// small cache keeps one shard, so it evicts in exact LRU order.
constexpr size_t kShards = 16;
constexpr size_t kSmallestShardedCapacity = 64 * kShards;

size_t ShardCount(size_t capacity) {
  return capacity < kSmallestShardedCapacity ? 1 : kShards;
}

}  // namespace

JobReadCache::Fill::Fill(JobReadCache* cache, std::string key,
                         uint64_t ticket)
    : cache_(cache), key_(std::move(key)), ticket_(ticket) {}

JobReadCache::Fill::Fill(Fill&& other) noexcept
    : cache_(std::exchange(other.cache_, nullptr)),
      key_(std::move(other.key_)),
      ticket_(other.ticket_) {}

JobReadCache::Fill::~Fill() {
  if (cache_ != nullptr) cache_->CompleteFill(key_, ticket_, nullptr);
}

void JobReadCache::Fill::Complete(const Job& job) {
  if (cache_ == nullptr) return;
  std::exchange(cache_, nullptr)->CompleteFill(key_, ticket_, &job);
}

JobReadCache::JobReadCache(size_t capacity)
    : shard_capacity_((capacity + ShardCount(capacity) - 1) /
                      ShardCount(capacity)) {
  for (size_t i = 0; i < ShardCount(capacity); ++i) {
    shards_.push_back(std::make_unique<Shard>());
  }
}

std::string JobReadCache::KeyOf(absl::string_view tenant,
                                absl::string_view id) {
  // Tenants and job IDs never hold a NUL (request validation).
  return absl::StrCat(tenant, absl::string_view("\0", 1), id);
}

JobReadCache::Shard& JobReadCache::ShardOf(const std::string& key) {
  return *shards_[absl::Hash<std::string>()(key) % shards_.size()];
}

std::optional<Job> JobReadCache::Find(absl::string_view tenant,
                                      absl::string_view id) {
  if (shard_capacity_ == 0) return std::nullopt;
  const std::string key = KeyOf(tenant, id);
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto found = shard.index.find(key);
  if (found == shard.index.end()) return std::nullopt;
  shard.entries.splice(shard.entries.begin(), shard.entries, found->second);
  return found->second->second;
}

JobReadCache::Fill JobReadCache::BeginFill(absl::string_view tenant,
                                           absl::string_view id) {
  std::string key = KeyOf(tenant, id);
  if (shard_capacity_ == 0) return Fill(nullptr, std::move(key), 0);
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mutex);
  // A later Fill of the same job supersedes an earlier one still in flight:
  // only the latest read may complete.
  const uint64_t ticket = shard.next_ticket++;
  shard.fills[key] = ticket;
  return Fill(this, std::move(key), ticket);
}

void JobReadCache::CompleteFill(const std::string& key, uint64_t ticket,
                                const Job* job) {
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mutex);
  auto fill = shard.fills.find(key);
  if (fill == shard.fills.end() || fill->second != ticket) return;  // voided
  shard.fills.erase(fill);
  if (job != nullptr) PutLocked(shard, key, *job);
}

void JobReadCache::ApplyCommitted(const Job& job) {
  if (shard_capacity_ == 0) return;
  const std::string key = KeyOf(job.tenant, job.id);
  Shard& shard = ShardOf(key);
  std::lock_guard<std::mutex> lock(shard.mutex);
  shard.fills.erase(key);
  auto found = shard.index.find(key);
  if (found == shard.index.end()) return;  // writes do not fill the cache
  found->second->second = job;
}

void JobReadCache::PutLocked(Shard& shard, const std::string& key,
                             const Job& job) {
  auto found = shard.index.find(key);
  if (found != shard.index.end()) {  // two reads filled it; keep the later
    found->second->second = job;
    shard.entries.splice(shard.entries.begin(), shard.entries, found->second);
    return;
  }
  shard.entries.emplace_front(key, job);
  shard.index[key] = shard.entries.begin();
  if (shard.entries.size() > shard_capacity_) {
    shard.index.erase(shard.entries.back().first);
    shard.entries.pop_back();
  }
}

}  // namespace jobcontrol
