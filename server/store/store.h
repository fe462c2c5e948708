// Store: durable state of jobs and pipelines, per tenant.
//
// Contract for every implementation (sqlite/ today, postgres/ next):
// - Every method is thread-safe.
// - A mutating method returns only after its change is durably committed
//   (survives SIGKILL of the process); on error nothing was changed.
// - Every read and write is scoped to `tenant`: another tenant's rows are
//   invisible, so they are NOT_FOUND, exactly like missing ones.
// - Mutations of an existing row are read-decide-write in one transaction:
//   the caller's `decide` function sees the current row and returns the new
//   one; the write is a compare-and-set on `version`, so a concurrent change
//   can never be lost or overwritten.
// - Errors: NOT_FOUND with reason JOB_NOT_FOUND / PIPELINE_NOT_FOUND;
//   UNAVAILABLE (STORE_UNAVAILABLE) when the database cannot be used; any
//   error a `decide` function returns is returned unchanged.
#ifndef JOBCONTROL_SERVER_STORE_STORE_H_
#define JOBCONTROL_SERVER_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/core/job.h"
#include "server/core/retry_policy.h"
#include "server/core/pipeline.h"

namespace jobcontrol {

// Which jobs ListJobs returns; unset members do not filter.
struct JobQuery {
  std::vector<JobState> states;  // any of these; empty = all
  std::optional<std::string> pipeline_id;
  std::optional<JobKind> kind;
  std::optional<absl::Time> create_time_from;  // inclusive
  std::optional<absl::Time> create_time_to;    // exclusive
  // Keyset cursor: only jobs with sequence < before_sequence. 0 = no cursor.
  int64_t before_sequence = 0;
  int limit = 50;  // > 0
};

// Newest first (sequence descending).
struct JobPage {
  std::vector<Job> jobs;
  bool has_more = false;  // more rows match after the last one returned
};

struct PipelineQuery {
  // Keyset cursor: only pipelines with sequence > after_sequence.
  int64_t after_sequence = 0;
  int limit = 50;  // > 0
};

// Oldest first (sequence ascending).
struct PipelinePage {
  std::vector<Pipeline> pipelines;
  bool has_more = false;
};

// A job to insert, with its idempotency key.
struct JobSubmission {
  // Fully formed: tenant, id, kind, spec, priority, user_data, create_time,
  // update_time set; state QUEUED. Empty pipeline_id means the tenant's
  // default pipeline (created if needed, named "default"). max_attempts 0
  // means the pipeline's retry_policy.max_attempts (filled in by the store).
  Job job;
  // Empty: no idempotency. Otherwise (tenant, request_id) identifies the
  // submission: a second submit with the same key returns the first job if
  // `request_fingerprint` is equal, and INVALID_ARGUMENT with reason
  // REQUEST_ID_REUSED (field "request_id") if not.
  std::string request_id;
  std::string request_fingerprint;
};

struct SubmitResult {
  Job job;
  bool created = false;  // false when an idempotent retry found the job
};

// Given the current row, returns the row to write, or an error to abort with
// nothing written. Returning a row equal in every field means "no change"
// and writes nothing (version stays). Must be pure: it can be called again.
using JobDecision = std::function<absl::StatusOr<Job>(const Job& current)>;

// A JobDecision that also learns the moment it is taken: a lease decided in
// a later commit (Store::LeaseNextJobOrWait) expires relative to that
// commit, not to the call that started waiting.
using JobDecisionAt =
    std::function<absl::StatusOr<Job>(const Job& current, absl::Time now)>;

// Which jobs a worker may lease (Store::LeaseNextJob).
struct LeaseQuery {
  std::vector<JobKind> kinds;              // empty = any kind
  std::vector<std::string> pipeline_ids;   // empty = any pipeline
  absl::Time now = absl::UnixEpoch();      // next_attempt_time must be <= now
};

// A LeaseJob waiting for a job (Store::LeaseNextJobOrWait). While it is
// registered, the store tries it in the transaction of every commit that
// may have made a job dispatchable for its tenant (a job submitted or
// requeued, a job finished, a pipeline changed) and in RetryLeaseWaits():
// the lease is then committed together with the change that made the job
// dispatchable. Destroying the wait ends it (End()); destroy it before the
// store.
class LeaseWait {
 public:
  virtual ~LeaseWait() = default;
  // What the store settled for this wait, once it has: the job leased to it
  // (after the commit that holds the lease), or the error of the attempt
  // (its decision's error, or UNAVAILABLE if that commit failed). A settled
  // wait is no longer registered. nullopt while still waiting.
  virtual std::optional<absl::StatusOr<Job>> Outcome() = 0;
  // Unregisters the wait: no later commit leases to it. If an attempt had
  // already begun, waits for its commit and returns what it settled; a job
  // returned here is leased to this waiter and must be handed on.
  virtual std::optional<absl::StatusOr<Job>> End() = 0;
};

// What LeaseNextJobOrWait found: a job leased now, or a registered wait.
struct LeaseOrWait {
  std::optional<Job> job;
  std::unique_ptr<LeaseWait> wait;  // set exactly when `job` is not
};

// Told about every committed change, after the commit, on the committing
// thread. Must be quick and must not call the store.
class StoreChangeListener {
 public:
  virtual ~StoreChangeListener() = default;
  virtual void OnJobChanged(const Job& job) = 0;
  virtual void OnPipelineChanged(const Pipeline& pipeline) = 0;
};
using PipelineDecision =
    std::function<absl::StatusOr<Pipeline>(const Pipeline& current)>;

class Store {
 public:
  virtual ~Store() = default;

  // --- Pipelines ---

  // Inserts `pipeline` (tenant, id, name, state, priority, times set).
  // Returns it with version and sequence assigned.
  virtual absl::StatusOr<Pipeline> CreatePipeline(
      const Pipeline& pipeline) = 0;
  virtual absl::StatusOr<Pipeline> GetPipeline(const std::string& tenant,
                                               const std::string& id) = 0;
  // The tenant's default pipeline, created (named "default", ACTIVE,
  // priority 6) if it does not exist yet; at most one ever exists.
  virtual absl::StatusOr<Pipeline> GetOrCreateDefaultPipeline(
      const std::string& tenant, absl::Time now) = 0;
  virtual absl::StatusOr<PipelinePage> ListPipelines(
      const std::string& tenant, const PipelineQuery& query) = 0;
  // Read-decide-write of one pipeline (see file comment).
  virtual absl::StatusOr<Pipeline> UpdatePipeline(
      const std::string& tenant, const std::string& id,
      const PipelineDecision& decide) = 0;
  // Deletes a pipeline. FAILED_PRECONDITION with reason DEFAULT_PIPELINE for
  // the default one, PIPELINE_NOT_EMPTY while any of its jobs is not in a
  // terminal state (checked in the same transaction as the delete).
  virtual absl::Status DeletePipeline(const std::string& tenant,
                                      const std::string& id) = 0;

  // --- Jobs ---

  // Inserts a job into its pipeline, idempotently (see JobSubmission).
  // NOT_FOUND (PIPELINE_NOT_FOUND) if the named pipeline does not exist for
  // the tenant. The job returned has pipeline_id, version, sequence set.
  virtual absl::StatusOr<SubmitResult> SubmitJob(
      const JobSubmission& submission) = 0;
  virtual absl::StatusOr<Job> GetJob(const std::string& tenant,
                                     const std::string& id) = 0;
  virtual absl::StatusOr<JobPage> ListJobs(const std::string& tenant,
                                           const JobQuery& query) = 0;
  // Read-decide-write of one job (see file comment). Returns the job as
  // stored afterwards.
  virtual absl::StatusOr<Job> UpdateJob(const std::string& tenant,
                                        const std::string& id,
                                        const JobDecision& decide) = 0;

  // --- The same writes for callers that must not block a thread ---
  // SubmitJob and UpdateJob, whose outcome goes to `done` instead of being
  // returned: the same transaction, contract and errors. `done` runs exactly
  // once, after the commit that holds the change (or once the write failed),
  // on a thread of the store, or at once on the caller's thread when the
  // store refuses the write (shutting down). It must be quick, must not
  // block and must not call the store.
  using SubmitJobDone = std::function<void(absl::StatusOr<SubmitResult>)>;
  virtual void SubmitJobAsync(JobSubmission submission,
                              SubmitJobDone done) = 0;
  using UpdateJobDone = std::function<void(absl::StatusOr<Job>)>;
  virtual void UpdateJobAsync(std::string tenant, std::string id,
                              JobDecision decide, UpdateJobDone done) = 0;

  // --- Dispatch, leases, history ---

  // In one transaction: picks the tenant's next dispatchable job — QUEUED,
  // next_attempt_time unset or <= query.now, in an ACTIVE pipeline whose
  // RUNNING+CANCELING jobs are fewer than its max_running_jobs (0 = no
  // limit), matching query.kinds / pipeline_ids — ordered by pipeline
  // priority desc, job priority desc, sequence asc; applies `decide` to it
  // and writes the result (compare-and-set). Returns nullopt when no job is
  // dispatchable. Two concurrent calls never get the same job, and a job
  // canceled concurrently is never returned.
  virtual absl::StatusOr<std::optional<Job>> LeaseNextJob(
      const std::string& tenant, const LeaseQuery& query,
      const JobDecision& decide) = 0;

  // LeaseNextJob (at query.now) for a caller that will wait: when no job is
  // dispatchable, registers a LeaseWait in the same transaction as the look,
  // so no change committed after the look can be missed. Later attempts use
  // the query with `now` set to the moment of the attempt, and decide with
  // that moment. Waits of a tenant are served first registered, first
  // served.
  virtual absl::StatusOr<LeaseOrWait> LeaseNextJobOrWait(
      const std::string& tenant, const LeaseQuery& query,
      const JobDecisionAt& decide) = 0;

  // Tries every registered LeaseWait now, in one transaction: for what time
  // alone makes dispatchable (a retry backoff that ended), which no commit
  // announces.
  virtual absl::Status RetryLeaseWaits() = 0;

  // Jobs of every tenant that are RUNNING or CANCELING with
  // lease_expire_time <= now, oldest expiry first, at most `limit`.
  virtual absl::StatusOr<std::vector<Job>> ListExpiredLeases(absl::Time now,
                                                             int limit) = 0;

  // The earliest future moment something becomes due: the smallest
  // lease_expire_time of a RUNNING/CANCELING job, or next_attempt_time > now
  // of a QUEUED job; nullopt if none.
  virtual absl::StatusOr<std::optional<absl::Time>> NextDueTime(
      absl::Time now) = 0;

  // The job as it was at each version > after_version, ascending, at most
  // `limit` (every committed change of a job is kept as a version, written
  // in the same transaction). NOT_FOUND (JOB_NOT_FOUND) if the job does not
  // exist for the tenant.
  virtual absl::StatusOr<std::vector<Job>> ListJobVersions(
      const std::string& tenant, const std::string& id, int64_t after_version,
      int limit) = 0;

  // Registers the listener told about every later commit; nullptr removes
  // it. `listener` must outlive the store or be removed first.
  virtual void SetChangeListener(StoreChangeListener* listener) = 0;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_STORE_STORE_H_
