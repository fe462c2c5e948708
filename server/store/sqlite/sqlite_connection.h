// SqliteConnection: one sqlite3 connection with a cache of prepared
// statements, and SqliteStatement, a prepared statement borrowed from it.
//
// Errors from SQLite become absl::Status values (SqliteErrorStatus): a
// database that cannot be used (busy, locked, full, I/O, corrupt, cannot
// open) is UNAVAILABLE with reason STORE_UNAVAILABLE and SQLite's message; a
// UNIQUE / PRIMARY KEY conflict is ALREADY_EXISTS; misuse of the API and other
// constraint failures are INTERNAL (bugs).
//
// Thread-safety: a connection, and every statement borrowed from it, is used
// by one thread at a time (the connection is opened with SQLITE_OPEN_NOMUTEX).
#ifndef JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_CONNECTION_H_
#define JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace jobcontrol {

// How long a connection waits for a lock held by another connection before
// giving up with SQLITE_BUSY (then UNAVAILABLE).
inline constexpr int kSqliteBusyTimeoutMillis = 5000;

// The status for SQLite result code `rc` (see the file comment). `context`
// says what was being done, `sqlite_message` is sqlite3_errmsg().
absl::Status SqliteErrorStatus(int rc, absl::string_view context,
                               absl::string_view sqlite_message);

class SqliteConnection;

// A prepared statement borrowed from a SqliteConnection's cache. Parameters
// are bound in order (the first Bind* call binds the first `?`). Destroying
// it resets the statement and clears its bindings so the cache can hand it
// out again. Must not outlive its connection. Move-only.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // Values are copied (SQLITE_TRANSIENT): temporaries are fine. A binding
  // error is reported by the next Step().
  SqliteStatement& BindInt64(int64_t value);
  SqliteStatement& BindText(absl::string_view value);
  SqliteStatement& BindBlob(absl::string_view value);
  SqliteStatement& BindNull();

  // Runs to the next row: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows (INSERT, UPDATE, DELETE, ...).
  absl::Status Execute();

  // Columns of the current row, 0-based.
  bool ColumnIsNull(int column) const;
  int64_t ColumnInt64(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;

 private:
  friend class SqliteConnection;
  SqliteStatement(const SqliteConnection* connection, sqlite3_stmt* statement,
                  bool* in_use);

  const SqliteConnection* connection_;
  sqlite3_stmt* statement_;
  bool* in_use_;  // the cache entry's flag, cleared on destruction
  int next_parameter_ = 1;
  int bind_error_ = 0;  // first SQLite result code of a failed bind
};

class SqliteConnection {
 public:
  enum class Access { kReadWrite, kReadOnly };

  // Opens `path` (kReadWrite creates it if missing; its directory must
  // exist) with extended result codes and the busy timeout set, through
  // SQLite's unix-excl VFS: this process holds the file exclusively while any
  // of its connections has it open, and another process's statements fail
  // with UNAVAILABLE saying so. kReadWrite connections go through
  // SqliteWalWriteCoalescingVfs, which wraps unix-excl. Fails with UNAVAILABLE naming the path and
  // the operating system's reason when the file cannot be opened, created or
  // (kReadWrite) written.
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(
      const std::string& path, Access access);

  // Finalizes the cached statements, then closes the connection.
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs SQL text without parameters, ignoring any rows (PRAGMAs, BEGIN,
  // SAVEPOINT, DDL). Several statements may be separated by ';'.
  absl::Status ExecuteScript(const char* sql);

  // The cached prepared statement for `sql`, prepared on first use. Only one
  // SqliteStatement per SQL text may be alive at a time. Looking up a cached
  // statement allocates nothing.
  absl::StatusOr<SqliteStatement> Prepare(absl::string_view sql);

  // True while a transaction is open (sqlite3_get_autocommit() == 0).
  bool InTransaction() const;
  // The rowid of the last successful INSERT on this connection.
  int64_t LastInsertRowId() const;
  // Rows changed by the last INSERT / UPDATE / DELETE.
  int64_t ChangedRows() const;
  // Rows changed by every INSERT / UPDATE / DELETE that completed on this
  // connection since it opened (a statement that failed counts none: SQLite
  // undid it, or the whole transaction).
  int64_t TotalChangedRows() const;

  // SqliteErrorStatus for `rc`, with this connection's current message.
  absl::Status Error(int rc, absl::string_view context) const;

  const std::string& path() const { return path_; }

 private:
  SqliteConnection(sqlite3* db, std::string path);

  struct CachedStatement {
    sqlite3_stmt* statement;
    bool in_use;
  };

  sqlite3* db_;
  std::string path_;
  // Node-based: a borrowed statement points at its entry's `in_use`.
  absl::node_hash_map<std::string, CachedStatement> statement_cache_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_CONNECTION_H_
