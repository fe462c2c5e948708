#include "server/core/lease_expiry_sweeper.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "server/core/clock.h"
#include "server/core/job_lifecycle.h"
#include "server/core/retry_policy.h"
#include "server/store/store.h"

namespace jobcontrol {
namespace {

// Expired leases read per store query.
constexpr int kSweepBatchSize = 256;

// Least time between two looks at the store that changes (not due times)
// set off.
constexpr absl::Duration kChangeCoalescing = absl::Milliseconds(50);

// How soon a round that met a store error is retried (at most max_sleep).
constexpr absl::Duration kRetryAfterError = absl::Seconds(1);

// One line on stderr. Messages name jobs and pipelines by ID and carry store
// errors; no credential ever reaches this layer.
void LogSweepError(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "jobcontrold: lease expiry: %s: %s\n", what.c_str(),
               status.ToString().c_str());
}

}  // namespace

LeaseExpirySweeper::LeaseExpirySweeper(Store* store, JobChangeHub* hub,
                                       absl::Duration max_sleep)
    : store_(store), hub_(hub), max_sleep_(max_sleep) {
  if (max_sleep_ <= absl::ZeroDuration()) max_sleep_ = absl::Seconds(1);
  thread_ = std::thread([this] { Run(); });
}

LeaseExpirySweeper::~LeaseExpirySweeper() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  stopping_changed_.notify_all();
  // The thread sleeps in hub_->WaitForChange: a notification wakes it at
  // once. Other waiters see a spurious change and simply re-check the store,
  // which the hub's contract allows.
  hub_->Notify();
  thread_.join();
}

int LeaseExpirySweeper::SweepOnce(absl::Time now) {
  // A local generator: SweepOnce may run on the caller's thread and on the
  // sweeper's at once, and absl::BitGen is not thread-safe.
  absl::BitGen random;
  // Each pipeline's retry policy, read once per sweep. A pipeline that is
  // gone leaves its jobs the default policy; any other error leaves the job
  // for the next round (nullptr).
  std::map<std::pair<std::string, std::string>, RetryPolicy> policies;
  auto policy_of = [&](const Job& job) -> const RetryPolicy* {
    auto key = std::make_pair(job.tenant, job.pipeline_id);
    auto found = policies.find(key);
    if (found != policies.end()) return &found->second;
    absl::StatusOr<Pipeline> pipeline =
        store_->GetPipeline(job.tenant, job.pipeline_id);
    RetryPolicy policy;
    if (pipeline.ok()) {
      policy = pipeline->retry_policy;
    } else if (pipeline.status().code() != absl::StatusCode::kNotFound) {
      LogSweepError(absl::StrCat("reading pipeline ", job.pipeline_id,
                                 " of job ", job.id),
                    pipeline.status());
      return nullptr;
    }
    return &policies.emplace(std::move(key), policy).first->second;
  };

  int changed = 0;
  while (true) {
    absl::StatusOr<std::vector<Job>> expired =
        store_->ListExpiredLeases(now, kSweepBatchSize);
    if (!expired.ok()) {
      LogSweepError("listing expired leases", expired.status());
      break;
    }
    int changed_in_batch = 0;
    int settled_in_batch = 0;  // updated, or found renewed or ended
    for (const Job& job : *expired) {
      const RetryPolicy* policy = policy_of(job);
      if (policy == nullptr) continue;
      // Drawn once, outside `decide`, which the store may call again.
      const double jitter = absl::Uniform(random, 0.0, 1.0);
      int64_t version_before = job.version;
      absl::StatusOr<Job> updated =
          store_->UpdateJob(job.tenant, job.id, [&](const Job& current) {
            version_before = current.version;
            return JobLifecycle::ExpireLease(current, *policy, jitter, now);
          });
      if (!updated.ok()) {
        LogSweepError(absl::StrCat("ending the lease of job ", job.id),
                      updated.status());
        continue;
      }
      ++settled_in_batch;
      if (updated->version != version_before) ++changed_in_batch;
    }
    changed += changed_in_batch;
    // A short page is the last one. A full page of failures would be listed
    // again unchanged: stop, and retry next round.
    if (static_cast<int>(expired->size()) < kSweepBatchSize ||
        settled_in_batch == 0) {
      break;
    }
  }
  if (changed > 0) hub_->Notify();
  return changed;
}

void LeaseExpirySweeper::Run() {
  // Sweep at once: leases that expired while the server was down end now.
  bool sweep_due = true;
  // Backoffs that ended up to this moment have been announced to the hub.
  // Keeping it (instead of asking only for due times after "now") means a
  // backoff that ends while this thread rests after a change is announced
  // on the next round rather than never.
  absl::Time announced = CurrentTime();
  while (true) {
    const absl::Time now = CurrentTime();
    if (sweep_due) SweepOnce(now);
    const bool swept = sweep_due;
    sweep_due = false;

    absl::Time deadline = now + max_sleep_;
    const absl::Time retry_time = now + std::min(max_sleep_, kRetryAfterError);
    absl::StatusOr<std::optional<absl::Time>> next_due =
        store_->NextDueTime(announced);
    if (next_due.ok() && next_due->has_value() && **next_due <= now) {
      // A lease expired or a backoff ended since the last look. Sweep first;
      // then have the store try its waiting LeaseJob calls (no commit
      // announces that time made a job dispatchable), and wake the
      // long-polls to read what it settled.
      if (!swept) {
        sweep_due = true;
        continue;
      }
      if (absl::Status s = store_->RetryLeaseWaits(); !s.ok()) {
        LogSweepError("offering due jobs to waiting workers", s);
      }
      hub_->Notify();
      announced = now;
      next_due = store_->NextDueTime(announced);
    }

    // Read the generation after this thread's own Notify and before the
    // stopping_ check, so the destructor's Notify ends the wait below.
    const int64_t seen = hub_->Generation();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
    if (!next_due.ok()) {
      LogSweepError("reading the next due time", next_due.status());
      sweep_due = true;
      deadline = retry_time;
    } else if (next_due->has_value()) {
      if (**next_due <= now) {
        // A lease this round's sweep could not end (it logged why): retry
        // soon, without spinning on it.
        sweep_due = true;
        deadline = retry_time;
      } else {
        deadline = std::min(deadline, **next_due);
      }
    }

    const bool changed = hub_->WaitForChange(seen, deadline);
    // After a change, rest a moment so that a burst of commits (every
    // heartbeat is one) costs one NextDueTime, not one each; the shortest
    // lease is far longer, and a backoff that ends meanwhile is announced
    // next round (see `announced`). If the wait ended without a change
    // before its deadline, the hub was shut down: sleep out the deadline
    // here instead. Either rest ends at once when the destructor sets
    // stopping_.
    const absl::Time rest_until =
        changed ? std::min(deadline, CurrentTime() + kChangeCoalescing)
                : deadline;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      stopping_changed_.wait_until(lock, absl::ToChronoTime(rest_until),
                                   [this] { return stopping_; });
      if (stopping_) return;
    }
    if (!changed) sweep_due = true;
  }
}

}  // namespace jobcontrol
