// SqliteLeaseWaits: the LeaseJob calls of one SqliteStore that wait for a
// job (store.h, LeaseWait), in the order they registered.
//
// A wait is in one of four phases:
//   waiting  registered; the store's writer may try it;
//   trying   the writer is leasing for it inside an open transaction;
//   settled  the writer gave it an outcome (after the commit, or the error
//            of the attempt); no longer registered;
//   ended    its owner ended it while it was waiting.
// Only the writer thread moves a wait into and out of `trying`; End() from
// the owner waits for that to finish, so a job leased to a wait is never
// lost: either the owner ends the wait before an attempt, or End() returns
// the attempt's outcome.
//
// Thread-safety: every method may be called from any thread; the writer
// calls Register, AnyWaiting, Waiting, BeginAttempt, ReturnToWaiting and
// Settle, the owner calls its LeaseWait. An attempt's `decide` runs on the
// writer thread.
#ifndef JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_LEASE_WAITS_H_
#define JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_LEASE_WAITS_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "server/core/job.h"
#include "server/store/store.h"

namespace jobcontrol {

class SqliteLeaseWaits {
 public:
  // One registered wait: what it leases. The phase and outcome are the
  // registry's (guarded by its mutex).
  struct Wait {
    std::string tenant;
    LeaseQuery query;
    JobDecisionAt decide;

    enum class Phase { kWaiting, kTrying, kSettled, kEnded };
    Phase phase = Phase::kWaiting;
    std::optional<absl::StatusOr<Job>> outcome;
    int64_t order = 0;  // registration order
  };

  SqliteLeaseWaits() = default;
  SqliteLeaseWaits(const SqliteLeaseWaits&) = delete;
  SqliteLeaseWaits& operator=(const SqliteLeaseWaits&) = delete;

  // Registers a wait; the handle ends it when destroyed. The registry must
  // outlive the handle.
  std::unique_ptr<LeaseWait> Register(std::string tenant, LeaseQuery query,
                                      JobDecisionAt decide);

  // The waiting waits of `tenants` (of every tenant when null), in
  // registration order.
  std::vector<std::shared_ptr<Wait>> Waiting(
      const absl::flat_hash_set<std::string>* tenants);

  // waiting -> trying; false if the wait is no longer waiting (ended or
  // settled), and then it must not be tried.
  bool BeginAttempt(const std::shared_ptr<Wait>& wait);
  // trying -> waiting: the attempt leased nothing and wrote nothing.
  void ReturnToWaiting(const std::shared_ptr<Wait>& wait);
  // trying -> settled with `outcome`; wakes an End() waiting for it.
  void Settle(const std::shared_ptr<Wait>& wait, absl::StatusOr<Job> outcome);

  // Whether any wait is registered and neither settled nor ended.
  bool AnyWaiting();

 private:
  class Handle;

  std::optional<absl::StatusOr<Job>> Outcome(const std::shared_ptr<Wait>& wait);
  std::optional<absl::StatusOr<Job>> End(const std::shared_ptr<Wait>& wait);

  std::mutex mutex_;
  std::condition_variable attempt_finished_;
  int64_t next_order_ = 0;                             // guarded by mutex_
  std::map<int64_t, std::shared_ptr<Wait>> waiting_;   // guarded by mutex_
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_LEASE_WAITS_H_
