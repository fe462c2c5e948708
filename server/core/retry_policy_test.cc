#include "server/core/retry_policy.h"

#include <cmath>
#include <limits>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace jobcontrol {
namespace {

// The largest jitter below 1.
const double kAlmostOne = std::nextafter(1.0, 0.0);

TEST(RetryPolicyTest, DefaultsAreTheDocumentedOnes) {
  const RetryPolicy policy;
  EXPECT_EQ(policy.max_attempts, 3);
  EXPECT_EQ(policy.initial_backoff, absl::Seconds(1));
  EXPECT_EQ(policy.max_backoff, absl::Minutes(5));
  EXPECT_EQ(policy.lease_duration, absl::Seconds(30));
}

TEST(RetryPolicyTest, NoJitterIsHalfTheExponentialStep) {
  const RetryPolicy policy;  // 1s initial, 5m cap
  EXPECT_EQ(RetryBackoff(policy, 1, 0.0), absl::Milliseconds(500));
  EXPECT_EQ(RetryBackoff(policy, 2, 0.0), absl::Seconds(1));
  EXPECT_EQ(RetryBackoff(policy, 3, 0.0), absl::Seconds(2));
  EXPECT_EQ(RetryBackoff(policy, 4, 0.0), absl::Seconds(4));
  EXPECT_EQ(RetryBackoff(policy, 9, 0.0), absl::Seconds(128));
  // 2^9 s = 512 s is over the 5 minute cap.
  EXPECT_EQ(RetryBackoff(policy, 10, 0.0), absl::Seconds(150));
}

TEST(RetryPolicyTest, FullJitterApproachesTheWholeStep) {
  const RetryPolicy policy;
  for (int failed = 1; failed <= 12; ++failed) {
    const absl::Duration step = std::min(
        absl::Seconds(1) * (int64_t{1} << (failed - 1)), absl::Minutes(5));
    const absl::Duration wait = RetryBackoff(policy, failed, kAlmostOne);
    EXPECT_LE(wait, step) << failed;
    EXPECT_GT(wait, step - absl::Microseconds(1)) << failed;
  }
  EXPECT_EQ(RetryBackoff(policy, 2, 0.5), absl::Milliseconds(1500));
}

TEST(RetryPolicyTest, GrowsUntilTheCapThenStays) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Milliseconds(10);
  policy.max_backoff = absl::Seconds(3);
  absl::Duration previous = absl::ZeroDuration();
  for (int failed = 1; failed <= 40; ++failed) {
    const absl::Duration wait = RetryBackoff(policy, failed, 0.0);
    EXPECT_GE(wait, previous) << failed;
    EXPECT_LE(wait, policy.max_backoff / 2) << failed;
    if (failed <= 9) {
      // (10ms * 2^(failed-1)) / 2, below the cap.
      EXPECT_EQ(wait, absl::Milliseconds(5) * (1 << (failed - 1))) << failed;
    }
    previous = wait;
  }
  EXPECT_EQ(RetryBackoff(policy, 40, 0.0), absl::Milliseconds(1500));
}

TEST(RetryPolicyTest, HugeAttemptCountsDoNotOverflow) {
  RetryPolicy policy;
  for (int failed : {63, 64, 65, 1000, std::numeric_limits<int>::max()}) {
    const absl::Duration low = RetryBackoff(policy, failed, 0.0);
    const absl::Duration high = RetryBackoff(policy, failed, kAlmostOne);
    EXPECT_EQ(low, absl::Seconds(150)) << failed;
    EXPECT_LE(high, policy.max_backoff) << failed;
    EXPECT_GT(high, absl::Seconds(299)) << failed;
  }
  // The longest documented settings as well.
  policy.initial_backoff = absl::Hours(1);
  policy.max_backoff = absl::Hours(24);
  EXPECT_EQ(RetryBackoff(policy, std::numeric_limits<int>::max(), 0.0),
            absl::Hours(12));
}

TEST(RetryPolicyTest, NeverNegativeNorAboveTheCap) {
  RetryPolicy policy;
  policy.initial_backoff = absl::Seconds(10);
  policy.max_backoff = absl::Seconds(4);  // initial above the cap
  EXPECT_EQ(RetryBackoff(policy, 1, 0.0), absl::Seconds(2));
  EXPECT_LE(RetryBackoff(policy, 1, kAlmostOne), absl::Seconds(4));

  // Out-of-range inputs are clamped rather than trusted.
  const RetryPolicy defaults;
  EXPECT_EQ(RetryBackoff(defaults, 0, 0.0), absl::Milliseconds(500));
  EXPECT_EQ(RetryBackoff(defaults, -5, 0.0), absl::Milliseconds(500));
  EXPECT_EQ(RetryBackoff(defaults, 1, -1.0), absl::Milliseconds(500));
  EXPECT_EQ(RetryBackoff(defaults, 1, std::nan("")), absl::Milliseconds(500));
  EXPECT_LE(RetryBackoff(defaults, 1, 7.0), absl::Seconds(1));
  EXPECT_GT(RetryBackoff(defaults, 1, 7.0), absl::Milliseconds(999));

  RetryPolicy negative;
  negative.initial_backoff = absl::Seconds(-3);
  negative.max_backoff = absl::Seconds(-1);
  EXPECT_EQ(RetryBackoff(negative, 3, kAlmostOne), absl::ZeroDuration());
  RetryPolicy zero;
  zero.initial_backoff = absl::ZeroDuration();
  EXPECT_EQ(RetryBackoff(zero, std::numeric_limits<int>::max(), 0.5),
            absl::ZeroDuration());
}

TEST(RetryPolicyTest, EqualityComparesEveryField) {
  const RetryPolicy base;
  RetryPolicy other = base;
  EXPECT_EQ(base, other);
  other.max_attempts = 4;
  EXPECT_NE(base, other);
  other = base;
  other.initial_backoff = absl::Seconds(2);
  EXPECT_NE(base, other);
  other = base;
  other.max_backoff = absl::Minutes(6);
  EXPECT_NE(base, other);
  other = base;
  other.lease_duration = absl::Seconds(31);
  EXPECT_NE(base, other);
}

}  // namespace
}  // namespace jobcontrol
