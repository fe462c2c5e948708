// Fuzz target: MPC route matching on arbitrary input. The first line is the
// method, the second the path, the third a query string. A match names a
// decoded project_id and job ids that are all valid ids (no '/', not "." or
// ".."), as many as the operation takes; a refusal is a 4xx with a code and
// a message.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/mpc_routes.h"

using namespace jobcontrol::gateway;  // NOLINT: test target

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> lines =
      absl::StrSplit(input, absl::MaxSplits('\n', 2));
  lines.resize(3);
  ParamList query;
  auto decoded = DecodeForm(lines[2]);
  if (decoded.ok()) query = *std::move(decoded);
  MpcRoute route;
  if (auto error = MatchMpcRoute(lines[0], lines[1], query, &route)) {
    if (error->http_status < 400 || error->http_status > 499 ||
        error->code.empty() || error->message.empty()) {
      std::abort();
    }
    return 0;
  }
  if (!IsValidMpcId(route.project_id)) std::abort();
  for (const std::string& id : route.job_ids) {
    if (!IsValidMpcId(id) || id.find('/') != std::string::npos) std::abort();
  }
  switch (route.operation) {
    case MpcOperation::kCreateEditingJob:
      if (!route.job_ids.empty() || lines[0] != "POST") std::abort();
      break;
    case MpcOperation::kListEditingJobs:
      if (route.job_ids.empty() ||
          route.job_ids.size() > static_cast<size_t>(kMpcMaxListedJobIds) ||
          lines[0] != "GET") {
        std::abort();
      }
      break;
    case MpcOperation::kCancelEditingJob:
      if (route.job_ids.size() != 1 || lines[0] != "DELETE") std::abort();
      break;
  }
  return 0;
}
