// SqliteStore: the Store's queries over the schema in sqlite_schema.cc.
//
// Every mutation is one operation of the SqliteGroupCommitWriter: it reads,
// decides and writes on the writer connection inside the group transaction,
// where no other writer can interleave (one writer thread, BEGIN IMMEDIATE),
// so read-decide-write is atomic; the UPDATE is still a compare-and-set on
// `version` so a change can never be applied on top of a stale row. Reads go
// to the read-only pool and see the last committed state.
//
// Choices the contract leaves open:
// - A decide function may not change a row's identity: tenant, id and
//   sequence, plus kind and pipeline_id for jobs and is_default for
//   pipelines. Trying is a bug in the caller: INTERNAL, nothing written.
//   The `version` it returns is ignored (the store assigns versions).
// - Decide functions run on the writer thread while it holds the write
//   transaction: they must be quick and must not call a mutating method of
//   this store (that would wait for the writer thread itself).
// - CreatePipeline with an id the tenant already has, or a second default
//   pipeline: ALREADY_EXISTS.
// - Enum values outside their range are refused before writing
//   (INVALID_ARGUMENT) and reported as DATA_LOSS if ever read back; so are
//   a job's max_attempts below 1 (after SubmitJob filled in a 0), a
//   negative max_running_jobs, a retry_policy.max_attempts below 1 and
//   negative or infinite policy durations. Durations are stored in
//   microseconds, like times.
// - LeaseNextJob picks with one query inside the write transaction
//   (sqlite_job_query.h) and applies `decide` to the pick there; the single
//   writer makes pick-and-write atomic against UpdateJob (a cancel). The
//   decision must move the job out of QUEUED, or the next call picks it
//   again; a decision that changes nothing returns the job unchanged.
// - Every write of a job row (insert, UpdateJob, LeaseNextJob) copies the
//   row into job_versions in the same savepoint; a "no change" writes none.
//   Versions are kept for good (no pruning yet).
// - Lease waits (LeaseNextJobOrWait, sqlite_lease_waits.h) are tried by
//   the writer's group hook after a group's operations, before its COMMIT,
//   for the tenants whose dispatchable jobs the group may have changed: a
//   job written QUEUED or finished (SUCCEEDED, FAILED, CANCELED: it may
//   free a max_running_jobs slot), or a pipeline written. Leasing RUNNING,
//   a heartbeat or a cancel request (CANCELING) changes nothing for a
//   waiting worker. Each attempt runs in its own SAVEPOINT; once an attempt
//   with no kind or pipeline filter finds nothing, the tenant's other waits
//   are skipped (they would find nothing either). A wait is settled after
//   the COMMIT, before the group's operations publish their changes.
// - The change listener hears of inserted and updated jobs and pipelines,
//   including a default pipeline created on the way, after the COMMIT that
//   holds them and before their callers return; failed operations, "no
//   change" decisions, idempotent submit retries and a group whose COMMIT
//   failed report nothing. DeletePipeline reports nothing either: the
//   interface has no way to say a row is gone, and a deletable pipeline has
//   no unfinished job for anyone to wait on.
#include "server/store/sqlite/sqlite_store.h"

#include <algorithm>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/core/clock.h"
#include "server/core/error_reason.h"
#include "server/core/ids.h"
#include "server/store/sqlite/job_read_cache.h"
#include "server/store/sqlite/sqlite_connection.h"
#include "server/store/sqlite/sqlite_group_commit_writer.h"
#include "server/store/sqlite/sqlite_job_query.h"
#include "server/store/sqlite/sqlite_lease_waits.h"
#include "server/store/sqlite/sqlite_read_pool.h"
#include "server/store/sqlite/sqlite_schema.h"

namespace jobcontrol {
namespace {

// The literal states in the SQL below ("state = 1" and "state IN (2, 3)",
// spelled like the partial indexes they use) are the unfinished states.
static_assert(static_cast<int>(JobState::kQueued) == 1 &&
                  static_cast<int>(JobState::kRunning) == 2 &&
                  static_cast<int>(JobState::kCanceling) == 3,
              "sqlite schema and queries spell the unfinished states 1, 2, 3");

constexpr char kDefaultPipelineName[] = "default";

// Column lists, in the order ReadPipeline / ReadJob expect them.
#define JOBCONTROL_PIPELINE_COLUMNS                                           \
  "sequence, tenant, id, name, state, priority, is_default, create_time_us, " \
  "update_time_us, version, max_running_jobs, retry_max_attempts, "           \
  "retry_initial_backoff_us, retry_max_backoff_us, lease_duration_us"
// Also the columns of job_versions, which spells them the same way.
#define JOBCONTROL_JOB_COLUMNS                                              \
  "sequence, tenant, id, state, kind, spec, pipeline_id, priority, "        \
  "user_data, create_time_us, start_time_us, end_time_us, update_time_us, " \
  "attempt_count, result, error_code, error_message, version, "             \
  "max_attempts, lease_id, worker_id, lease_expire_time_us, "               \
  "next_attempt_time_us"

constexpr char kSelectPipeline[] =
    "SELECT " JOBCONTROL_PIPELINE_COLUMNS
    " FROM pipelines WHERE tenant = ? AND id = ?";
constexpr char kSelectDefaultPipeline[] =
    "SELECT " JOBCONTROL_PIPELINE_COLUMNS
    " FROM pipelines WHERE tenant = ? AND is_default = 1";
constexpr char kSelectPipelinePage[] =
    "SELECT " JOBCONTROL_PIPELINE_COLUMNS
    " FROM pipelines WHERE tenant = ? AND sequence > ?"
    " ORDER BY sequence ASC LIMIT ?";
constexpr char kInsertPipeline[] =
    "INSERT INTO pipelines (tenant, id, name, state, priority, is_default,"
    " create_time_us, update_time_us, max_running_jobs, retry_max_attempts,"
    " retry_initial_backoff_us, retry_max_backoff_us, lease_duration_us,"
    " version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)";
constexpr char kUpdatePipeline[] =
    "UPDATE pipelines SET name = ?, state = ?, priority = ?,"
    " create_time_us = ?, update_time_us = ?, max_running_jobs = ?,"
    " retry_max_attempts = ?, retry_initial_backoff_us = ?,"
    " retry_max_backoff_us = ?, lease_duration_us = ?,"
    " version = version + 1"
    " WHERE tenant = ? AND id = ? AND version = ?";
constexpr char kDeletePipeline[] =
    "DELETE FROM pipelines WHERE tenant = ? AND id = ?";

constexpr char kSelectJob[] =
    "SELECT " JOBCONTROL_JOB_COLUMNS " FROM jobs WHERE tenant = ? AND id = ?";
// The columns BindJobRow binds, in its order: the ones a job keeps for
// life, then those kUpdateJob sets (BindChangeableJobColumns).
#define JOBCONTROL_JOB_ROW_COLUMNS                                           \
  "tenant, id, kind, pipeline_id, state, spec, priority, user_data,"         \
  " create_time_us, start_time_us, end_time_us, update_time_us,"             \
  " attempt_count, result, error_code, error_message, max_attempts,"         \
  " lease_id, worker_id, lease_expire_time_us, next_attempt_time_us"
#define JOBCONTROL_JOB_ROW_VALUES \
  "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"

constexpr char kInsertJob[] =
    "INSERT INTO jobs (" JOBCONTROL_JOB_ROW_COLUMNS ", version) VALUES ("
    JOBCONTROL_JOB_ROW_VALUES ", 1)";
// Sets the columns BindChangeableJobColumns binds, in its order.
constexpr char kUpdateJob[] =
    "UPDATE jobs SET state = ?, spec = ?, priority = ?, user_data = ?,"
    " create_time_us = ?, start_time_us = ?, end_time_us = ?,"
    " update_time_us = ?, attempt_count = ?, result = ?, error_code = ?,"
    " error_message = ?, max_attempts = ?, lease_id = ?, worker_id = ?,"
    " lease_expire_time_us = ?, next_attempt_time_us = ?,"
    " version = version + 1"
    // By `sequence` (the rowid): one B-tree lookup instead of one in the
    // (tenant, id) index and another in the table.
    " WHERE sequence = ? AND version = ?";
// Records the job's row as just written as its version, from the values
// just written rather than by reading the row back (INSERT ... SELECT),
// which callgrind counted ~3,700 instructions dearer per change.
constexpr char kInsertJobVersion[] =
    "INSERT INTO job_versions (" JOBCONTROL_JOB_ROW_COLUMNS
    ", version, sequence) VALUES (" JOBCONTROL_JOB_ROW_VALUES ", ?, ?)";
#undef JOBCONTROL_JOB_ROW_VALUES
constexpr char kSelectJobVersions[] =
    "SELECT " JOBCONTROL_JOB_COLUMNS
    " FROM job_versions"
    " WHERE tenant = ? AND id = ? AND version > ?"
    " ORDER BY version ASC LIMIT ?";

constexpr char kSelectSubmitRequest[] =
    "SELECT request_fingerprint, job_id FROM submit_requests"
    " WHERE tenant = ? AND request_id = ?";
constexpr char kInsertSubmitRequest[] =
    "INSERT INTO submit_requests (tenant, request_id, request_fingerprint,"
    " job_id, create_time_us) VALUES (?, ?, ?, ?, ?)";

// --- Values <-> columns ---

int64_t ToMicros(absl::Time time) { return absl::ToUnixMicros(time); }
absl::Time FromMicros(int64_t micros) { return absl::FromUnixMicros(micros); }
int64_t ToMicros(absl::Duration duration) {
  return absl::ToInt64Microseconds(duration);
}
absl::Duration DurationFromMicros(int64_t micros) {
  return absl::Microseconds(micros);
}
// `time` as it reads back after being stored.
absl::Time AtStoredPrecision(absl::Time time) {
  return FromMicros(ToMicros(time));
}
absl::Duration AtStoredPrecision(absl::Duration duration) {
  return DurationFromMicros(ToMicros(duration));
}
std::optional<absl::Time> AtStoredPrecision(std::optional<absl::Time> time) {
  if (!time.has_value()) return std::nullopt;
  return AtStoredPrecision(*time);
}

bool IsValidJobState(int64_t value) {
  return value >= 1 && value <= kJobStateCount;
}
bool IsValidJobKind(int64_t value) {
  return value == static_cast<int>(JobKind::kDnaAnalysis) ||
         value == static_cast<int>(JobKind::kEditing);
}
bool IsValidPipelineState(int64_t value) {
  return value == static_cast<int>(PipelineState::kActive) ||
         value == static_cast<int>(PipelineState::kPaused);
}

absl::Status CorruptRow(absl::string_view table, absl::string_view id,
                        absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("sqlite: ", table, " row ", id, " has ", what));
}

absl::StatusOr<Pipeline> ReadPipeline(const SqliteStatement& row) {
  Pipeline pipeline;
  pipeline.sequence = row.ColumnInt64(0);
  pipeline.tenant = row.ColumnText(1);
  pipeline.id = row.ColumnText(2);
  pipeline.name = row.ColumnText(3);
  const int64_t state = row.ColumnInt64(4);
  if (!IsValidPipelineState(state)) {
    return CorruptRow("pipelines", pipeline.id,
                      absl::StrCat("unknown state ", state));
  }
  pipeline.state = static_cast<PipelineState>(state);
  pipeline.priority = static_cast<int>(row.ColumnInt64(5));
  pipeline.is_default = row.ColumnInt64(6) != 0;
  pipeline.create_time = FromMicros(row.ColumnInt64(7));
  pipeline.update_time = FromMicros(row.ColumnInt64(8));
  pipeline.version = row.ColumnInt64(9);
  pipeline.max_running_jobs = static_cast<int>(row.ColumnInt64(10));
  pipeline.retry_policy.max_attempts = static_cast<int>(row.ColumnInt64(11));
  pipeline.retry_policy.initial_backoff =
      DurationFromMicros(row.ColumnInt64(12));
  pipeline.retry_policy.max_backoff = DurationFromMicros(row.ColumnInt64(13));
  pipeline.retry_policy.lease_duration =
      DurationFromMicros(row.ColumnInt64(14));
  return pipeline;
}

absl::StatusOr<Job> ReadJob(const SqliteStatement& row) {
  Job job;
  job.sequence = row.ColumnInt64(0);
  job.tenant = row.ColumnText(1);
  job.id = row.ColumnText(2);
  const int64_t state = row.ColumnInt64(3);
  if (!IsValidJobState(state)) {
    return CorruptRow("jobs", job.id, absl::StrCat("unknown state ", state));
  }
  job.state = static_cast<JobState>(state);
  const int64_t kind = row.ColumnInt64(4);
  if (!IsValidJobKind(kind)) {
    return CorruptRow("jobs", job.id, absl::StrCat("unknown kind ", kind));
  }
  job.kind = static_cast<JobKind>(kind);
  job.spec = row.ColumnBlob(5);
  job.pipeline_id = row.ColumnText(6);
  job.priority = static_cast<int>(row.ColumnInt64(7));
  job.user_data = row.ColumnBlob(8);
  job.create_time = FromMicros(row.ColumnInt64(9));
  if (!row.ColumnIsNull(10)) job.start_time = FromMicros(row.ColumnInt64(10));
  if (!row.ColumnIsNull(11)) job.end_time = FromMicros(row.ColumnInt64(11));
  job.update_time = FromMicros(row.ColumnInt64(12));
  job.attempt_count = static_cast<int>(row.ColumnInt64(13));
  job.result = row.ColumnBlob(14);
  if (!row.ColumnIsNull(15)) {
    job.error =
        JobError{static_cast<int>(row.ColumnInt64(15)), row.ColumnText(16)};
  }
  job.version = row.ColumnInt64(17);
  job.max_attempts = static_cast<int>(row.ColumnInt64(18));
  job.lease_id = row.ColumnText(19);
  job.worker_id = row.ColumnText(20);
  if (!row.ColumnIsNull(21)) {
    job.lease_expire_time = FromMicros(row.ColumnInt64(21));
  }
  if (!row.ColumnIsNull(22)) {
    job.next_attempt_time = FromMicros(row.ColumnInt64(22));
  }
  return job;
}

void BindOptionalTime(SqliteStatement& statement,
                      const std::optional<absl::Time>& time) {
  if (time.has_value()) {
    statement.BindInt64(ToMicros(*time));
  } else {
    statement.BindNull();
  }
}

// Binds error_code, error_message (NULL, NULL for no error).
void BindJobError(SqliteStatement& statement, const Job& job) {
  if (job.error.has_value()) {
    statement.BindInt64(job.error->code).BindText(job.error->message);
  } else {
    statement.BindNull().BindNull();
  }
}

// `job` as a later read returns it: times at microsecond precision.
Job AtStoredPrecision(Job job) {
  job.create_time = AtStoredPrecision(job.create_time);
  job.start_time = AtStoredPrecision(job.start_time);
  job.end_time = AtStoredPrecision(job.end_time);
  job.update_time = AtStoredPrecision(job.update_time);
  job.lease_expire_time = AtStoredPrecision(job.lease_expire_time);
  job.next_attempt_time = AtStoredPrecision(job.next_attempt_time);
  return job;
}

Pipeline AtStoredPrecision(Pipeline pipeline) {
  pipeline.create_time = AtStoredPrecision(pipeline.create_time);
  pipeline.update_time = AtStoredPrecision(pipeline.update_time);
  RetryPolicy& policy = pipeline.retry_policy;
  policy.initial_backoff = AtStoredPrecision(policy.initial_backoff);
  policy.max_backoff = AtStoredPrecision(policy.max_backoff);
  policy.lease_duration = AtStoredPrecision(policy.lease_duration);
  return pipeline;
}

// Both at stored precision. Compares every stored column but version.
bool SameStoredJob(const Job& a, const Job& b) {
  const bool same_error =
      a.error.has_value() == b.error.has_value() &&
      (!a.error.has_value() || (a.error->code == b.error->code &&
                                a.error->message == b.error->message));
  return a.tenant == b.tenant && a.id == b.id && a.state == b.state &&
         a.kind == b.kind && a.spec == b.spec &&
         a.pipeline_id == b.pipeline_id && a.priority == b.priority &&
         a.user_data == b.user_data && a.create_time == b.create_time &&
         a.start_time == b.start_time && a.end_time == b.end_time &&
         a.update_time == b.update_time && a.attempt_count == b.attempt_count &&
         a.result == b.result && same_error &&
         a.max_attempts == b.max_attempts && a.lease_id == b.lease_id &&
         a.worker_id == b.worker_id &&
         a.lease_expire_time == b.lease_expire_time &&
         a.next_attempt_time == b.next_attempt_time && a.sequence == b.sequence;
}

bool SameStoredPipeline(const Pipeline& a, const Pipeline& b) {
  return a.tenant == b.tenant && a.id == b.id && a.name == b.name &&
         a.state == b.state && a.priority == b.priority &&
         a.is_default == b.is_default && a.create_time == b.create_time &&
         a.update_time == b.update_time &&
         a.max_running_jobs == b.max_running_jobs &&
         a.retry_policy == b.retry_policy && a.sequence == b.sequence;
}

// --- Errors ---

absl::Status PipelineNotFound(absl::string_view id,
                              absl::string_view field = "") {
  return ErrorWithReason(absl::StatusCode::kNotFound, kReasonPipelineNotFound,
                         absl::StrCat("pipeline ", id, " not found"), field);
}

absl::Status ImmutableFieldChanged(absl::string_view resource,
                                   absl::string_view id,
                                   absl::string_view field) {
  return absl::InternalError(
      absl::StrCat("decide function changed immutable field ", field, " of ",
                   resource, " ", id, "; nothing written"));
}

// `status` with its message prefixed by the database path (unless it
// already names it), keeping its code and payloads (the reason).
absl::Status NamingDatabase(const std::string& path,
                            const absl::Status& status) {
  if (absl::StrContains(status.message(), path)) return status;
  absl::Status named(status.code(), absl::StrCat("SQLite database \"", path,
                                                 "\": ", status.message()));
  status.ForEachPayload(
      [&](absl::string_view type_url, const absl::Cord& payload) {
        named.SetPayload(type_url, payload);
      });
  return named;
}

absl::Status ValidateLimit(int limit) {
  if (limit <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("list limit must be positive, got ", limit));
  }
  return absl::OkStatus();
}

bool IsStorableDuration(absl::Duration duration) {
  return duration >= absl::ZeroDuration() &&
         duration != absl::InfiniteDuration();
}

absl::Status ValidatePipelineValues(const Pipeline& pipeline) {
  if (!IsValidPipelineState(static_cast<int>(pipeline.state))) {
    return absl::InvalidArgumentError(
        absl::StrCat("pipeline ", pipeline.id, ": unknown state ",
                     static_cast<int>(pipeline.state)));
  }
  if (pipeline.max_running_jobs < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("pipeline ", pipeline.id, ": max_running_jobs ",
                     pipeline.max_running_jobs, " is negative"));
  }
  const RetryPolicy& policy = pipeline.retry_policy;
  if (policy.max_attempts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("pipeline ", pipeline.id, ": retry_policy.max_attempts ",
                     policy.max_attempts, " is below 1"));
  }
  if (!IsStorableDuration(policy.initial_backoff) ||
      !IsStorableDuration(policy.max_backoff) ||
      !IsStorableDuration(policy.lease_duration)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pipeline ", pipeline.id,
                     ": retry_policy durations must be finite and not "
                     "negative"));
  }
  return absl::OkStatus();
}

absl::Status ValidateJobValues(const Job& job) {
  if (!IsValidJobState(static_cast<int>(job.state))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "job ", job.id, ": unknown state ", static_cast<int>(job.state)));
  }
  if (!IsValidJobKind(static_cast<int>(job.kind))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "job ", job.id, ": unknown kind ", static_cast<int>(job.kind)));
  }
  if (job.max_attempts < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "job ", job.id, ": max_attempts ", job.max_attempts, " is below 1"));
  }
  return absl::OkStatus();
}

absl::Status ValidateLeaseQuery(const LeaseQuery& query) {
  for (JobKind kind : query.kinds) {
    if (!IsValidJobKind(static_cast<int>(kind))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "lease query: unknown job kind ", static_cast<int>(kind)));
    }
  }
  return absl::OkStatus();
}

// --- Changes to publish after the commit ---

// The rows one operation changed, in the order it changed them, as
// committed. Filled on the writer thread inside the transaction; read after
// the commit by the after-commit action on the same thread.
struct ChangedRows {
  std::vector<Job> jobs;
  std::vector<Pipeline> pipelines;
};

// --- Queries on one connection ---

// The pipeline, or nullopt if the tenant has none with this id.
absl::StatusOr<std::optional<Pipeline>> FindPipeline(SqliteConnection& db,
                                                     const std::string& tenant,
                                                     const std::string& id) {
  absl::StatusOr<SqliteStatement> select = db.Prepare(kSelectPipeline);
  if (!select.ok()) return select.status();
  select->BindText(tenant).BindText(id);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  absl::StatusOr<Pipeline> pipeline = ReadPipeline(*select);
  if (!pipeline.ok()) return pipeline.status();
  return *std::move(pipeline);
}

absl::StatusOr<std::optional<Pipeline>> FindDefaultPipeline(
    SqliteConnection& db, const std::string& tenant) {
  absl::StatusOr<SqliteStatement> select = db.Prepare(kSelectDefaultPipeline);
  if (!select.ok()) return select.status();
  select->BindText(tenant);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  absl::StatusOr<Pipeline> pipeline = ReadPipeline(*select);
  if (!pipeline.ok()) return pipeline.status();
  return *std::move(pipeline);
}

absl::StatusOr<std::optional<Job>> FindJob(SqliteConnection& db,
                                           const std::string& tenant,
                                           const std::string& id) {
  absl::StatusOr<SqliteStatement> select = db.Prepare(kSelectJob);
  if (!select.ok()) return select.status();
  select->BindText(tenant).BindText(id);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  absl::StatusOr<Job> job = ReadJob(*select);
  if (!job.ok()) return job.status();
  return *std::move(job);
}

// Binds the pipeline columns after `is_default` that kInsertPipeline and
// kUpdatePipeline list in the same order: max_running_jobs and the policy.
void BindPipelineLimits(SqliteStatement& statement, const Pipeline& pipeline) {
  const RetryPolicy& policy = pipeline.retry_policy;
  statement.BindInt64(pipeline.max_running_jobs)
      .BindInt64(policy.max_attempts)
      .BindInt64(ToMicros(policy.initial_backoff))
      .BindInt64(ToMicros(policy.max_backoff))
      .BindInt64(ToMicros(policy.lease_duration));
}

// Binds the job columns kUpdateJob sets, in its order (the last 17 of
// JOBCONTROL_JOB_ROW_COLUMNS).
void BindChangeableJobColumns(SqliteStatement& statement, const Job& job) {
  statement.BindInt64(static_cast<int>(job.state))
      .BindBlob(job.spec)
      .BindInt64(job.priority)
      .BindBlob(job.user_data)
      .BindInt64(ToMicros(job.create_time));
  BindOptionalTime(statement, job.start_time);
  BindOptionalTime(statement, job.end_time);
  statement.BindInt64(ToMicros(job.update_time))
      .BindInt64(job.attempt_count)
      .BindBlob(job.result);
  BindJobError(statement, job);
  statement.BindInt64(job.max_attempts)
      .BindText(job.lease_id)
      .BindText(job.worker_id);
  BindOptionalTime(statement, job.lease_expire_time);
  BindOptionalTime(statement, job.next_attempt_time);
}

// Binds the JOBCONTROL_JOB_ROW_COLUMNS of `job`, in that order.
void BindJobRow(SqliteStatement& statement, const Job& job) {
  statement.BindText(job.tenant)
      .BindText(job.id)
      .BindInt64(static_cast<int>(job.kind))
      .BindText(job.pipeline_id);
  BindChangeableJobColumns(statement, job);
}

// Appends `job`, its row exactly as just written (times at stored
// precision, its sequence and new version), to job_versions.
absl::Status RecordJobVersion(SqliteConnection& db, const Job& job) {
  absl::StatusOr<SqliteStatement> insert = db.Prepare(kInsertJobVersion);
  if (!insert.ok()) return insert.status();
  BindJobRow(*insert, job);
  insert->BindInt64(job.version).BindInt64(job.sequence);
  return insert->Execute();
}

// Inserts `pipeline` with version 1; returns it as stored.
absl::StatusOr<Pipeline> InsertPipeline(SqliteConnection& db,
                                        const Pipeline& pipeline,
                                        ChangedRows& changes) {
  if (absl::Status s = ValidatePipelineValues(pipeline); !s.ok()) return s;
  absl::StatusOr<std::optional<Pipeline>> existing =
      FindPipeline(db, pipeline.tenant, pipeline.id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::AlreadyExistsError(
        absl::StrCat("pipeline ", pipeline.id, " already exists"));
  }
  if (pipeline.is_default) {
    absl::StatusOr<std::optional<Pipeline>> current_default =
        FindDefaultPipeline(db, pipeline.tenant);
    if (!current_default.ok()) return current_default.status();
    if (current_default->has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat("the tenant already has a default pipeline, ",
                       (*current_default)->id));
    }
  }
  absl::StatusOr<SqliteStatement> insert = db.Prepare(kInsertPipeline);
  if (!insert.ok()) return insert.status();
  insert->BindText(pipeline.tenant)
      .BindText(pipeline.id)
      .BindText(pipeline.name)
      .BindInt64(static_cast<int>(pipeline.state))
      .BindInt64(pipeline.priority)
      .BindInt64(pipeline.is_default ? 1 : 0)
      .BindInt64(ToMicros(pipeline.create_time))
      .BindInt64(ToMicros(pipeline.update_time));
  BindPipelineLimits(*insert, pipeline);
  if (absl::Status s = insert->Execute(); !s.ok()) return s;
  Pipeline stored = AtStoredPrecision(pipeline);
  stored.version = 1;
  stored.sequence = db.LastInsertRowId();
  changes.pipelines.push_back(stored);
  return stored;
}

absl::StatusOr<Pipeline> FindOrCreateDefaultPipeline(SqliteConnection& db,
                                                     const std::string& tenant,
                                                     absl::Time now,
                                                     ChangedRows& changes) {
  absl::StatusOr<std::optional<Pipeline>> existing =
      FindDefaultPipeline(db, tenant);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return **existing;
  Pipeline pipeline;  // no running-job limit, the default RetryPolicy
  pipeline.tenant = tenant;
  pipeline.id = NewResourceId();
  pipeline.name = kDefaultPipelineName;
  pipeline.state = PipelineState::kActive;
  pipeline.priority = kDefaultPriority;
  pipeline.is_default = true;
  pipeline.create_time = now;
  pipeline.update_time = now;
  return InsertPipeline(db, pipeline, changes);
}

// Inserts `job` (pipeline and max_attempts resolved) with version 1 and
// records that version; returns it as stored.
absl::StatusOr<Job> InsertJob(SqliteConnection& db, const Job& job,
                              ChangedRows& changes) {
  if (absl::Status s = ValidateJobValues(job); !s.ok()) return s;
  absl::StatusOr<SqliteStatement> insert = db.Prepare(kInsertJob);
  if (!insert.ok()) return insert.status();
  BindJobRow(*insert, job);
  if (absl::Status s = insert->Execute(); !s.ok()) {
    if (absl::IsAlreadyExists(s)) {
      return absl::AlreadyExistsError(
          absl::StrCat("job ", job.id, " already exists"));
    }
    return s;
  }
  Job stored = AtStoredPrecision(job);
  stored.version = 1;
  stored.sequence = db.LastInsertRowId();
  if (absl::Status s = RecordJobVersion(db, stored); !s.ok()) return s;
  changes.jobs.push_back(stored);
  return stored;
}

struct SubmitRequestRow {
  std::string fingerprint;
  std::string job_id;
};

absl::StatusOr<std::optional<SubmitRequestRow>> FindSubmitRequest(
    SqliteConnection& db, const std::string& tenant,
    const std::string& request_id) {
  absl::StatusOr<SqliteStatement> select = db.Prepare(kSelectSubmitRequest);
  if (!select.ok()) return select.status();
  select->BindText(tenant).BindText(request_id);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  return SubmitRequestRow{select->ColumnBlob(0), select->ColumnText(1)};
}

absl::StatusOr<SubmitResult> SubmitJobOnce(SqliteConnection& db,
                                           const JobSubmission& submission,
                                           ChangedRows& changes) {
  const Job& job = submission.job;
  if (!submission.request_id.empty()) {
    absl::StatusOr<std::optional<SubmitRequestRow>> earlier =
        FindSubmitRequest(db, job.tenant, submission.request_id);
    if (!earlier.ok()) return earlier.status();
    if (earlier->has_value()) {
      if ((*earlier)->fingerprint != submission.request_fingerprint) {
        return ErrorWithReason(
            absl::StatusCode::kInvalidArgument, kReasonRequestIdReused,
            absl::StrCat("request_id ", submission.request_id,
                         " was already used for a different request"),
            "request_id");
      }
      absl::StatusOr<std::optional<Job>> first =
          FindJob(db, job.tenant, (*earlier)->job_id);
      if (!first.ok()) return first.status();
      if (!first->has_value()) {
        return absl::DataLossError(absl::StrCat(
            "sqlite: submit request ", submission.request_id, " names job ",
            (*earlier)->job_id, " which does not exist"));
      }
      return SubmitResult{**std::move(first), /*created=*/false};
    }
  }

  Job to_insert = job;
  Pipeline pipeline;
  if (to_insert.pipeline_id.empty()) {
    absl::StatusOr<Pipeline> default_pipeline =
        FindOrCreateDefaultPipeline(db, job.tenant, job.create_time, changes);
    if (!default_pipeline.ok()) return default_pipeline.status();
    pipeline = *std::move(default_pipeline);
    to_insert.pipeline_id = pipeline.id;
  } else {
    absl::StatusOr<std::optional<Pipeline>> found =
        FindPipeline(db, job.tenant, job.pipeline_id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      return PipelineNotFound(job.pipeline_id, "job.pipeline_id");
    }
    pipeline = **std::move(found);
  }
  if (to_insert.max_attempts == 0) {
    to_insert.max_attempts = pipeline.retry_policy.max_attempts;
  }
  absl::StatusOr<Job> inserted = InsertJob(db, to_insert, changes);
  if (!inserted.ok()) return inserted.status();

  if (!submission.request_id.empty()) {
    absl::StatusOr<SqliteStatement> insert = db.Prepare(kInsertSubmitRequest);
    if (!insert.ok()) return insert.status();
    insert->BindText(job.tenant)
        .BindText(submission.request_id)
        .BindBlob(submission.request_fingerprint)
        .BindText(inserted->id)
        .BindInt64(ToMicros(job.create_time));
    if (absl::Status s = insert->Execute(); !s.ok()) return s;
  }
  return SubmitResult{*std::move(inserted), /*created=*/true};
}

absl::StatusOr<Pipeline> UpdatePipelineOnce(SqliteConnection& db,
                                            const std::string& tenant,
                                            const std::string& id,
                                            const PipelineDecision& decide,
                                            ChangedRows& changes) {
  absl::StatusOr<std::optional<Pipeline>> found = FindPipeline(db, tenant, id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return PipelineNotFound(id);
  const Pipeline& current = **found;

  absl::StatusOr<Pipeline> decided = decide(current);
  if (!decided.ok()) return decided.status();
  if (decided->tenant != current.tenant) {
    return ImmutableFieldChanged("pipeline", id, "tenant");
  }
  if (decided->id != current.id) {
    return ImmutableFieldChanged("pipeline", id, "id");
  }
  if (decided->sequence != current.sequence) {
    return ImmutableFieldChanged("pipeline", id, "sequence");
  }
  if (decided->is_default != current.is_default) {
    return ImmutableFieldChanged("pipeline", id, "is_default");
  }
  // Before rounding to stored precision, which would make an infinite
  // duration look finite.
  if (absl::Status s = ValidatePipelineValues(*decided); !s.ok()) return s;
  Pipeline next = AtStoredPrecision(*std::move(decided));
  next.version = current.version;
  if (SameStoredPipeline(next, current)) return current;

  absl::StatusOr<SqliteStatement> update = db.Prepare(kUpdatePipeline);
  if (!update.ok()) return update.status();
  update->BindText(next.name)
      .BindInt64(static_cast<int>(next.state))
      .BindInt64(next.priority)
      .BindInt64(ToMicros(next.create_time))
      .BindInt64(ToMicros(next.update_time));
  BindPipelineLimits(*update, next);
  update->BindText(tenant).BindText(id).BindInt64(current.version);
  if (absl::Status s = update->Execute(); !s.ok()) return s;
  if (db.ChangedRows() != 1) {
    return absl::AbortedError(
        absl::StrCat("pipeline ", id, " changed concurrently; retry"));
  }
  next.version = current.version + 1;
  changes.pipelines.push_back(next);
  return next;
}

// Applies `decide` to `current` (the job as stored in this transaction) and
// writes the result as a compare-and-set on its version, recording the new
// version. Returns the job as stored afterwards; `current` itself when the
// decision changes nothing (nothing written).
absl::StatusOr<Job> ApplyJobDecision(SqliteConnection& db, const Job& current,
                                     const JobDecision& decide,
                                     ChangedRows& changes) {
  const std::string& id = current.id;
  absl::StatusOr<Job> decided = decide(current);
  if (!decided.ok()) return decided.status();
  if (decided->tenant != current.tenant) {
    return ImmutableFieldChanged("job", id, "tenant");
  }
  if (decided->id != current.id) {
    return ImmutableFieldChanged("job", id, "id");
  }
  if (decided->kind != current.kind) {
    return ImmutableFieldChanged("job", id, "kind");
  }
  if (decided->sequence != current.sequence) {
    return ImmutableFieldChanged("job", id, "sequence");
  }
  if (decided->pipeline_id != current.pipeline_id) {
    return ImmutableFieldChanged("job", id, "pipeline_id");
  }
  if (absl::Status s = ValidateJobValues(*decided); !s.ok()) return s;
  Job next = AtStoredPrecision(*std::move(decided));
  next.version = current.version;
  if (SameStoredJob(next, current)) return current;

  absl::StatusOr<SqliteStatement> update = db.Prepare(kUpdateJob);
  if (!update.ok()) return update.status();
  BindChangeableJobColumns(*update, next);
  update->BindInt64(current.sequence).BindInt64(current.version);
  if (absl::Status s = update->Execute(); !s.ok()) return s;
  if (db.ChangedRows() != 1) {
    return absl::AbortedError(
        absl::StrCat("job ", id, " changed concurrently; retry"));
  }
  next.version = current.version + 1;
  if (absl::Status s = RecordJobVersion(db, next); !s.ok()) return s;
  changes.jobs.push_back(next);
  return next;
}

absl::StatusOr<Job> UpdateJobOnce(SqliteConnection& db,
                                  const std::string& tenant,
                                  const std::string& id,
                                  const JobDecision& decide,
                                  ChangedRows& changes) {
  absl::StatusOr<std::optional<Job>> found = FindJob(db, tenant, id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return JobNotFoundError(id);
  return ApplyJobDecision(db, **found, decide, changes);
}

// The job LeaseNextJob would take now, or nullopt.
absl::StatusOr<std::optional<Job>> FindLeaseCandidate(SqliteConnection& db,
                                                      const std::string& tenant,
                                                      const LeaseQuery& query) {
  absl::StatusOr<SqliteStatement> select =
      db.Prepare(LeaseCandidateSql(JOBCONTROL_JOB_COLUMNS, query));
  if (!select.ok()) return select.status();
  BindLeaseCandidateQuery(*select, tenant, query);
  absl::StatusOr<bool> row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  absl::StatusOr<Job> job = ReadJob(*select);
  if (!job.ok()) return job.status();
  return *std::move(job);
}

absl::StatusOr<std::optional<Job>> LeaseNextJobOnce(SqliteConnection& db,
                                                    const std::string& tenant,
                                                    const LeaseQuery& query,
                                                    const JobDecision& decide,
                                                    ChangedRows& changes) {
  absl::StatusOr<std::optional<Job>> candidate =
      FindLeaseCandidate(db, tenant, query);
  if (!candidate.ok()) return candidate.status();
  if (!candidate->has_value()) return std::nullopt;
  absl::StatusOr<Job> leased =
      ApplyJobDecision(db, **candidate, decide, changes);
  if (!leased.ok()) return leased.status();
  return *std::move(leased);
}

absl::Status DeletePipelineOnce(SqliteConnection& db, const std::string& tenant,
                                const std::string& id) {
  absl::StatusOr<std::optional<Pipeline>> found = FindPipeline(db, tenant, id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return PipelineNotFound(id);
  if ((*found)->is_default) {
    return ErrorWithReason(
        absl::StatusCode::kFailedPrecondition, kReasonDefaultPipeline,
        absl::StrCat("pipeline ", id,
                     " is the tenant's default pipeline and cannot be "
                     "deleted"));
  }
  {
    absl::StatusOr<SqliteStatement> probe =
        db.Prepare(UnfinishedJobOfPipelineSql());
    if (!probe.ok()) return probe.status();
    probe->BindText(tenant).BindText(id).BindText(tenant).BindText(id);
    absl::StatusOr<bool> row = probe->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      return ErrorWithReason(
          absl::StatusCode::kFailedPrecondition, kReasonPipelineNotEmpty,
          absl::StrCat("pipeline ", id,
                       " still holds queued or running jobs; cancel them or "
                       "wait until they finish"));
    }
  }
  absl::StatusOr<SqliteStatement> remove = db.Prepare(kDeletePipeline);
  if (!remove.ok()) return remove.status();
  remove->BindText(tenant).BindText(id);
  return remove->Execute();
}

// Reads rows of `statement` (its columns in ReadJob's order) until done.
absl::StatusOr<std::vector<Job>> ReadJobs(SqliteStatement& statement) {
  std::vector<Job> jobs;
  for (;;) {
    absl::StatusOr<bool> row = statement.Step();
    if (!row.ok()) return row.status();
    if (!*row) return jobs;
    absl::StatusOr<Job> job = ReadJob(statement);
    if (!job.ok()) return job.status();
    jobs.push_back(*std::move(job));
  }
}

// The first column of the first row of `select` as a time; nullopt if
// there is no row.
absl::StatusOr<std::optional<absl::Time>> ReadFirstTime(
    SqliteStatement& select) {
  absl::StatusOr<bool> row = select.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  return FromMicros(select.ColumnInt64(0));
}

#undef JOBCONTROL_PIPELINE_COLUMNS

// Whether a committed change of `job` may make a job dispatchable for a
// waiting worker of its tenant: a job to lease (QUEUED), or a job that no
// longer holds a max_running_jobs slot (finished).
bool MayMakeDispatchable(const Job& job) {
  return job.state != JobState::kRunning && job.state != JobState::kCanceling;
}

}  // namespace

// --- SqliteStore ---

class SqliteStore::Impl : private SqliteGroupCommitWriter::GroupHooks {
 public:
  Impl(std::unique_ptr<SqliteGroupCommitWriter> writer,
       std::unique_ptr<SqliteReadPool> readers, size_t job_cache_capacity)
      : writer_(std::move(writer)),
        readers_(std::move(readers)),
        job_cache_(job_cache_capacity) {
    writer_->SetGroupHooks(this);
  }
  // Queued writes finish first; the readers close before the writer's
  // connection, so the last connection to close checkpoints the WAL.
  ~Impl() { writer_->Shutdown(); }

  int64_t CommitCount() const { return writer_->CommitCount(); }

  JobReadCache& job_cache() { return job_cache_; }

  SqliteLeaseWaits& lease_waits() { return lease_waits_; }

  // On the writer thread, inside an operation: the next group hook tries
  // every registered lease wait (RetryLeaseWaits).
  void RetryEveryLeaseWait() { retry_every_wait_ = true; }

  template <typename T>
  using WriteOperation =
      std::function<absl::StatusOr<T>(SqliteConnection&, ChangedRows&)>;

  // Runs `operation` as one write of a group commit; `done` gets its value
  // only if the transaction holding it committed (Store's *Async contract).
  // The rows it records in its ChangedRows are published to the listener
  // after that commit, before `done` runs.
  template <typename T>
  void WriteAsync(WriteOperation<T> operation,
                  std::function<void(absl::StatusOr<T>)> done) {
    struct InFlight {
      WriteOperation<T> operation;
      std::function<void(absl::StatusOr<T>)> done;
      std::optional<T> value;
      ChangedRows changes;
    };
    auto write = std::make_shared<InFlight>();
    write->operation = std::move(operation);
    write->done = std::move(done);
    writer_->Submit(
        [this, write](SqliteConnection& db) {
          // From scratch: the writer may run an operation again.
          write->value.reset();
          write->changes = ChangedRows{};
          absl::StatusOr<T> result = write->operation(db, write->changes);
          if (!result.ok()) return result.status();
          write->value = *std::move(result);
          NoteDispatchChanges(write->changes);
          return absl::OkStatus();
        },
        [this, write] { Publish(write->changes); },
        [write](absl::Status status) {
          if (status.ok()) {
            write->done(*std::move(write->value));
          } else {
            write->done(std::move(status));
          }
        });
  }

  // WriteAsync, waiting for the outcome.
  template <typename T>
  absl::StatusOr<T> Write(WriteOperation<T> operation) {
    std::promise<absl::StatusOr<T>> outcome;
    std::future<absl::StatusOr<T>> ready = outcome.get_future();
    WriteAsync<T>(std::move(operation), [&outcome](absl::StatusOr<T> result) {
      outcome.set_value(std::move(result));
    });
    return ready.get();
  }

  absl::Status WriteStatus(
      const std::function<absl::Status(SqliteConnection&)>& operation) {
    return writer_->Run(operation);
  }

  // Runs `read` on a pooled read-only connection.
  template <typename Read>
  auto WithReader(Read&& read) {
    SqliteReadPool::Lease lease = readers_->Acquire();
    return read(lease.connection());
  }

  void SetChangeListener(StoreChangeListener* listener) {
    std::lock_guard<std::mutex> lock(listener_mutex_);
    listener_ = listener;
  }

 private:
  // A lease made for a wait in this group, or the error of its attempt;
  // settled once the group's fate is known.
  struct WaitAttempt {
    std::shared_ptr<SqliteLeaseWaits::Wait> wait;
    absl::StatusOr<Job> outcome;
    ChangedRows changes;
  };

  // On the writer thread, for a successful operation. With no wait
  // registered there is nothing to note: a wait registered later in this
  // group looked after this operation, inside the same transaction.
  void NoteDispatchChanges(const ChangedRows& changes) {
    if (!lease_waits_.AnyWaiting()) return;
    for (const Pipeline& pipeline : changes.pipelines) {
      dispatch_changed_tenants_.insert(pipeline.tenant);
    }
    for (const Job& job : changes.jobs) {
      if (MayMakeDispatchable(job)) dispatch_changed_tenants_.insert(job.tenant);
    }
  }

  absl::Status BeforeCommit(SqliteConnection& db) override {
    if (!retry_every_wait_ && dispatch_changed_tenants_.empty()) {
      return absl::OkStatus();
    }
    std::vector<std::shared_ptr<SqliteLeaseWaits::Wait>> waits =
        lease_waits_.Waiting(retry_every_wait_ ? nullptr
                                               : &dispatch_changed_tenants_);
    retry_every_wait_ = false;
    dispatch_changed_tenants_.clear();
    const absl::Time now = CurrentTime();
    // Tenants with no dispatchable job at all: an unfiltered look found none.
    absl::flat_hash_set<std::string> drained;
    for (const std::shared_ptr<SqliteLeaseWaits::Wait>& wait : waits) {
      if (drained.contains(wait->tenant)) continue;
      if (!lease_waits_.BeginAttempt(wait)) continue;  // ended meanwhile
      absl::Status status = TryLeaseWait(db, wait, now, drained);
      if (!status.ok()) {
        lease_waits_.ReturnToWaiting(wait);
        return status;
      }
    }
    return absl::OkStatus();
  }

  // One wait in `trying`: leases for it inside its own savepoint. A lease or
  // an error of its decision becomes a WaitAttempt; nothing found returns it
  // to waiting. A non-OK status means the transaction cannot go on (the
  // caller returns the wait to waiting).
  absl::Status TryLeaseWait(SqliteConnection& db,
                            const std::shared_ptr<SqliteLeaseWaits::Wait>& wait,
                            absl::Time now,
                            absl::flat_hash_set<std::string>& drained) {
    LeaseQuery query = wait->query;
    query.now = now;
    ChangedRows changes;
    std::optional<Job> leased;
    absl::Status result;
    if (absl::Status s = SqliteGroupCommitWriter::RunInSavepoint(
            db,
            [&](SqliteConnection& connection) -> absl::Status {
              absl::StatusOr<std::optional<Job>> found = LeaseNextJobOnce(
                  connection, wait->tenant, query,
                  [&](const Job& current) {
                    return wait->decide(current, now);
                  },
                  changes);
              if (!found.ok()) return found.status();
              leased = *std::move(found);
              return absl::OkStatus();
            },
            result);
        !s.ok()) {
      return s;
    }
    if (!result.ok()) {
      attempts_.push_back({wait, result, {}});
    } else if (leased.has_value()) {
      attempts_.push_back({wait, *std::move(leased), std::move(changes)});
    } else {
      if (query.kinds.empty() && query.pipeline_ids.empty()) {
        drained.insert(wait->tenant);
      }
      lease_waits_.ReturnToWaiting(wait);
    }
    return absl::OkStatus();
  }

  // Settles this group's attempts before the group's operations publish
  // (and so wake the long-polls): a woken LeaseJob finds its outcome.
  void AfterGroup(bool committed) override {
    if (!committed) {
      // The group's changes are gone; so is what they made dispatchable.
      dispatch_changed_tenants_.clear();
      retry_every_wait_ = false;
    }
    for (WaitAttempt& attempt : attempts_) {
      if (!committed) {
        attempt.outcome = ErrorWithReason(
            absl::StatusCode::kUnavailable, kReasonStoreUnavailable,
            "the transaction holding the lease was not committed");
      }
      lease_waits_.Settle(attempt.wait, std::move(attempt.outcome));
      if (committed) Publish(attempt.changes);
    }
    attempts_.clear();
  }

  // On the writer thread, after the commit, before its callers return. The
  // job cache first: a watcher the listener wakes may GetJob at once.
  // Holding the mutex across the listener calls is what lets
  // SetChangeListener promise that the listener it replaced is no longer
  // being called once it returns.
  void Publish(const ChangedRows& changes) {
    if (changes.jobs.empty() && changes.pipelines.empty()) return;
    for (const Job& job : changes.jobs) job_cache_.ApplyCommitted(job);
    std::lock_guard<std::mutex> lock(listener_mutex_);
    if (listener_ == nullptr) return;
    for (const Pipeline& pipeline : changes.pipelines) {
      listener_->OnPipelineChanged(pipeline);
    }
    for (const Job& job : changes.jobs) listener_->OnJobChanged(job);
  }

  const std::unique_ptr<SqliteGroupCommitWriter> writer_;
  const std::unique_ptr<SqliteReadPool> readers_;
  JobReadCache job_cache_;
  SqliteLeaseWaits lease_waits_;
  // Writer thread only: what the current group may have made dispatchable,
  // and the group's lease attempts.
  absl::flat_hash_set<std::string> dispatch_changed_tenants_;
  bool retry_every_wait_ = false;
  std::vector<WaitAttempt> attempts_;
  std::mutex listener_mutex_;
  StoreChangeListener* listener_ = nullptr;  // guarded by listener_mutex_
};

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(
    const SqliteStoreOptions& options) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("SqliteStoreOptions.path is empty");
  }
  absl::StatusOr<std::unique_ptr<SqliteConnection>> write_connection =
      SqliteConnection::Open(options.path,
                             SqliteConnection::Access::kReadWrite);
  if (!write_connection.ok()) return write_connection.status();
  if (absl::Status s = ConfigureSqliteWriter(**write_connection); !s.ok()) {
    return NamingDatabase(options.path, s);
  }
  if (absl::Status s = MigrateSqliteSchema(**write_connection); !s.ok()) {
    return NamingDatabase(options.path, s);
  }
  absl::StatusOr<std::unique_ptr<SqliteReadPool>> readers =
      SqliteReadPool::Open(options.path, options.read_connections);
  if (!readers.ok()) return NamingDatabase(options.path, readers.status());
  auto writer = std::make_unique<SqliteGroupCommitWriter>(
      *std::move(write_connection), options.max_group_size);
  return std::unique_ptr<SqliteStore>(new SqliteStore(
      std::make_unique<Impl>(std::move(writer), *std::move(readers),
                             options.job_cache_capacity)));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() = default;

int64_t SqliteStore::CommitCount() const { return impl_->CommitCount(); }

absl::StatusOr<Pipeline> SqliteStore::CreatePipeline(const Pipeline& pipeline) {
  return impl_->Write<Pipeline>(
      [&](SqliteConnection& db, ChangedRows& changes) {
        return InsertPipeline(db, pipeline, changes);
      });
}

absl::StatusOr<Pipeline> SqliteStore::GetPipeline(const std::string& tenant,
                                                  const std::string& id) {
  absl::StatusOr<std::optional<Pipeline>> found = impl_->WithReader(
      [&](SqliteConnection& db) { return FindPipeline(db, tenant, id); });
  if (!found.ok()) return found.status();
  if (!found->has_value()) return PipelineNotFound(id);
  return **std::move(found);
}

absl::StatusOr<Pipeline> SqliteStore::GetOrCreateDefaultPipeline(
    const std::string& tenant, absl::Time now) {
  // Almost always it exists: answer from a reader without a write.
  absl::StatusOr<std::optional<Pipeline>> found = impl_->WithReader(
      [&](SqliteConnection& db) { return FindDefaultPipeline(db, tenant); });
  if (!found.ok()) return found.status();
  if (found->has_value()) return **std::move(found);
  // Look again inside the write transaction: a concurrent caller may have
  // created it since; the single writer makes find-or-create atomic.
  return impl_->Write<Pipeline>(
      [&](SqliteConnection& db, ChangedRows& changes) {
        return FindOrCreateDefaultPipeline(db, tenant, now, changes);
      });
}

absl::StatusOr<PipelinePage> SqliteStore::ListPipelines(
    const std::string& tenant, const PipelineQuery& query) {
  if (absl::Status s = ValidateLimit(query.limit); !s.ok()) return s;
  return impl_->WithReader(
      [&](SqliteConnection& db) -> absl::StatusOr<PipelinePage> {
        absl::StatusOr<SqliteStatement> select =
            db.Prepare(kSelectPipelinePage);
        if (!select.ok()) return select.status();
        select->BindText(tenant)
            .BindInt64(query.after_sequence)
            .BindInt64(static_cast<int64_t>(query.limit) + 1);
        PipelinePage page;
        for (;;) {
          absl::StatusOr<bool> row = select->Step();
          if (!row.ok()) return row.status();
          if (!*row) break;
          if (page.pipelines.size() == static_cast<size_t>(query.limit)) {
            page.has_more = true;
            break;
          }
          absl::StatusOr<Pipeline> pipeline = ReadPipeline(*select);
          if (!pipeline.ok()) return pipeline.status();
          page.pipelines.push_back(*std::move(pipeline));
        }
        return page;
      });
}

absl::StatusOr<Pipeline> SqliteStore::UpdatePipeline(
    const std::string& tenant, const std::string& id,
    const PipelineDecision& decide) {
  return impl_->Write<Pipeline>(
      [&](SqliteConnection& db, ChangedRows& changes) {
        return UpdatePipelineOnce(db, tenant, id, decide, changes);
      });
}

absl::Status SqliteStore::DeletePipeline(const std::string& tenant,
                                         const std::string& id) {
  return impl_->WriteStatus(
      [&](SqliteConnection& db) { return DeletePipelineOnce(db, tenant, id); });
}

absl::StatusOr<SubmitResult> SqliteStore::SubmitJob(
    const JobSubmission& submission) {
  return impl_->Write<SubmitResult>(
      [&](SqliteConnection& db, ChangedRows& changes) {
        return SubmitJobOnce(db, submission, changes);
      });
}

void SqliteStore::SubmitJobAsync(JobSubmission submission,
                                 SubmitJobDone done) {
  impl_->WriteAsync<SubmitResult>(
      [submission = std::move(submission)](SqliteConnection& db,
                                           ChangedRows& changes) {
        return SubmitJobOnce(db, submission, changes);
      },
      std::move(done));
}

absl::StatusOr<Job> SqliteStore::GetJob(const std::string& tenant,
                                        const std::string& id) {
  if (std::optional<Job> cached = impl_->job_cache().Find(tenant, id)) {
    return *std::move(cached);
  }
  JobReadCache::Fill fill = impl_->job_cache().BeginFill(tenant, id);
  absl::StatusOr<std::optional<Job>> found = impl_->WithReader(
      [&](SqliteConnection& db) { return FindJob(db, tenant, id); });
  if (!found.ok()) return found.status();
  if (!found->has_value()) return JobNotFoundError(id);
  fill.Complete(**found);
  return **std::move(found);
}

absl::StatusOr<JobPage> SqliteStore::ListJobs(const std::string& tenant,
                                              const JobQuery& query) {
  if (absl::Status s = ValidateLimit(query.limit); !s.ok()) return s;
  return impl_->WithReader(
      [&](SqliteConnection& db) -> absl::StatusOr<JobPage> {
        absl::StatusOr<SqliteStatement> select =
            db.Prepare(ListJobsSql(JOBCONTROL_JOB_COLUMNS, query));
        if (!select.ok()) return select.status();
        BindListJobsQuery(*select, tenant, query);
        JobPage page;
        for (;;) {
          absl::StatusOr<bool> row = select->Step();
          if (!row.ok()) return row.status();
          if (!*row) break;
          if (page.jobs.size() == static_cast<size_t>(query.limit)) {
            page.has_more = true;
            break;
          }
          absl::StatusOr<Job> job = ReadJob(*select);
          if (!job.ok()) return job.status();
          page.jobs.push_back(*std::move(job));
        }
        return page;
      });
}

absl::StatusOr<Job> SqliteStore::UpdateJob(const std::string& tenant,
                                           const std::string& id,
                                           const JobDecision& decide) {
  return impl_->Write<Job>([&](SqliteConnection& db, ChangedRows& changes) {
    return UpdateJobOnce(db, tenant, id, decide, changes);
  });
}

void SqliteStore::UpdateJobAsync(std::string tenant, std::string id,
                                 JobDecision decide, UpdateJobDone done) {
  impl_->WriteAsync<Job>(
      [tenant = std::move(tenant), id = std::move(id),
       decide = std::move(decide)](SqliteConnection& db,
                                   ChangedRows& changes) {
        return UpdateJobOnce(db, tenant, id, decide, changes);
      },
      std::move(done));
}

absl::StatusOr<std::optional<Job>> SqliteStore::LeaseNextJob(
    const std::string& tenant, const LeaseQuery& query,
    const JobDecision& decide) {
  if (absl::Status s = ValidateLeaseQuery(query); !s.ok()) return s;
  return impl_->Write<std::optional<Job>>(
      [&](SqliteConnection& db, ChangedRows& changes) {
        return LeaseNextJobOnce(db, tenant, query, decide, changes);
      });
}

absl::StatusOr<LeaseOrWait> SqliteStore::LeaseNextJobOrWait(
    const std::string& tenant, const LeaseQuery& query,
    const JobDecisionAt& decide) {
  if (absl::Status s = ValidateLeaseQuery(query); !s.ok()) return s;
  return impl_->Write<LeaseOrWait>(
      [&](SqliteConnection& db,
          ChangedRows& changes) -> absl::StatusOr<LeaseOrWait> {
        absl::StatusOr<std::optional<Job>> leased = LeaseNextJobOnce(
            db, tenant, query,
            [&](const Job& current) { return decide(current, query.now); },
            changes);
        if (!leased.ok()) return leased.status();
        LeaseOrWait found;
        if (leased->has_value()) {
          found.job = **std::move(leased);
        } else {
          // Inside the transaction of the look: every later group sees it.
          found.wait = impl_->lease_waits().Register(tenant, query, decide);
        }
        return found;
      });
}

absl::Status SqliteStore::RetryLeaseWaits() {
  return impl_->WriteStatus([this](SqliteConnection&) {
    impl_->RetryEveryLeaseWait();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<Job>> SqliteStore::ListExpiredLeases(absl::Time now,
                                                                int limit) {
  if (absl::Status s = ValidateLimit(limit); !s.ok()) return s;
  return impl_->WithReader(
      [&](SqliteConnection& db) -> absl::StatusOr<std::vector<Job>> {
        absl::StatusOr<SqliteStatement> select =
            db.Prepare(ListExpiredLeasesSql(JOBCONTROL_JOB_COLUMNS));
        if (!select.ok()) return select.status();
        select->BindInt64(ToMicros(now)).BindInt64(limit);
        return ReadJobs(*select);
      });
}

absl::StatusOr<std::optional<absl::Time>> SqliteStore::NextDueTime(
    absl::Time now) {
  return impl_->WithReader([&](SqliteConnection& db)
                               -> absl::StatusOr<std::optional<absl::Time>> {
    // Each probe reads the first row of a partial index.
    absl::StatusOr<SqliteStatement> lease = db.Prepare(NextLeaseExpirySql());
    if (!lease.ok()) return lease.status();
    absl::StatusOr<std::optional<absl::Time>> expiry = ReadFirstTime(*lease);
    if (!expiry.ok()) return expiry.status();
    absl::StatusOr<SqliteStatement> attempt = db.Prepare(NextAttemptAfterSql());
    if (!attempt.ok()) return attempt.status();
    attempt->BindInt64(ToMicros(now));
    absl::StatusOr<std::optional<absl::Time>> retry = ReadFirstTime(*attempt);
    if (!retry.ok()) return retry.status();
    if (!expiry->has_value()) return *retry;
    if (!retry->has_value()) return *expiry;
    return std::min(**expiry, **retry);
  });
}

absl::StatusOr<std::vector<Job>> SqliteStore::ListJobVersions(
    const std::string& tenant, const std::string& id, int64_t after_version,
    int limit) {
  if (absl::Status s = ValidateLimit(limit); !s.ok()) return s;
  return impl_->WithReader(
      [&](SqliteConnection& db) -> absl::StatusOr<std::vector<Job>> {
        absl::StatusOr<std::vector<Job>> versions;
        {
          absl::StatusOr<SqliteStatement> select =
              db.Prepare(kSelectJobVersions);
          if (!select.ok()) return select.status();
          select->BindText(tenant)
              .BindText(id)
              .BindInt64(after_version)
              .BindInt64(limit);
          versions = ReadJobs(*select);
        }
        if (!versions.ok() || !versions->empty()) return versions;
        // No newer version: tell a job without one from a missing job (jobs
        // are never deleted, so a job with versions exists).
        absl::StatusOr<std::optional<Job>> job = FindJob(db, tenant, id);
        if (!job.ok()) return job.status();
        if (!job->has_value()) return JobNotFoundError(id);
        return versions;
      });
}

void SqliteStore::SetChangeListener(StoreChangeListener* listener) {
  impl_->SetChangeListener(listener);
}

}  // namespace jobcontrol

#undef JOBCONTROL_JOB_COLUMNS
#undef JOBCONTROL_JOB_ROW_COLUMNS
