#include "server/gateway/service_call.h"

#include <atomic>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace jobcontrol {
namespace gateway {

std::unique_ptr<grpc::ClientContext> NewServiceCallContext(
    absl::string_view bearer_token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", bearer_token));
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
  return context;
}

void LookUpJobs(v1::JobService::StubInterface* jobs,
                absl::string_view bearer_token, std::vector<std::string> ids,
                std::function<void(std::vector<JobLookup>&)> then) {
  if (ids.empty()) {
    std::vector<JobLookup> none;
    then(none);
    return;
  }
  struct Lookups {
    std::vector<JobLookup> outcomes;
    std::atomic<size_t> remaining;
    std::function<void(std::vector<JobLookup>&)> then;
  };
  auto lookups = std::make_shared<Lookups>();
  lookups->outcomes.resize(ids.size());
  lookups->remaining.store(ids.size());
  lookups->then = std::move(then);
  for (size_t i = 0; i < ids.size(); ++i) {
    lookups->outcomes[i].job_id = ids[i];
    v1::GetJobRequest request;
    request.set_job_id(std::move(ids[i]));
    StartServiceCall(
        jobs->async(), &v1::JobService::StubInterface::async_interface::GetJob,
        bearer_token, std::move(request),
        [lookups, i](const grpc::Status& status, v1::Job& job) {
          JobLookup& outcome = lookups->outcomes[i];
          outcome.status = status;
          outcome.job = std::move(job);
          // The last one to finish sees every outcome (acq_rel).
          if (lookups->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            lookups->then(lookups->outcomes);
          }
        });
  }
}

std::string ErrorReasonOf(const grpc::Status& status) {
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

}  // namespace gateway
}  // namespace jobcontrol
