#include "server/store/sqlite/sqlite_read_pool.h"

#include <utility>

namespace jobcontrol {

SqliteReadPool::Lease::Lease(SqliteReadPool* pool,
                             std::unique_ptr<SqliteConnection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

SqliteReadPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

SqliteReadPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Release(std::move(connection_));
}

absl::StatusOr<std::unique_ptr<SqliteReadPool>> SqliteReadPool::Open(
    const std::string& path, int size) {
  std::vector<std::unique_ptr<SqliteConnection>> connections;
  for (int i = 0; i < (size < 1 ? 1 : size); ++i) {
    absl::StatusOr<std::unique_ptr<SqliteConnection>> connection =
        SqliteConnection::Open(path, SqliteConnection::Access::kReadOnly);
    if (!connection.ok()) return connection.status();
    connections.push_back(*std::move(connection));
  }
  return std::unique_ptr<SqliteReadPool>(
      new SqliteReadPool(std::move(connections)));
}

SqliteReadPool::SqliteReadPool(
    std::vector<std::unique_ptr<SqliteConnection>> connections)
    : free_(std::move(connections)) {}

SqliteReadPool::Lease SqliteReadPool::Acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  released_.wait(lock, [this] { return HasFree(); });
  std::unique_ptr<SqliteConnection> connection = std::move(free_.back());
  free_.pop_back();
  return Lease(this, std::move(connection));
}

void SqliteReadPool::Release(std::unique_ptr<SqliteConnection> connection) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(connection));
  }
  released_.notify_one();
}

bool SqliteReadPool::HasFree() const { return !free_.empty(); }

}  // namespace jobcontrol
