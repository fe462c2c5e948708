// The MPC editing-job routes (vendor-apis.md B.1): which operation a method
// and path name, and the project_id and job_id the path carries.
//
//   POST   /v2/{project_id}/editing/jobs             create
//   GET    /v2/{project_id}/editing/jobs?job_id=...  list (1 to 10 ids)
//   DELETE /v2/{project_id}/editing/jobs/{job_id}    cancel
//   DELETE /v2/{project_id}/editing/job?job_id=...   cancel (the vendor's
//                                                    documented example)
//   DELETE /v1/{project_id}/editing/jobs?job_id=...  cancel (v1)
//
// One trailing '/' is ignored. Path segments are percent-decoded; an id must
// then be 1 to 128 bytes of [A-Za-z0-9_.-] and not "." or "..", so encoded
// slashes and traversal never reach the service. Pure functions.
#ifndef JOBCONTROL_SERVER_GATEWAY_MPC_ROUTES_H_
#define JOBCONTROL_SERVER_GATEWAY_MPC_ROUTES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/mpc_errors.h"

namespace jobcontrol {
namespace gateway {

enum class MpcOperation {
  kCreateEditingJob,
  kListEditingJobs,
  kCancelEditingJob,
};

// At most this many job_id values in one list request.
inline constexpr int kMpcMaxListedJobIds = 10;

struct MpcRoute {
  MpcOperation operation = MpcOperation::kListEditingJobs;
  std::string project_id;  // decoded
  // The job ids the request names: the path's (cancel by path) or the
  // query's job_id values (list; cancel by query, exactly one), decoded.
  std::vector<std::string> job_ids;
};

// The IAM action an operation needs: mpc:editingTask:create|view|delete.
const char* MpcActionOf(MpcOperation operation);

// Matches `method` and `path` (raw, as sent) and, for the operations that
// take ids from the query, the decoded `query`. Errors: 404 APIG.0101 for a
// path that is no MPC API; 400 MPC.10204 for a known path with another
// method; 400 MPC.10202 for a malformed project_id or job_id, a missing or
// repeated cancel job_id, or a list of no or more than 10 ids.
std::optional<MpcError> MatchMpcRoute(absl::string_view method,
                                      absl::string_view path,
                                      const ParamList& query, MpcRoute* route);

// True iff `id` is 1 to 128 bytes of [A-Za-z0-9_.-] and not "." or "..".
bool IsValidMpcId(absl::string_view id);

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_MPC_ROUTES_H_
