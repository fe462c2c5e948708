#include "server/api/grpc_server_tuning.h"

#include <thread>

#include "absl/synchronization/mutex.h"
#include "grpcpp/resource_quota.h"

namespace jobcontrol {

void ApplySyncServerThreadPolicy(grpc::ServerBuilder& builder) {
  grpc::ResourceQuota quota("jobcontrold");
  quota.SetMaxThreads(kMaxServerThreads);
  builder.SetResourceQuota(quota);  // holds its own reference
  builder.SetSyncServerOption(grpc::ServerBuilder::MAX_POLLERS,
                              kMaxIdlePollingThreads);
}

int AsyncCallThreadCount() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 2 : static_cast<int>(cores);
}

void TurnOffMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace jobcontrol
