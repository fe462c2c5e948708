// PipelineServiceImpl: jobcontrol.v1.PipelineService over a Store.
#ifndef JOBCONTROL_SERVER_API_PIPELINE_SERVICE_H_
#define JOBCONTROL_SERVER_API_PIPELINE_SERVICE_H_

#include "jobcontrol/v1/pipeline_service.grpc.pb.h"
#include "server/api/request_authorizer.h"
#include "server/store/store.h"

namespace jobcontrol {

class PipelineServiceImpl final : public v1::PipelineService::Service {
 public:
  // `store` and `authorizer` must outlive this object. Thread-safe.
  PipelineServiceImpl(Store* store, const RequestAuthorizer* authorizer)
      : store_(store), authorizer_(authorizer) {}

  grpc::Status CreatePipeline(grpc::ServerContext* context,
                              const v1::CreatePipelineRequest* request,
                              v1::Pipeline* response) override;
  grpc::Status GetPipeline(grpc::ServerContext* context,
                           const v1::GetPipelineRequest* request,
                           v1::Pipeline* response) override;
  grpc::Status ListPipelines(grpc::ServerContext* context,
                             const v1::ListPipelinesRequest* request,
                             v1::ListPipelinesResponse* response) override;
  grpc::Status UpdatePipeline(grpc::ServerContext* context,
                              const v1::UpdatePipelineRequest* request,
                              v1::Pipeline* response) override;
  grpc::Status DeletePipeline(grpc::ServerContext* context,
                              const v1::DeletePipelineRequest* request,
                              google::protobuf::Empty* response) override;

 private:
  Store* store_;
  const RequestAuthorizer* authorizer_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_API_PIPELINE_SERVICE_H_
