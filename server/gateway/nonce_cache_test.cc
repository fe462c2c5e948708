#include "server/gateway/nonce_cache.h"

#include "gtest/gtest.h"

namespace jobcontrol {
namespace gateway {
namespace {

using Result = NonceCache::Result;

TEST(NonceCacheTest, ANonceIsAcceptedOncePerCredential) {
  NonceCache cache(absl::Minutes(30), 100);
  const absl::Time t = absl::FromUnixSeconds(1000000);
  EXPECT_EQ(cache.Record("ak1", "n1", t), Result::kFresh);
  EXPECT_EQ(cache.Record("ak1", "n1", t + absl::Minutes(29)),
            Result::kReplayed);
  EXPECT_EQ(cache.Record("ak2", "n1", t), Result::kFresh);
  // Scope and nonce do not run together.
  EXPECT_EQ(cache.Record("ak", "1n1", t), Result::kFresh);
}

TEST(NonceCacheTest, NoncesExpireAfterRetention) {
  NonceCache cache(absl::Minutes(30), 100);
  const absl::Time t = absl::FromUnixSeconds(1000000);
  EXPECT_EQ(cache.Record("ak", "n", t), Result::kFresh);
  EXPECT_EQ(cache.Record("ak", "n", t + absl::Minutes(31)), Result::kFresh);
}

TEST(NonceCacheTest, FullCacheRefusesInsteadOfForgetting) {
  NonceCache cache(absl::Minutes(30), 2);
  const absl::Time t = absl::FromUnixSeconds(1000000);
  EXPECT_EQ(cache.Record("ak", "a", t), Result::kFresh);
  EXPECT_EQ(cache.Record("ak", "b", t), Result::kFresh);
  EXPECT_EQ(cache.Record("ak", "c", t), Result::kFull);
  EXPECT_EQ(cache.Record("ak", "a", t), Result::kReplayed);
  EXPECT_EQ(cache.Record("ak", "c", t + absl::Minutes(31)), Result::kFresh);
}

}  // namespace
}  // namespace gateway
}  // namespace jobcontrol
