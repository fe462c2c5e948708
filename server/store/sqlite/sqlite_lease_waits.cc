#include "server/store/sqlite/sqlite_lease_waits.h"

#include <utility>

namespace jobcontrol {

class SqliteLeaseWaits::Handle : public LeaseWait {
 public:
  Handle(SqliteLeaseWaits* registry, std::shared_ptr<Wait> wait)
      : registry_(registry), wait_(std::move(wait)) {}
  ~Handle() override { registry_->End(wait_); }

  std::optional<absl::StatusOr<Job>> Outcome() override {
    return registry_->Outcome(wait_);
  }
  std::optional<absl::StatusOr<Job>> End() override {
    return registry_->End(wait_);
  }

 private:
  SqliteLeaseWaits* const registry_;
  const std::shared_ptr<Wait> wait_;
};

std::unique_ptr<LeaseWait> SqliteLeaseWaits::Register(std::string tenant,
                                                      LeaseQuery query,
                                                      JobDecisionAt decide) {
  auto wait = std::make_shared<Wait>();
  wait->tenant = std::move(tenant);
  wait->query = std::move(query);
  wait->decide = std::move(decide);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wait->order = next_order_++;
    waiting_.emplace(wait->order, wait);
  }
  return std::make_unique<Handle>(this, std::move(wait));
}

std::vector<std::shared_ptr<SqliteLeaseWaits::Wait>> SqliteLeaseWaits::Waiting(
    const absl::flat_hash_set<std::string>* tenants) {
  std::vector<std::shared_ptr<Wait>> found;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [order, wait] : waiting_) {
    if (tenants == nullptr || tenants->contains(wait->tenant)) {
      found.push_back(wait);
    }
  }
  return found;
}

bool SqliteLeaseWaits::BeginAttempt(const std::shared_ptr<Wait>& wait) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (wait->phase != Wait::Phase::kWaiting) return false;
  wait->phase = Wait::Phase::kTrying;
  return true;
}

void SqliteLeaseWaits::ReturnToWaiting(const std::shared_ptr<Wait>& wait) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wait->phase = Wait::Phase::kWaiting;
  }
  attempt_finished_.notify_all();
}

void SqliteLeaseWaits::Settle(const std::shared_ptr<Wait>& wait,
                              absl::StatusOr<Job> outcome) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wait->phase = Wait::Phase::kSettled;
    wait->outcome = std::move(outcome);
    waiting_.erase(wait->order);
  }
  attempt_finished_.notify_all();
}

bool SqliteLeaseWaits::AnyWaiting() {
  std::lock_guard<std::mutex> lock(mutex_);
  return !waiting_.empty();
}

std::optional<absl::StatusOr<Job>> SqliteLeaseWaits::Outcome(
    const std::shared_ptr<Wait>& wait) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (wait->phase != Wait::Phase::kSettled) return std::nullopt;
  return wait->outcome;
}

std::optional<absl::StatusOr<Job>> SqliteLeaseWaits::End(
    const std::shared_ptr<Wait>& wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  attempt_finished_.wait(
      lock, [&] { return wait->phase != Wait::Phase::kTrying; });
  if (wait->phase == Wait::Phase::kWaiting) {
    wait->phase = Wait::Phase::kEnded;
    waiting_.erase(wait->order);
  }
  if (wait->phase != Wait::Phase::kSettled) return std::nullopt;
  return wait->outcome;
}

}  // namespace jobcontrol
