// LeaseExpirySweeper: the background thread that ends expired leases and
// wakes long-polls when a backoff ends. It asks the store for the next time
// something is due (a lease expiry or a next_attempt_time), sleeps until then
// (or until the hub reports a change, or at most `max_sleep`), applies
// JobLifecycle::ExpireLease to every expired lease, has the store try its
// waiting leases (Store::RetryLeaseWaits), and notifies the hub.
// It starts from the store, so leases that expired while the server was down
// are ended at start-up.
#ifndef JOBCONTROL_SERVER_CORE_LEASE_EXPIRY_SWEEPER_H_
#define JOBCONTROL_SERVER_CORE_LEASE_EXPIRY_SWEEPER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/time/time.h"
#include "server/core/job_change_hub.h"

namespace jobcontrol {

class Store;

class LeaseExpirySweeper {
 public:
  // `store` and `hub` must outlive this object. Starts the thread.
  LeaseExpirySweeper(Store* store, JobChangeHub* hub,
                     absl::Duration max_sleep = absl::Seconds(1));
  // Stops and joins the thread.
  ~LeaseExpirySweeper();
  LeaseExpirySweeper(const LeaseExpirySweeper&) = delete;
  LeaseExpirySweeper& operator=(const LeaseExpirySweeper&) = delete;

  // Runs one sweep now, on the caller's thread: ends every lease expired at
  // `now`. Returns how many jobs it changed. (The thread calls this too.)
  int SweepOnce(absl::Time now);

 private:
  void Run();

  Store* store_;
  JobChangeHub* hub_;
  absl::Duration max_sleep_;
  std::mutex mutex_;
  std::condition_variable stopping_changed_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_CORE_LEASE_EXPIRY_SWEEPER_H_
