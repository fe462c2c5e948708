#include "server/core/job_change_hub.h"

namespace jobcontrol {

int64_t JobChangeHub::Generation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return generation_;
}

void JobChangeHub::Notify() {
  // Only bumps a counter and wakes the waiters, so it never waits for them.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
  }
  changed_.notify_all();
}

bool JobChangeHub::WaitForChange(int64_t seen, absl::Time deadline) const {
  std::unique_lock<std::mutex> lock(mutex_);
  auto changed_or_shut_down = [this, seen] {
    return generation_ > seen || shut_down_;
  };
  if (deadline == absl::InfiniteFuture()) {
    changed_.wait(lock, changed_or_shut_down);
  } else {
    changed_.wait_until(lock, absl::ToChronoTime(deadline),
                        changed_or_shut_down);
  }
  return generation_ > seen;
}

void JobChangeHub::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shut_down_ = true;
  }
  changed_.notify_all();
}

}  // namespace jobcontrol
