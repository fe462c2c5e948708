// Fuzz target: the MPC create body (CreateEditingJobsReq) on arbitrary input.
// Either a 400 MPC.10202 with a message, or an editing job with at least one
// input, each an obs:// URI, timeline end after start when both are set, and
// an obs:// output; rendering it back never fails.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "server/gateway/mpc_json.h"

using namespace jobcontrol::gateway;  // NOLINT: test target

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  jobcontrol::v1::Job job;
  if (auto error = ParseMpcCreateEditingJob(input, &job)) {
    if (error->http_status != 400 || error->code != "MPC.10202" ||
        error->message.empty()) {
      std::abort();
    }
    return 0;
  }
  const jobcontrol::v1::EditingSpec& spec = job.editing();
  if (spec.inputs_size() == 0 ||
      !absl::StartsWith(spec.output().uri(), "obs://")) {
    std::abort();
  }
  for (const auto& clip : spec.inputs()) {
    if (!absl::StartsWith(clip.media().uri(), "obs://")) std::abort();
    if (clip.has_timeline_start() && clip.has_timeline_end() &&
        (clip.timeline_end().seconds() < clip.timeline_start().seconds())) {
      std::abort();
    }
  }
  job.set_id("0123456789abcdef0123456789abcdef");
  if (MpcEditingJobJson(job).Serialize().empty()) std::abort();
  return 0;
}
