#include "server/core/job_change_hub.h"

namespace jobcontrol {

int64_t JobChangeHub::Generation() const {
  absl::MutexLock lock(&mutex_);
  return generation_;
}

void JobChangeHub::Notify() {
  // Waiters re-check their condition when the mutex is released; Notify only
  // bumps a counter, so it never waits for them.
  absl::MutexLock lock(&mutex_);
  ++generation_;
}

bool JobChangeHub::WaitForChange(int64_t seen, absl::Time deadline) const {
  absl::MutexLock lock(&mutex_);
  auto changed_or_shut_down = [this, seen]()
                                  ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
                                    return generation_ > seen || shut_down_;
                                  };
  mutex_.AwaitWithDeadline(absl::Condition(&changed_or_shut_down), deadline);
  return generation_ > seen;
}

void JobChangeHub::Shutdown() {
  absl::MutexLock lock(&mutex_);
  shut_down_ = true;
}

}  // namespace jobcontrol
