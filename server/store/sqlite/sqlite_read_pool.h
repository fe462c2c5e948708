// SqliteReadPool: a fixed set of read-only connections to one database,
// each lent to one thread at a time. In WAL mode readers see the last
// committed state and never wait for the writer.
//
// Thread-safe. The pool must outlive every Lease it hands out.
#ifndef JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_READ_POOL_H_
#define JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_READ_POOL_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/sqlite/sqlite_connection.h"

namespace jobcontrol {

class SqliteReadPool {
 public:
  // A borrowed connection, returned to the pool on destruction.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    SqliteConnection& connection() const { return *connection_; }

   private:
    friend class SqliteReadPool;
    Lease(SqliteReadPool* pool, std::unique_ptr<SqliteConnection> connection);

    SqliteReadPool* pool_;
    std::unique_ptr<SqliteConnection> connection_;
  };

  // Opens `size` (>= 1) read-only connections to the existing database at
  // `path`.
  static absl::StatusOr<std::unique_ptr<SqliteReadPool>> Open(
      const std::string& path, int size);
  SqliteReadPool(const SqliteReadPool&) = delete;
  SqliteReadPool& operator=(const SqliteReadPool&) = delete;

  // Waits until a connection is free and lends it.
  Lease Acquire();

 private:
  explicit SqliteReadPool(
      std::vector<std::unique_ptr<SqliteConnection>> connections);
  void Release(std::unique_ptr<SqliteConnection> connection);
  bool HasFree() const;  // with mutex_ held

  // std::mutex: ThreadSanitizer does not see Debian's Abseil's locks.
  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<SqliteConnection>> free_;  // guarded by mutex_
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_READ_POOL_H_
