#include "server/store/sqlite/job_read_cache.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace jobcontrol {
namespace {

Job JobAt(const std::string& tenant, const std::string& id, int64_t version) {
  Job job;
  job.tenant = tenant;
  job.id = id;
  job.version = version;
  return job;
}

// Reads the job the way SqliteStore::GetJob does: Find, else a Fill
// completed with what "the database" holds.
void ReadThrough(JobReadCache& cache, const Job& in_database) {
  if (cache.Find(in_database.tenant, in_database.id)) return;
  JobReadCache::Fill fill = cache.BeginFill(in_database.tenant, in_database.id);
  fill.Complete(in_database);
}

TEST(JobReadCacheTest, AReadFillsTheCacheAndTheNextReadHitsIt) {
  JobReadCache cache(8);
  EXPECT_FALSE(cache.Find("t", "a"));
  ReadThrough(cache, JobAt("t", "a", 3));
  std::optional<Job> hit = cache.Find("t", "a");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->version, 3);
}

TEST(JobReadCacheTest, TenantsDoNotShareEntries) {
  JobReadCache cache(8);
  ReadThrough(cache, JobAt("t1", "a", 1));
  EXPECT_FALSE(cache.Find("t2", "a"));
  // The key cannot be forged by moving characters between tenant and id.
  ReadThrough(cache, JobAt("ab", "c", 1));
  EXPECT_FALSE(cache.Find("a", "bc"));
}

TEST(JobReadCacheTest, ACommittedWriteReplacesTheCachedJob) {
  JobReadCache cache(8);
  ReadThrough(cache, JobAt("t", "a", 1));
  cache.ApplyCommitted(JobAt("t", "a", 2));
  std::optional<Job> hit = cache.Find("t", "a");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->version, 2);
}

TEST(JobReadCacheTest, AWriteOfAnUncachedJobAddsNoEntry) {
  JobReadCache cache(8);
  cache.ApplyCommitted(JobAt("t", "a", 1));
  EXPECT_FALSE(cache.Find("t", "a"));
}

TEST(JobReadCacheTest, AReadFromBeforeACommittedWriteIsNotCached) {
  JobReadCache cache(8);
  JobReadCache::Fill fill = cache.BeginFill("t", "a");
  const Job read_before_the_write = JobAt("t", "a", 1);
  cache.ApplyCommitted(JobAt("t", "a", 2));
  fill.Complete(read_before_the_write);
  EXPECT_FALSE(cache.Find("t", "a"));
  // The next read fills it with what the database holds now.
  ReadThrough(cache, JobAt("t", "a", 2));
  ASSERT_TRUE(cache.Find("t", "a"));
  EXPECT_EQ(cache.Find("t", "a")->version, 2);
}

TEST(JobReadCacheTest, AWriteOfAnotherJobDoesNotVoidAFill) {
  JobReadCache cache(8);
  JobReadCache::Fill fill = cache.BeginFill("t", "a");
  cache.ApplyCommitted(JobAt("t", "b", 5));
  fill.Complete(JobAt("t", "a", 1));
  EXPECT_TRUE(cache.Find("t", "a"));
}

TEST(JobReadCacheTest, OfTwoReadsInFlightOnlyTheLaterOneFills) {
  JobReadCache cache(8);
  JobReadCache::Fill earlier = cache.BeginFill("t", "a");
  JobReadCache::Fill later = cache.BeginFill("t", "a");
  earlier.Complete(JobAt("t", "a", 1));
  EXPECT_FALSE(cache.Find("t", "a"));
  later.Complete(JobAt("t", "a", 2));
  ASSERT_TRUE(cache.Find("t", "a"));
  EXPECT_EQ(cache.Find("t", "a")->version, 2);
}

TEST(JobReadCacheTest, AFillDroppedWithoutCompletingLeavesNoEntry) {
  JobReadCache cache(8);
  { JobReadCache::Fill fill = cache.BeginFill("t", "a"); }
  EXPECT_FALSE(cache.Find("t", "a"));
  ReadThrough(cache, JobAt("t", "a", 1));
  EXPECT_TRUE(cache.Find("t", "a"));
}

TEST(JobReadCacheTest, EvictsTheLeastRecentlyUsedBeyondCapacity) {
  JobReadCache cache(2);
  ReadThrough(cache, JobAt("t", "a", 1));
  ReadThrough(cache, JobAt("t", "b", 1));
  ASSERT_TRUE(cache.Find("t", "a"));  // now b is the least recently used
  ReadThrough(cache, JobAt("t", "c", 1));
  EXPECT_TRUE(cache.Find("t", "a"));
  EXPECT_FALSE(cache.Find("t", "b"));
  EXPECT_TRUE(cache.Find("t", "c"));
}

TEST(JobReadCacheTest, CapacityZeroCachesNothing) {
  JobReadCache cache(0);
  ReadThrough(cache, JobAt("t", "a", 1));
  cache.ApplyCommitted(JobAt("t", "a", 2));
  EXPECT_FALSE(cache.Find("t", "a"));
}

TEST(JobReadCacheTest, ALargeCacheKeepsEveryJobUpToItsCapacity) {
  constexpr int kJobs = 5000;  // sharded
  JobReadCache cache(kJobs * 2);
  for (int i = 0; i < kJobs; ++i) {
    ReadThrough(cache, JobAt("t", std::to_string(i), i));
  }
  for (int i = 0; i < kJobs; ++i) {
    std::optional<Job> hit = cache.Find("t", std::to_string(i));
    ASSERT_TRUE(hit) << i;
    EXPECT_EQ(hit->version, i);
  }
}

}  // namespace
}  // namespace jobcontrol
