// The SQLite schema of the store and its migrations.
//
// The schema version lives in PRAGMA user_version. Migration N (0-based)
// takes a database from version N to N+1; MigrateSqliteSchema runs the
// missing ones in one transaction, so a database is either fully at the new
// version or untouched. A database newer than this binary is refused.
//
// Layout (version 1); times are int64 microseconds since the Unix epoch:
// - pipelines: one row per pipeline, UNIQUE (tenant, id); at most one row
//   per tenant with is_default = 1 (partial unique index).
// - jobs: one row per job, UNIQUE (tenant, id). pipeline_id is deliberately
//   not a foreign key: a pipeline whose jobs are all terminal may be deleted
//   and those jobs stay readable with their pipeline_id.
// - submit_requests: idempotency keys of SubmitJob, PRIMARY KEY
//   (tenant, request_id), with a foreign key to the job they created.
// `sequence` is INTEGER PRIMARY KEY AUTOINCREMENT in both resource tables:
// increasing and never reused, even after deletes, so keyset pagination
// neither repeats nor skips rows while others are inserted.
//
// Version 2 adds: pipelines.max_running_jobs and the RetryPolicy columns
// (retry_max_attempts, retry_initial_backoff_us, retry_max_backoff_us,
// lease_duration_us); jobs.max_attempts, lease_id, worker_id,
// lease_expire_time_us, next_attempt_time_us; partial indexes for dispatch
// and lease expiry; and job_versions: the job's row as of each committed
// version, PRIMARY KEY (tenant, id, version), same column names as jobs.
// Version 3 drops jobs_unfinished_by_pipeline (the two dispatch partial
// indexes answer its probe) and narrows the backoff index to the QUEUED jobs
// that have a next_attempt_time_us (jobs_backoff_by_next_attempt).
#ifndef JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_SCHEMA_H_
#define JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_SCHEMA_H_

#include "absl/status/status.h"
#include "server/store/sqlite/sqlite_connection.h"

namespace jobcontrol {

// The version MigrateSqliteSchema brings a database to.
inline constexpr int kSqliteSchemaVersion = 3;

// Sets the connection's pragmas for the writer: WAL journal,
// synchronous=FULL (a commit is on disk when it returns), foreign keys on.
// Must run outside a transaction.
absl::Status ConfigureSqliteWriter(SqliteConnection& connection);

// Creates or upgrades the schema to kSqliteSchemaVersion, in one
// BEGIN IMMEDIATE transaction. FAILED_PRECONDITION if the database has a
// newer version than this binary knows.
absl::Status MigrateSqliteSchema(SqliteConnection& connection);

// The same, stopping at `target_version` (<= kSqliteSchemaVersion): how
// tests build a database as an older binary left it.
absl::Status MigrateSqliteSchemaTo(SqliteConnection& connection,
                                   int target_version);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_SCHEMA_H_
