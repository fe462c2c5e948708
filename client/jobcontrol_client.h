// JobControlClient: a small synchronous C++ client of jobcontrol.v1, used by
// jobctl and the tests. Errors come back as absl::Status with the gRPC code,
// the message, and the ErrorInfo reason (see ErrorReason()).
#ifndef JOBCONTROL_CLIENT_JOBCONTROL_CLIENT_H_
#define JOBCONTROL_CLIENT_JOBCONTROL_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jobcontrol/v1/job_service.grpc.pb.h"
#include "jobcontrol/v1/pipeline_service.grpc.pb.h"

namespace jobcontrol {

struct ClientOptions {
  std::string server = "127.0.0.1:50051";  // host:port, plaintext
  std::string bearer_token;                // sent as authorization: Bearer
  absl::Duration timeout = absl::Seconds(30);  // per call deadline
};

class JobControlClient {
 public:
  explicit JobControlClient(const ClientOptions& options);
  JobControlClient(const JobControlClient&) = delete;
  JobControlClient& operator=(const JobControlClient&) = delete;

  absl::StatusOr<v1::Job> SubmitJob(const v1::SubmitJobRequest& request);
  absl::StatusOr<v1::Job> GetJob(const std::string& job_id);
  absl::StatusOr<v1::ListJobsResponse> ListJobs(
      const v1::ListJobsRequest& request);
  absl::StatusOr<v1::Job> CancelJob(const std::string& job_id);

  absl::StatusOr<v1::Pipeline> CreatePipeline(const v1::Pipeline& pipeline);
  absl::StatusOr<v1::Pipeline> GetPipeline(const std::string& pipeline_id);
  absl::StatusOr<v1::ListPipelinesResponse> ListPipelines(
      const v1::ListPipelinesRequest& request);
  absl::StatusOr<v1::Pipeline> UpdatePipeline(
      const v1::UpdatePipelineRequest& request);
  absl::Status DeletePipeline(const std::string& pipeline_id);

 private:
  ClientOptions options_;
  std::unique_ptr<v1::JobService::Stub> jobs_;
  std::unique_ptr<v1::PipelineService::Stub> pipelines_;
};

// The ErrorInfo reason and `field` metadata carried by an error returned from
// JobControlClient; empty if none.
std::string ErrorReason(const absl::Status& status);
std::string ErrorField(const absl::Status& status);

}  // namespace jobcontrol

#endif  // JOBCONTROL_CLIENT_JOBCONTROL_CLIENT_H_
