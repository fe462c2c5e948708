// SqliteGroupCommitWriter: the one thread that writes to the database,
// committing the operations that wait at the same moment together.
//
// Callers hand it operations. The writer thread takes everything queued (at
// most max_group_size operations), opens one BEGIN IMMEDIATE transaction,
// runs the operations one after another, COMMITs once (one fsync with
// synchronous=FULL) and only then completes each caller.
// So a caller learns of success only after the commit holding its change.
// An operation may come with an after-commit action, run on the writer
// thread once the commit succeeded, before any caller of the group is
// completed (so when a caller returns, its action has run).
//
// An operation that fails leaves nothing behind, and the others still
// commit. Most failures change no row (a missing job, a refused state
// change, a constraint SQLite checks before writing): nothing to undo. An
// operation that fails after it changed rows is undone with the whole
// transaction, which then runs again from the start without it. So an
// operation may run more than once (it must start from scratch each time,
// overwriting what it captured), and one that failed is never run again.
// Operations do not run in savepoints: a SAVEPOINT makes SQLite copy every
// page an operation touches to a sub-journal and free the copies at
// RELEASE, ~17,000 instructions per SubmitJob (bench/README.md).
//
// If the group cannot be committed (BEGIN or COMMIT fails, or SQLite aborts
// the whole transaction), every operation in the group fails with
// UNAVAILABLE (reason STORE_UNAVAILABLE) and none of their changes persist.
//
// Group hooks (SetGroupHooks) let the owner add writes to every group's
// transaction after its operations (SqliteStore serves waiting leases
// there) and learn whether the group committed.
//
// Thread-safety: Submit, Run, CommitCount and SetGroupHooks may be called
// from any thread.
// Operations run on the writer thread, one after another; an operation must
// not wait for another operation of the same writer (that deadlocks).
#ifndef JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_GROUP_COMMIT_WRITER_H_
#define JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_GROUP_COMMIT_WRITER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "server/store/sqlite/sqlite_connection.h"

namespace jobcontrol {

class SqliteGroupCommitWriter {
 public:
  // One write inside the group's transaction. A non-OK status undoes only
  // this operation's changes and is returned to its caller as is. Results
  // other than the status go through state the operation captures; the
  // caller may read them only when Run/Submit reported OK. It may run again
  // (see above) and must then overwrite, not add to, what it captured.
  using Operation = std::function<absl::Status(SqliteConnection& connection)>;
  // Runs after the transaction holding its operation committed, only if
  // that operation succeeded; actions run in operation order. It must not
  // wait for this writer.
  using AfterCommit = std::function<void()>;

  // Told about every group, on the writer thread.
  class GroupHooks {
   public:
    virtual ~GroupHooks() = default;
    // After the group's operations, before COMMIT, inside the transaction;
    // may write. A non-OK status fails the whole group, like a failed
    // COMMIT.
    virtual absl::Status BeforeCommit(SqliteConnection& connection) = 0;
    // Once the group committed (`committed`) or failed, before the
    // operations' after-commit actions and before any caller of the group
    // is completed.
    virtual void AfterGroup(bool committed) = 0;
  };

  // Takes the read-write `connection` (configured, schema in place) and
  // starts the writer thread. max_group_size >= 1.
  SqliteGroupCommitWriter(std::unique_ptr<SqliteConnection> connection,
                          int max_group_size);
  // Shutdown(), then closes the connection.
  ~SqliteGroupCommitWriter();
  SqliteGroupCommitWriter(const SqliteGroupCommitWriter&) = delete;
  SqliteGroupCommitWriter& operator=(const SqliteGroupCommitWriter&) = delete;

  // Told the operation's outcome, exactly once: its status once the
  // transaction that holds it committed, or UNAVAILABLE if that transaction
  // failed. Runs on the writer thread after the group's after-commit
  // actions, so it must be quick and must not wait for this writer; after
  // Shutdown began it runs at once, on the caller's thread, with
  // UNAVAILABLE.
  using Completion = std::function<void(absl::Status)>;

  // Queues `operation`; `done` learns its outcome. `after_commit` may be
  // empty.
  void Submit(Operation operation, AfterCommit after_commit, Completion done);
  // Submit with a future that becomes ready with the outcome.
  std::future<absl::Status> Submit(Operation operation,
                                   AfterCommit after_commit = nullptr);
  // Submit and wait.
  absl::Status Run(Operation operation, AfterCommit after_commit = nullptr);

  // Stops accepting operations, runs and commits the ones already queued,
  // and joins the writer thread. Idempotent; call from one thread only.
  void Shutdown();

  // Transactions committed so far.
  int64_t CommitCount() const;

  // Runs `operation` on `connection`, inside an open transaction, in its
  // own SAVEPOINT: if it fails (its status goes to `result`), its changes
  // are rolled back and the transaction goes on. A non-OK return means the
  // transaction itself is lost (SQLite rolled it back, or the savepoint
  // could not be handled). Group hooks run their writes through it.
  static absl::Status RunInSavepoint(SqliteConnection& connection,
                                     const Operation& operation,
                                     absl::Status& result);

  // Hooks for the groups taken after this call; nullptr removes them.
  // `hooks` must stay valid until removed or the writer is shut down.
  void SetGroupHooks(GroupHooks* hooks);

 private:
  struct Pending {
    Operation operation;
    AfterCommit after_commit;
    Completion done;
  };

  void WriterLoop();
  // Runs `group` in one transaction and completes every operation in it.
  void CommitGroup(std::vector<Pending>& group, GroupHooks* hooks);
  // Runs the operations (again, without the one that failed after writing,
  // when one does); OK if the transaction can still be committed.
  absl::Status RunOperations(std::vector<Pending>& group,
                             std::vector<absl::Status>& results);
  bool HasWorkOrStopping() const;  // with mutex_ held

  const std::unique_ptr<SqliteConnection> connection_;  // writer thread only
  const size_t max_group_size_;
  std::atomic<int64_t> commit_count_{0};

  // std::mutex: ThreadSanitizer does not see Debian's Abseil's locks.
  std::mutex mutex_;
  std::condition_variable work_or_stopping_;
  std::deque<Pending> queue_;  // guarded by mutex_
  bool accepting_ = true;      // guarded by mutex_
  GroupHooks* hooks_ = nullptr;  // guarded by mutex_

  std::thread thread_;  // last: starts after everything above is built
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_GROUP_COMMIT_WRITER_H_
