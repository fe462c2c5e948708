#include "server/store/sqlite/sqlite_schema.h"

#include "absl/strings/str_cat.h"
#include "server/core/error_reason.h"

namespace jobcontrol {
namespace {

// Version 0 -> 1: the initial schema. IF NOT EXISTS keeps it harmless on a
// database someone created by hand with part of it.
constexpr char kMigrationToVersion1[] = R"sql(
CREATE TABLE IF NOT EXISTS pipelines (
  sequence       INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant         TEXT    NOT NULL,
  id             TEXT    NOT NULL,
  name           TEXT    NOT NULL,
  state          INTEGER NOT NULL,
  priority       INTEGER NOT NULL,
  is_default     INTEGER NOT NULL CHECK (is_default IN (0, 1)),
  create_time_us INTEGER NOT NULL,
  update_time_us INTEGER NOT NULL,
  version        INTEGER NOT NULL,
  UNIQUE (tenant, id)
);
-- At most one default pipeline per tenant, enforced by the database.
CREATE UNIQUE INDEX IF NOT EXISTS pipelines_default_per_tenant
  ON pipelines (tenant) WHERE is_default = 1;
-- ListPipelines: one tenant's pipelines in sequence order.
CREATE INDEX IF NOT EXISTS pipelines_by_tenant
  ON pipelines (tenant, sequence);

CREATE TABLE IF NOT EXISTS jobs (
  sequence       INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant         TEXT    NOT NULL,
  id             TEXT    NOT NULL,
  state          INTEGER NOT NULL,
  kind           INTEGER NOT NULL,
  spec           BLOB    NOT NULL,
  pipeline_id    TEXT    NOT NULL,
  priority       INTEGER NOT NULL,
  user_data      BLOB    NOT NULL,
  create_time_us INTEGER NOT NULL,
  start_time_us  INTEGER,            -- NULL: not started
  end_time_us    INTEGER,            -- NULL: not ended
  update_time_us INTEGER NOT NULL,
  attempt_count  INTEGER NOT NULL,
  result         BLOB    NOT NULL,
  error_code     INTEGER,            -- NULL: no error
  error_message  TEXT,
  version        INTEGER NOT NULL,
  UNIQUE (tenant, id)
);
-- ListJobs pages, newest first, without and with a state or pipeline filter.
CREATE INDEX IF NOT EXISTS jobs_by_tenant
  ON jobs (tenant, sequence);
CREATE INDEX IF NOT EXISTS jobs_by_tenant_state
  ON jobs (tenant, state, sequence);
CREATE INDEX IF NOT EXISTS jobs_by_tenant_pipeline
  ON jobs (tenant, pipeline_id, sequence);
-- DeletePipeline's "any unfinished job?" probe: only QUEUED (1), RUNNING (2)
-- and CANCELING (3) rows are indexed, so the probe is one index lookup no
-- matter how many finished jobs a pipeline holds. The query must spell the
-- condition exactly like this for SQLite to use the index.
CREATE INDEX IF NOT EXISTS jobs_unfinished_by_pipeline
  ON jobs (tenant, pipeline_id) WHERE state IN (1, 2, 3);

CREATE TABLE IF NOT EXISTS submit_requests (
  tenant              TEXT    NOT NULL,
  request_id          TEXT    NOT NULL,
  request_fingerprint BLOB    NOT NULL,
  job_id              TEXT    NOT NULL,
  create_time_us      INTEGER NOT NULL,
  PRIMARY KEY (tenant, request_id),
  FOREIGN KEY (tenant, job_id) REFERENCES jobs (tenant, id)
) WITHOUT ROWID;
)sql";

// Version 1 -> 2: dispatch, leases, retries and job history (issue 3).
// ADD COLUMN with defaults upgrades a version 1 database in place: existing
// pipelines get the default RetryPolicy (server/core/retry_policy.h; the
// test checks the literals match it) and no running-job limit, existing
// jobs 3 attempts and no lease or backoff. Every existing job's current row
// becomes its first recorded version (earlier versions were never kept).
constexpr char kMigrationToVersion2[] = R"sql(
ALTER TABLE pipelines ADD COLUMN max_running_jobs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pipelines ADD COLUMN retry_max_attempts INTEGER NOT NULL
  DEFAULT 3;
ALTER TABLE pipelines ADD COLUMN retry_initial_backoff_us INTEGER NOT NULL
  DEFAULT 1000000;
ALTER TABLE pipelines ADD COLUMN retry_max_backoff_us INTEGER NOT NULL
  DEFAULT 300000000;
ALTER TABLE pipelines ADD COLUMN lease_duration_us INTEGER NOT NULL
  DEFAULT 30000000;

ALTER TABLE jobs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 3;
ALTER TABLE jobs ADD COLUMN lease_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN worker_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lease_expire_time_us INTEGER;  -- NULL: no lease
ALTER TABLE jobs ADD COLUMN next_attempt_time_us INTEGER;  -- NULL: at once

-- LeaseNextJob's pick within one pipeline: its QUEUED jobs in dispatch
-- order, so the first eligible row is the pick and nothing is sorted.
CREATE INDEX jobs_queued_by_pipeline
  ON jobs (tenant, pipeline_id, priority DESC, sequence) WHERE state = 1;
-- LeaseNextJob's max_running_jobs check counts only RUNNING (2) and
-- CANCELING (3) rows of the pipeline.
CREATE INDEX jobs_running_by_pipeline
  ON jobs (tenant, pipeline_id) WHERE state IN (2, 3);
-- ListExpiredLeases and NextDueTime, across tenants.
CREATE INDEX jobs_leased_by_expiry
  ON jobs (lease_expire_time_us) WHERE state IN (2, 3);
CREATE INDEX jobs_queued_by_next_attempt
  ON jobs (next_attempt_time_us) WHERE state = 1;

-- Every committed version of every job, with the same column names as jobs
-- (`sequence` is the job's). Written in the transaction of the change.
CREATE TABLE job_versions (
  tenant               TEXT    NOT NULL,
  id                   TEXT    NOT NULL,
  version              INTEGER NOT NULL,
  sequence             INTEGER NOT NULL,
  state                INTEGER NOT NULL,
  kind                 INTEGER NOT NULL,
  spec                 BLOB    NOT NULL,
  pipeline_id          TEXT    NOT NULL,
  priority             INTEGER NOT NULL,
  user_data            BLOB    NOT NULL,
  create_time_us       INTEGER NOT NULL,
  start_time_us        INTEGER,
  end_time_us          INTEGER,
  update_time_us       INTEGER NOT NULL,
  attempt_count        INTEGER NOT NULL,
  result               BLOB    NOT NULL,
  error_code           INTEGER,
  error_message        TEXT,
  max_attempts         INTEGER NOT NULL,
  lease_id             TEXT    NOT NULL,
  worker_id            TEXT    NOT NULL,
  lease_expire_time_us INTEGER,
  next_attempt_time_us INTEGER,
  PRIMARY KEY (tenant, id, version)
);
INSERT INTO job_versions
  SELECT tenant, id, version, sequence, state, kind, spec, pipeline_id,
         priority, user_data, create_time_us, start_time_us, end_time_us,
         update_time_us, attempt_count, result, error_code, error_message,
         max_attempts, lease_id, worker_id, lease_expire_time_us,
         next_attempt_time_us
  FROM jobs;
)sql";

// Version 2 -> 3: two fewer index entries for every job written (issue 5:
// each index is one more b-tree insert per SubmitJob, one more delete per
// state change).
// - DeletePipeline's "any unfinished job?" probe asks the two partial
//   indexes that exist anyway (jobs_queued_by_pipeline, state 1, and
//   jobs_running_by_pipeline, states 2 and 3): jobs_unfinished_by_pipeline
//   duplicated them.
// - Only a QUEUED job waiting out a retry backoff has next_attempt_time_us;
//   NextDueTime asks "next_attempt_time_us > ?", which implies NOT NULL, so
//   the index keeps those jobs only, not every queued one.
constexpr char kMigrationToVersion3[] = R"sql(
DROP INDEX IF EXISTS jobs_unfinished_by_pipeline;
DROP INDEX IF EXISTS jobs_queued_by_next_attempt;
CREATE INDEX jobs_backoff_by_next_attempt
  ON jobs (next_attempt_time_us)
  WHERE state = 1 AND next_attempt_time_us IS NOT NULL;
)sql";

constexpr const char* kMigrations[] = {
    kMigrationToVersion1, kMigrationToVersion2, kMigrationToVersion3};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) ==
                  kSqliteSchemaVersion,
              "one migration per schema version");

absl::StatusOr<int64_t> ReadUserVersion(SqliteConnection& connection) {
  absl::StatusOr<SqliteStatement> statement =
      connection.Prepare("PRAGMA user_version");
  if (!statement.ok()) return statement.status();
  absl::StatusOr<bool> row = statement->Step();
  if (!row.ok()) return row.status();
  return *row ? statement->ColumnInt64(0) : 0;
}

absl::Status MigrateInTransaction(SqliteConnection& connection,
                                  int target_version) {
  absl::StatusOr<int64_t> version = ReadUserVersion(connection);
  if (!version.ok()) return version.status();
  if (*version > kSqliteSchemaVersion || *version < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SQLite database \"", connection.path(), "\" has schema version ",
        *version, "; this binary knows versions up to ", kSqliteSchemaVersion,
        ": use a newer jobcontrold"));
  }
  for (int64_t step = *version; step < target_version; ++step) {
    if (absl::Status s = connection.ExecuteScript(kMigrations[step]); !s.ok()) {
      return s;
    }
    // PRAGMA takes no bound parameters; the value is our own integer.
    const std::string set_version =
        absl::StrCat("PRAGMA user_version = ", step + 1);
    if (absl::Status s = connection.ExecuteScript(set_version.c_str());
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ConfigureSqliteWriter(SqliteConnection& connection) {
  {
    // journal_mode answers with the mode now in effect; a file system that
    // cannot do WAL (no shared memory) answers something else.
    absl::StatusOr<SqliteStatement> statement =
        connection.Prepare("PRAGMA journal_mode = WAL");
    if (!statement.ok()) return statement.status();
    absl::StatusOr<bool> row = statement->Step();
    if (!row.ok()) return row.status();
    const std::string mode = *row ? statement->ColumnText(0) : "";
    if (mode != "wal") {
      return ErrorWithReason(
          absl::StatusCode::kUnavailable, kReasonStoreUnavailable,
          absl::StrCat("SQLite database \"", connection.path(),
                       "\" cannot use WAL journal mode (got \"", mode, "\")"));
    }
  }
  return connection.ExecuteScript(
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; "
      "PRAGMA temp_store = MEMORY;");
}

absl::Status MigrateSqliteSchema(SqliteConnection& connection) {
  return MigrateSqliteSchemaTo(connection, kSqliteSchemaVersion);
}

absl::Status MigrateSqliteSchemaTo(SqliteConnection& connection,
                                   int target_version) {
  if (target_version < 0 || target_version > kSqliteSchemaVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("no SQLite schema version ", target_version));
  }
  if (absl::Status s = connection.ExecuteScript("BEGIN IMMEDIATE"); !s.ok()) {
    return s;
  }
  absl::Status migrated = MigrateInTransaction(connection, target_version);
  if (!migrated.ok()) {
    if (connection.InTransaction()) {
      connection.ExecuteScript("ROLLBACK").IgnoreError();
    }
    return migrated;
  }
  return connection.ExecuteScript("COMMIT");
}

}  // namespace jobcontrol
