// RequestAuthorizer: who is calling (authorization: Bearer <token>) and may
// they do this action. Thread-safe; reads only.
#ifndef JOBCONTROL_SERVER_API_REQUEST_AUTHORIZER_H_
#define JOBCONTROL_SERVER_API_REQUEST_AUTHORIZER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "server/api/credential_set.h"

namespace jobcontrol {

// The authenticated caller of one request.
struct Principal {
  std::string tenant;
  std::string access_key_id;  // names the credential in logs; not a secret
};

// Action names checked against Credential.allowed_actions.
inline constexpr char kActionJobsSubmit[] = "jobcontrol.jobs.submit";
inline constexpr char kActionJobsGet[] = "jobcontrol.jobs.get";
inline constexpr char kActionJobsList[] = "jobcontrol.jobs.list";
inline constexpr char kActionJobsCancel[] = "jobcontrol.jobs.cancel";
inline constexpr char kActionPipelinesCreate[] = "jobcontrol.pipelines.create";
inline constexpr char kActionPipelinesGet[] = "jobcontrol.pipelines.get";
inline constexpr char kActionPipelinesList[] = "jobcontrol.pipelines.list";
inline constexpr char kActionPipelinesUpdate[] = "jobcontrol.pipelines.update";
inline constexpr char kActionPipelinesDelete[] = "jobcontrol.pipelines.delete";
inline constexpr char kActionWorkersLease[] = "jobcontrol.workers.lease";
inline constexpr char kActionWorkersRenew[] = "jobcontrol.workers.renew";
inline constexpr char kActionWorkersComplete[] = "jobcontrol.workers.complete";
// FailJob and AcknowledgeCancel: both end a job without a result.
inline constexpr char kActionWorkersFail[] = "jobcontrol.workers.fail";

class RequestAuthorizer {
 public:
  // `credentials` must outlive this object.
  explicit RequestAuthorizer(const CredentialSet* credentials)
      : credentials_(credentials) {}

  // UNAUTHENTICATED (reason UNAUTHENTICATED) when the `authorization`
  // metadata is missing, not `Bearer <token>`, or names no credential;
  // PERMISSION_DENIED (reason ACTION_DENIED) when the credential may not
  // perform `action`.
  absl::StatusOr<Principal> Authorize(const grpc::ServerContext& context,
                                      absl::string_view action) const;

 private:
  const CredentialSet* credentials_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_REQUEST_AUTHORIZER_H_
