// JobChangeHub: in-process wake-ups for everything that waits on the store:
// LeaseJob long-polls (a job may have become dispatchable), WatchJob and
// WaitJob (a job changed). The store tells the hub after each commit
// (Store::SetChangeListener); waiters then re-read the store, which stays
// the only source of truth. Publishing never blocks on waiters, so a slow
// watcher cannot slow dispatch. Thread-safe.
#ifndef JOBCONTROL_SERVER_CORE_JOB_CHANGE_HUB_H_
#define JOBCONTROL_SERVER_CORE_JOB_CHANGE_HUB_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "absl/time/time.h"

namespace jobcontrol {

class JobChangeHub {
 public:
  JobChangeHub() = default;
  JobChangeHub(const JobChangeHub&) = delete;
  JobChangeHub& operator=(const JobChangeHub&) = delete;

  // A counter that increases with every Notify(). Read it BEFORE looking at
  // the store, then WaitForChange(it, ...) after: no change can slip between.
  int64_t Generation() const;

  // Something changed (a job or pipeline committed, a backoff or lease
  // deadline passed). Wakes every waiter.
  void Notify();

  // Blocks until Generation() > `seen`, `deadline` passes or Shutdown().
  // Returns true if a change happened.
  bool WaitForChange(int64_t seen, absl::Time deadline) const;

  // Wakes every waiter for good: WaitForChange returns at once afterwards.
  void Shutdown();

 private:
  // std::mutex rather than absl::Mutex, here and in the store: Debian's
  // Abseil is not built with ThreadSanitizer, which would not see its locks.
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  int64_t generation_ = 0;     // guarded by mutex_
  bool shut_down_ = false;     // guarded by mutex_
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_CORE_JOB_CHANGE_HUB_H_
