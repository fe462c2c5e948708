#include "server/store/sqlite/sqlite_group_commit_writer.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/core/error_reason.h"

namespace jobcontrol {
namespace {

absl::Status GroupNotCommitted(const absl::Status& cause) {
  return ErrorWithReason(
      absl::StatusCode::kUnavailable, kReasonStoreUnavailable,
      absl::StrCat("transaction not committed: ", cause.message()));
}

// Runs one statement through the connection's statement cache: BEGIN and
// COMMIT run once per group (and SAVEPOINT and RELEASE once per lease a
// group hook serves), and parsing them each time (as ExecuteScript does)
// showed in the writer's profile.
absl::Status ExecuteCached(SqliteConnection& connection, const char* sql) {
  absl::StatusOr<SqliteStatement> statement = connection.Prepare(sql);
  if (!statement.ok()) return statement.status();
  return statement->Execute();
}

}  // namespace

SqliteGroupCommitWriter::SqliteGroupCommitWriter(
    std::unique_ptr<SqliteConnection> connection, int max_group_size)
    : connection_(std::move(connection)),
      max_group_size_(max_group_size < 1 ? 1 : max_group_size),
      thread_([this] { WriterLoop(); }) {}

SqliteGroupCommitWriter::~SqliteGroupCommitWriter() { Shutdown(); }

void SqliteGroupCommitWriter::Submit(Operation operation,
                                     AfterCommit after_commit,
                                     Completion done) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (accepting_) {
      queue_.push_back(
          Pending{std::move(operation), std::move(after_commit), std::move(done)});
      lock.unlock();
      work_or_stopping_.notify_one();
      return;
    }
  }
  done(ErrorWithReason(absl::StatusCode::kUnavailable, kReasonStoreUnavailable,
                       absl::StrCat("SQLite store \"", connection_->path(),
                                    "\" is shutting down")));
}

std::future<absl::Status> SqliteGroupCommitWriter::Submit(
    Operation operation, AfterCommit after_commit) {
  auto outcome = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> ready = outcome->get_future();
  Submit(std::move(operation), std::move(after_commit),
         [outcome](absl::Status status) { outcome->set_value(std::move(status)); });
  return ready;
}

absl::Status SqliteGroupCommitWriter::Run(Operation operation,
                                          AfterCommit after_commit) {
  return Submit(std::move(operation), std::move(after_commit)).get();
}

void SqliteGroupCommitWriter::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    accepting_ = false;
  }
  work_or_stopping_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t SqliteGroupCommitWriter::CommitCount() const {
  return commit_count_.load(std::memory_order_acquire);
}

void SqliteGroupCommitWriter::SetGroupHooks(GroupHooks* hooks) {
  std::lock_guard<std::mutex> lock(mutex_);
  hooks_ = hooks;
}

bool SqliteGroupCommitWriter::HasWorkOrStopping() const {
  return !queue_.empty() || !accepting_;
}

void SqliteGroupCommitWriter::WriterLoop() {
  for (;;) {
    std::vector<Pending> group;
    GroupHooks* hooks = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_or_stopping_.wait(lock, [this] { return HasWorkOrStopping(); });
      if (queue_.empty()) return;  // stopping, and everything is done
      while (!queue_.empty() && group.size() < max_group_size_) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      hooks = hooks_;
    }
    CommitGroup(group, hooks);
  }
}

void SqliteGroupCommitWriter::CommitGroup(std::vector<Pending>& group,
                                          GroupHooks* hooks) {
  std::vector<absl::Status> results(group.size());
  absl::Status group_status = ExecuteCached(*connection_, "BEGIN IMMEDIATE");
  if (group_status.ok()) group_status = RunOperations(group, results);
  if (group_status.ok() && hooks != nullptr) {
    group_status = hooks->BeforeCommit(*connection_);
  }
  if (group_status.ok()) group_status = ExecuteCached(*connection_, "COMMIT");
  if (!group_status.ok() && connection_->InTransaction()) {
    // A failed COMMIT (e.g. SQLITE_FULL, a deferred constraint) may leave
    // the transaction open; nothing of this group may survive it.
    connection_->ExecuteScript("ROLLBACK").IgnoreError();
  }
  if (hooks != nullptr) hooks->AfterGroup(group_status.ok());
  if (group_status.ok()) {
    commit_count_.fetch_add(1, std::memory_order_acq_rel);
    for (size_t i = 0; i < group.size(); ++i) {
      if (results[i].ok() && group[i].after_commit) group[i].after_commit();
    }
  } else {
    const absl::Status failure = GroupNotCommitted(group_status);
    for (absl::Status& result : results) result = failure;
  }
  for (size_t i = 0; i < group.size(); ++i) {
    group[i].done(std::move(results[i]));
  }
}

absl::Status SqliteGroupCommitWriter::RunOperations(
    std::vector<Pending>& group, std::vector<absl::Status>& results) {
  std::vector<bool> left_out(group.size(), false);
  for (;;) {
    std::optional<size_t> failed_after_writing;
    for (size_t i = 0; i < group.size() && !failed_after_writing; ++i) {
      if (left_out[i]) continue;
      const int64_t changed_before = connection_->TotalChangedRows();
      results[i] = group[i].operation(*connection_);
      // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) make SQLite roll back
      // the whole transaction: the operations before this one are lost too.
      if (!connection_->InTransaction()) {
        return results[i].ok()
                   ? absl::InternalError("an operation ended the transaction")
                   : results[i];
      }
      if (!results[i].ok() &&
          connection_->TotalChangedRows() != changed_before) {
        failed_after_writing = i;
      }
    }
    if (!failed_after_writing) return absl::OkStatus();
    // Undo everything and run the others again; results[i] keeps the
    // failure.
    left_out[*failed_after_writing] = true;
    if (absl::Status s = ExecuteCached(*connection_, "ROLLBACK"); !s.ok()) {
      return s;
    }
    if (absl::Status s = ExecuteCached(*connection_, "BEGIN IMMEDIATE");
        !s.ok()) {
      return s;
    }
  }
}

absl::Status SqliteGroupCommitWriter::RunInSavepoint(
    SqliteConnection& connection, const Operation& operation,
    absl::Status& result) {
  if (absl::Status s = ExecuteCached(connection, "SAVEPOINT operation");
      !s.ok()) {
    return s;
  }
  result = operation(connection);
  if (result.ok()) return ExecuteCached(connection, "RELEASE operation");
  // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) make SQLite roll back the
  // whole transaction: the operations before this one are lost too.
  if (!connection.InTransaction()) return result;
  return connection.ExecuteScript("ROLLBACK TO operation; RELEASE operation");
}

}  // namespace jobcontrol
