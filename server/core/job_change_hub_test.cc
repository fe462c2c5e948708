#include "server/core/job_change_hub.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace jobcontrol {
namespace {

// Long enough never to pass in a passing test: a waiter that needs it has
// missed its wake-up.
const absl::Duration kNever = absl::Minutes(5);

TEST(JobChangeHubTest, GenerationCountsNotifications) {
  JobChangeHub hub;
  const int64_t start = hub.Generation();
  hub.Notify();
  hub.Notify();
  EXPECT_EQ(hub.Generation(), start + 2);
}

TEST(JobChangeHubTest, ChangeBeforeTheWaitIsNotMissed) {
  JobChangeHub hub;
  const int64_t seen = hub.Generation();
  hub.Notify();  // lands between reading the store and waiting
  EXPECT_TRUE(hub.WaitForChange(seen, absl::Now() + kNever));
}

TEST(JobChangeHubTest, NotifyWakesEveryWaiter) {
  JobChangeHub hub;
  constexpr int kWaiters = 4;
  const int64_t seen = hub.Generation();
  std::atomic<int> woken_by_change{0};
  std::vector<absl::Notification> started(kWaiters);
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&, i] {
      started[i].Notify();
      if (hub.WaitForChange(seen, absl::Now() + kNever)) ++woken_by_change;
    });
  }
  for (absl::Notification& notification : started) {
    notification.WaitForNotification();
  }
  hub.Notify();
  for (std::thread& waiter : waiters) waiter.join();
  EXPECT_EQ(woken_by_change.load(), kWaiters);
}

TEST(JobChangeHubTest, WaiterBlocksUntilNotified) {
  JobChangeHub hub;
  const int64_t seen = hub.Generation();
  absl::Notification returned;
  bool changed = false;
  std::thread waiter([&] {
    changed = hub.WaitForChange(seen, absl::Now() + kNever);
    returned.Notify();
  });
  // Without a change the waiter is still waiting (checked with a short
  // bounded wait for the opposite, not used as synchronisation).
  EXPECT_FALSE(returned.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
  hub.Notify();
  returned.WaitForNotification();
  waiter.join();
  EXPECT_TRUE(changed);
}

TEST(JobChangeHubTest, DeadlineWithoutAChangeReturnsFalse) {
  JobChangeHub hub;
  hub.Notify();
  const int64_t seen = hub.Generation();
  EXPECT_FALSE(hub.WaitForChange(seen, absl::Now() + absl::Milliseconds(20)));
  EXPECT_FALSE(hub.WaitForChange(seen, absl::InfinitePast()));
  // An older generation counts as a change at once, even past the deadline.
  EXPECT_TRUE(hub.WaitForChange(seen - 1, absl::InfinitePast()));
}

TEST(JobChangeHubTest, ShutdownWakesWaitersForGood) {
  JobChangeHub hub;
  const int64_t seen = hub.Generation();
  absl::Notification started;
  bool changed = true;
  std::thread waiter([&] {
    started.Notify();
    changed = hub.WaitForChange(seen, absl::InfiniteFuture());
  });
  started.WaitForNotification();
  hub.Shutdown();
  waiter.join();  // would hang if Shutdown did not wake it
  EXPECT_FALSE(changed);
  // Later waits return at once.
  EXPECT_FALSE(hub.WaitForChange(hub.Generation(), absl::InfiniteFuture()));
  hub.Notify();
  EXPECT_TRUE(hub.WaitForChange(seen, absl::InfiniteFuture()));
}

}  // namespace
}  // namespace jobcontrol
