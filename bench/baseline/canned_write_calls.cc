#include "bench/baseline/canned_write_calls.h"

#include "server/api/grpc_server_tuning.h"

namespace jobcontrol {
namespace bench {
namespace {

constexpr int kCallsRequestedAhead = 8;  // as JobWriteCalls

}  // namespace

// One SubmitJob or CancelJob call; deletes itself once answered.
class CannedWriteCalls::Call final : public CompletionQueueEvent {
 public:
  Call(CannedWriteCalls* calls, bool submit)
      : calls_(calls), submit_(submit), responder_(&context_) {
    grpc::ServerCompletionQueue* queue = calls_->threads_.queue();
    if (submit_) {
      calls_->service_->RequestSubmitJob(&context_, &submit_request_,
                                         &responder_, queue, queue, this);
    } else {
      calls_->service_->RequestCancelJob(&context_, &cancel_request_,
                                         &responder_, queue, queue, this);
    }
  }

  void OnEvent(bool ok) override {
    if (answered_ || !ok) {
      delete this;
      return;
    }
    new Call(calls_, submit_);
    answered_ = true;
    responder_.Finish(submit_ ? calls_->service_->queued_job()
                              : calls_->service_->canceled_job(),
                      grpc::Status::OK, this);
  }

 private:
  CannedWriteCalls* const calls_;
  const bool submit_;
  grpc::ServerContext context_;
  grpc::ServerAsyncResponseWriter<v1::Job> responder_;
  v1::SubmitJobRequest submit_request_;
  v1::CancelJobRequest cancel_request_;
  bool answered_ = false;
};

CannedWriteCalls::CannedWriteCalls(grpc::ServerBuilder& builder,
                                   CannedJobService* service)
    : service_(service),
      threads_(builder.AddCompletionQueue(), AsyncCallThreadCount()) {}

void CannedWriteCalls::Start() {
  threads_.Start();
  for (int i = 0; i < kCallsRequestedAhead; ++i) {
    new Call(this, /*submit=*/true);
    new Call(this, /*submit=*/false);
  }
}

}  // namespace bench
}  // namespace jobcontrol
