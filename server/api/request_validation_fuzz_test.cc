// Fuzz target: request validation on arbitrary (parseable) requests. Every
// request is either valid or INVALID_ARGUMENT naming a field.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/api/request_validation.h"
#include "server/core/error_reason.h"

namespace {

void CheckRejection(const absl::Status& status) {
  if (status.ok()) return;
  if (status.code() != absl::StatusCode::kInvalidArgument) std::abort();
  if (jobcontrol::ErrorFieldOf(status).empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  jobcontrol::v1::SubmitJobRequest submit;
  if (submit.ParseFromString(bytes)) {
    CheckRejection(jobcontrol::ValidateSubmitJobRequest(submit));
  }
  jobcontrol::v1::ListJobsRequest list;
  if (list.ParseFromString(bytes)) {
    CheckRejection(jobcontrol::ValidateJobFilter(list.filter()));
    auto page_size = jobcontrol::EffectivePageSize(list.page_size());
    if (page_size.ok() && (*page_size < 1 || *page_size > 1000)) std::abort();
  }
  jobcontrol::v1::UpdatePipelineRequest update;
  if (update.ParseFromString(bytes)) {
    CheckRejection(jobcontrol::ValidateUpdatePipelineRequest(update));
  }
  jobcontrol::v1::CreatePipelineRequest create;
  if (create.ParseFromString(bytes)) {
    CheckRejection(jobcontrol::ValidateCreatePipelineRequest(create));
  }
  return 0;
}
