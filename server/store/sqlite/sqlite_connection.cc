#include "server/store/sqlite/sqlite_connection.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/core/error_reason.h"
#include "server/store/sqlite/sqlite_wal_write_coalescing_vfs.h"

namespace jobcontrol {
namespace {

// sqlite3_bind_blob/text treat a null pointer as SQL NULL; an empty
// string_view may carry one, but an empty value must stay a value.
const char* NonNullData(absl::string_view value) {
  return value.data() == nullptr ? "" : value.data();
}

// Why a database file in `path`'s directory cannot be created, in words an
// operator can act on; empty if the directory looks usable.
std::string DiagnoseDirectory(const std::string& path) {
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  struct stat info;
  if (stat(directory.c_str(), &info) != 0) {
    return absl::StrCat("directory \"", directory,
                        "\" cannot be used: ", std::strerror(errno));
  }
  if (!S_ISDIR(info.st_mode)) {
    return absl::StrCat("\"", directory, "\" is not a directory");
  }
  if (access(directory.c_str(), W_OK | X_OK) != 0) {
    return absl::StrCat("directory \"", directory,
                        "\" is not writable: ", std::strerror(errno));
  }
  return std::string();
}

}  // namespace

absl::Status SqliteErrorStatus(int rc, absl::string_view context,
                               absl::string_view sqlite_message) {
  const std::string message =
      absl::StrCat("sqlite: ", context, ": ", sqlite_message, " (",
                   sqlite3_errstr(rc), ", code ", rc, ")");
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return absl::AlreadyExistsError(message);
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:  // a CHECK / NOT NULL / FOREIGN KEY the code broke
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_ERROR:  // SQL error: a bug in a statement of ours
      return absl::InternalError(message);
    case SQLITE_BUSY:
      // Connections open the file with the unix-excl VFS (see Open): only
      // another process can hold it.
      return ErrorWithReason(
          absl::StatusCode::kUnavailable, kReasonStoreUnavailable,
          absl::StrCat(message,
                       ": another process holds the database (jobcontrold "
                       "keeps it exclusively while it runs; is another "
                       "jobcontrold using the same --data_dir?)"));
    default:
      // LOCKED, FULL, IOERR, CORRUPT, NOTADB, CANTOPEN, READONLY, NOMEM,
      // ...: the database cannot be used right now.
      return ErrorWithReason(absl::StatusCode::kUnavailable,
                             kReasonStoreUnavailable, message);
  }
}

// --- SqliteStatement ---

SqliteStatement::SqliteStatement(const SqliteConnection* connection,
                                 sqlite3_stmt* statement, bool* in_use)
    : connection_(connection), statement_(statement), in_use_(in_use) {}

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : connection_(other.connection_),
      statement_(std::exchange(other.statement_, nullptr)),
      in_use_(other.in_use_),
      next_parameter_(other.next_parameter_),
      bind_error_(other.bind_error_) {}

SqliteStatement::~SqliteStatement() {
  if (statement_ == nullptr) return;
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
  *in_use_ = false;
}

SqliteStatement& SqliteStatement::BindInt64(int64_t value) {
  int rc = sqlite3_bind_int64(statement_, next_parameter_++, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

SqliteStatement& SqliteStatement::BindText(absl::string_view value) {
  int rc =
      sqlite3_bind_text64(statement_, next_parameter_++, NonNullData(value),
                          value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

SqliteStatement& SqliteStatement::BindBlob(absl::string_view value) {
  int rc =
      sqlite3_bind_blob64(statement_, next_parameter_++, NonNullData(value),
                          value.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

SqliteStatement& SqliteStatement::BindNull() {
  int rc = sqlite3_bind_null(statement_, next_parameter_++);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

absl::StatusOr<bool> SqliteStatement::Step() {
  if (bind_error_ != 0) {
    return connection_->Error(bind_error_, "binding a parameter");
  }
  int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return connection_->Error(rc, sqlite3_sql(statement_));
}

absl::Status SqliteStatement::Execute() {
  absl::StatusOr<bool> row = Step();
  if (!row.ok()) return row.status();
  if (*row) {
    return absl::InternalError(absl::StrCat(
        "sqlite: statement returned a row: ", sqlite3_sql(statement_)));
  }
  return absl::OkStatus();
}

bool SqliteStatement::ColumnIsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

int64_t SqliteStatement::ColumnInt64(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string SqliteStatement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_, column);
  int size = sqlite3_column_bytes(statement_, column);
  if (text == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(text), size);
}

std::string SqliteStatement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(statement_, column);
  int size = sqlite3_column_bytes(statement_, column);
  if (blob == nullptr) return std::string();
  return std::string(static_cast<const char*>(blob), size);
}

namespace {

// Process-wide SQLite settings, applied before SQLite initializes (it
// refuses them afterwards; then they are left as they are). No memory
// statistics: with them on, every SQLite allocation and free takes one
// global mutex that all connections share (3.5% of the daemon's CPU under
// SubmitJob load, 1.2% without; bench/README.md). Nothing reads them.
void ConfigureSqliteLibraryOnce() {
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
}

}  // namespace

// --- SqliteConnection ---

absl::StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path, Access access) {
  ConfigureSqliteLibraryOnce();
  const int flags =
      (access == Access::kReadWrite ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                    : SQLITE_OPEN_READONLY) |
      SQLITE_OPEN_NOMUTEX;
  sqlite3* db = nullptr;
  // unix-excl: the process holds an exclusive lock on the file while it has
  // it open (its connections share it), so SQLite no longer takes and drops
  // the file's locks (fcntl) around every transaction: measured GetJob
  // throughput +15% or more. A second process, such as another jobcontrold
  // on the same --data_dir, cannot open the database meanwhile.
  // A read-write connection writes the WAL through a wrapper of unix-excl
  // that makes each commit's frames one write system call
  // (sqlite_wal_write_coalescing_vfs.h); read-only ones write nothing.
  const char* vfs = "unix-excl";
  if (access == Access::kReadWrite) {
    absl::StatusOr<const char*> coalescing = SqliteWalWriteCoalescingVfs();
    if (!coalescing.ok()) return coalescing.status();
    vfs = *coalescing;
  }
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs);
  if (rc != SQLITE_OK) {
    std::string reason =
        db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    const int system_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
    sqlite3_close(db);
    // SQLite's errno is that of its last system call, often not the one
    // that mattered; look at the directory ourselves first.
    const std::string directory_problem =
        access == Access::kReadWrite ? DiagnoseDirectory(path) : "";
    if (!directory_problem.empty()) {
      reason = directory_problem;
    } else if (system_errno != 0) {
      absl::StrAppend(&reason, ": ", std::strerror(system_errno));
    }
    return ErrorWithReason(
        absl::StatusCode::kUnavailable, kReasonStoreUnavailable,
        absl::StrCat("cannot open SQLite database \"", path, "\": ", reason));
  }
  // SQLite silently falls back to read-only for a write-protected file.
  if (access == Access::kReadWrite && sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close(db);
    return ErrorWithReason(
        absl::StatusCode::kUnavailable, kReasonStoreUnavailable,
        absl::StrCat("cannot open SQLite database \"", path,
                     "\" for writing: the file is read-only"));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kSqliteBusyTimeoutMillis);
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db, path));
}

SqliteConnection::SqliteConnection(sqlite3* db, std::string path)
    : db_(db), path_(std::move(path)) {}

SqliteConnection::~SqliteConnection() {
  for (auto& entry : statement_cache_) sqlite3_finalize(entry.second.statement);
  sqlite3_close(db_);
}

absl::Status SqliteConnection::ExecuteScript(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  return absl::OkStatus();
}

absl::StatusOr<SqliteStatement> SqliteConnection::Prepare(
    absl::string_view sql) {
  auto it = statement_cache_.find(sql);
  if (it == statement_cache_.end()) {
    sqlite3_stmt* statement = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(statement);
      return Error(rc, absl::StrCat("preparing ", sql));
    }
    it = statement_cache_
             .emplace(std::string(sql), CachedStatement{statement, false})
             .first;
  }
  if (it->second.in_use) {
    return absl::InternalError(
        absl::StrCat("sqlite: statement already in use: ", sql));
  }
  it->second.in_use = true;
  return SqliteStatement(this, it->second.statement, &it->second.in_use);
}

bool SqliteConnection::InTransaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

int64_t SqliteConnection::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_);
}

int64_t SqliteConnection::ChangedRows() const { return sqlite3_changes64(db_); }

int64_t SqliteConnection::TotalChangedRows() const {
  return sqlite3_total_changes64(db_);
}

absl::Status SqliteConnection::Error(int rc, absl::string_view context) const {
  return SqliteErrorStatus(rc, context, sqlite3_errmsg(db_));
}

}  // namespace jobcontrol
