// JobReadCache: the jobs most recently read, by (tenant, id), so a GetJob of
// a job that clients keep polling is answered from memory instead of a
// SQLite read transaction.
//
// Coherence. The SQLite store is the database's only writer (the process
// holds the file exclusively), and it hands every committed job write to
// ApplyCommitted before the writer's caller is told of the commit. A reader
// that missed fills the cache only through a Fill taken *before* it read the
// database; a committed write of that job in between voids the Fill, so a
// row read before the write never lands in the cache after it. Hence a
// GetJob that starts after a write returned never sees an older version.
// A read that fails or finds nothing fills nothing (no negative entries).
//
// Bounded: at most `capacity` jobs, the least recently used evicted first;
// capacity 0 caches nothing. Thread-safe (sharded locks).
#ifndef JOBCONTROL_SERVER_STORE_SQLITE_JOB_READ_CACHE_H_
#define JOBCONTROL_SERVER_STORE_SQLITE_JOB_READ_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "server/core/job.h"

namespace jobcontrol {

class JobReadCache {
 public:
  // The right to put one database read of a job into the cache.
  class Fill {
   public:
    Fill(Fill&& other) noexcept;
    Fill& operator=(Fill&&) = delete;
    Fill(const Fill&) = delete;
    Fill& operator=(const Fill&) = delete;
    ~Fill();  // a Fill not completed is withdrawn

    // Puts `job` (read after this Fill was taken) into the cache, unless a
    // write of the job committed since. At most once.
    void Complete(const Job& job);

   private:
    friend class JobReadCache;
    Fill(JobReadCache* cache, std::string key, uint64_t ticket);

    JobReadCache* cache_;  // null once completed or moved from
    std::string key_;
    uint64_t ticket_;
  };

  explicit JobReadCache(size_t capacity);
  JobReadCache(const JobReadCache&) = delete;
  JobReadCache& operator=(const JobReadCache&) = delete;

  // The cached job, if any (and marks it recently used).
  std::optional<Job> Find(absl::string_view tenant, absl::string_view id);
  // Take before reading the job from the database after Find missed.
  Fill BeginFill(absl::string_view tenant, absl::string_view id);
  // A committed write of `job` (tenant and id from it): replaces its entry
  // if it has one (a write does not add one) and voids the Fills of that
  // job in flight.
  void ApplyCommitted(const Job& job);

 private:
  struct Shard {
    std::mutex mutex;
    // Most recently used first.
    std::list<std::pair<std::string, Job>> entries;
    absl::flat_hash_map<std::string,
                        std::list<std::pair<std::string, Job>>::iterator>
        index;
    // Key -> ticket of the one Fill that may still complete.
    absl::flat_hash_map<std::string, uint64_t> fills;
    uint64_t next_ticket = 1;
  };

  static std::string KeyOf(absl::string_view tenant, absl::string_view id);
  Shard& ShardOf(const std::string& key);
  // With shard.mutex held.
  void PutLocked(Shard& shard, const std::string& key, const Job& job);
  void CompleteFill(const std::string& key, uint64_t ticket, const Job* job);

  const size_t shard_capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_STORE_SQLITE_JOB_READ_CACHE_H_
