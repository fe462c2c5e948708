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

constexpr const char* kMigrations[] = {kMigrationToVersion1};
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

absl::Status MigrateInTransaction(SqliteConnection& connection) {
  absl::StatusOr<int64_t> version = ReadUserVersion(connection);
  if (!version.ok()) return version.status();
  if (*version > kSqliteSchemaVersion || *version < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "SQLite database \"", connection.path(), "\" has schema version ",
        *version, "; this binary knows versions up to ", kSqliteSchemaVersion,
        ": use a newer jobcontrold"));
  }
  for (int64_t step = *version; step < kSqliteSchemaVersion; ++step) {
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
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
}

absl::Status MigrateSqliteSchema(SqliteConnection& connection) {
  if (absl::Status s = connection.ExecuteScript("BEGIN IMMEDIATE"); !s.ok()) {
    return s;
  }
  absl::Status migrated = MigrateInTransaction(connection);
  if (!migrated.ok()) {
    if (connection.InTransaction()) {
      connection.ExecuteScript("ROLLBACK").IgnoreError();
    }
    return migrated;
  }
  return connection.ExecuteScript("COMMIT");
}

}  // namespace jobcontrol
