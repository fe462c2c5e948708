#include "server/api/job_write_calls.h"

#include <utility>

#include "server/api/grpc_status.h"
#include "server/api/job_conversion.h"
#include "server/api/request_validation.h"
#include "server/core/clock.h"
#include "server/core/error_reason.h"
#include "server/core/job_lifecycle.h"

namespace jobcontrol {
namespace {

// Calls of each method requested ahead of time: a burst of calls does not
// wait for one call to be taken before the next can be.
constexpr int kCallsRequestedAhead = 8;

}  // namespace

// One call, from its request to its answer; deletes itself once the answer
// went out (or the server, shutting down, ended the request).
class JobWriteCalls::Call : public CompletionQueueEvent {
 public:
  explicit Call(JobWriteCalls* calls) : calls_(calls), responder_(&context_) {}
  virtual ~Call() = default;

  void OnEvent(bool ok) final {
    if (answering_) {  // the answer went out, or the call was cancelled
      calls_->EndCall();
      delete this;
      return;
    }
    if (!ok) {  // the server shuts down: this request will not be served
      delete this;
      return;
    }
    RequestAnother();
    if (!calls_->BeginCall()) {
      Answer(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "too many SubmitJob and CancelJob calls are waiting "
                          "for the store; retry with backoff"));
      return;
    }
    Run();
  }

 protected:
  // Requests the next call of the same method.
  virtual void RequestAnother() = 0;
  // Authorizes, validates and writes; ends in Answer or AnswerFromStore.
  virtual void Run() = 0;

  // On a queue thread or the answer thread.
  void Answer(const grpc::Status& status) {
    answering_ = true;
    responder_.FinishWithError(status, this);
  }
  void Answer(const absl::StatusOr<Job>& job) {
    if (!job.ok()) return Answer(ToGrpcStatus(job.status()));
    JobToProto(*job, &response_);
    answering_ = true;
    responder_.Finish(response_, grpc::Status::OK, this);
  }
  // On the store's thread (or this one): answers on the answer thread.
  void AnswerFromStore(absl::StatusOr<Job> job) {
    outcome_ = std::move(job);
    calls_->answers_.Post([this] { Answer(outcome_); });
  }

  JobWriteCalls* const calls_;
  grpc::ServerContext context_;
  grpc::ServerAsyncResponseWriter<v1::Job> responder_;

 private:
  bool answering_ = false;
  absl::StatusOr<Job> outcome_;
  v1::Job response_;
};

class JobWriteCalls::SubmitJobCall final : public Call {
 public:
  explicit SubmitJobCall(JobWriteCalls* calls) : Call(calls) {
    grpc::ServerCompletionQueue* queue = calls->threads_.queue();
    calls->service_->RequestSubmitJob(&context_, &request_, &responder_, queue,
                                      queue, this);
  }

 private:
  void RequestAnother() override { new SubmitJobCall(calls_); }

  void Run() override {
    auto principal =
        calls_->authorizer_->Authorize(context_, kActionJobsSubmit);
    if (!principal.ok()) return Answer(ToGrpcStatus(principal.status()));
    if (auto s = ValidateSubmitJobRequest(request_); !s.ok()) {
      return Answer(ToGrpcStatus(s));
    }
    calls_->store_->SubmitJobAsync(
        SubmissionFromRequest(request_, principal->tenant, CurrentTime()),
        [this](absl::StatusOr<SubmitResult> result) {
          if (!result.ok()) return AnswerFromStore(result.status());
          AnswerFromStore(std::move(result->job));
        });
  }

  v1::SubmitJobRequest request_;
};

class JobWriteCalls::CancelJobCall final : public Call {
 public:
  explicit CancelJobCall(JobWriteCalls* calls) : Call(calls) {
    grpc::ServerCompletionQueue* queue = calls->threads_.queue();
    calls->service_->RequestCancelJob(&context_, &request_, &responder_, queue,
                                      queue, this);
  }

 private:
  void RequestAnother() override { new CancelJobCall(calls_); }

  void Run() override {
    auto principal =
        calls_->authorizer_->Authorize(context_, kActionJobsCancel);
    if (!principal.ok()) return Answer(ToGrpcStatus(principal.status()));
    if (auto s = ValidateCancelJobRequest(request_); !s.ok()) {
      return Answer(ToGrpcStatus(s));
    }
    const absl::Time now = CurrentTime();
    const bool allow_running = request_.allow_running();
    const v1::JobKind kind = request_.kind();
    calls_->store_->UpdateJobAsync(
        principal->tenant, request_.job_id(),
        [now, allow_running, kind](const Job& current) -> absl::StatusOr<Job> {
          if (kind != v1::JOB_KIND_UNSPECIFIED &&
              static_cast<int>(current.kind) != static_cast<int>(kind)) {
            return JobNotFoundError(current.id);  // the kind precondition
          }
          return JobLifecycle::Cancel(current, allow_running, now);
        },
        [this](absl::StatusOr<Job> job) { AnswerFromStore(std::move(job)); });
  }

  v1::CancelJobRequest request_;
};

JobWriteCalls::JobWriteCalls(grpc::ServerBuilder& builder,
                             JobServiceImpl* service, Store* store,
                             const RequestAuthorizer* authorizer,
                             int thread_count)
    : service_(service),
      store_(store),
      authorizer_(authorizer),
      threads_(builder.AddCompletionQueue(), thread_count) {}

JobWriteCalls::~JobWriteCalls() { Shutdown(); }

void JobWriteCalls::Start() {
  threads_.Start();
  for (int i = 0; i < kCallsRequestedAhead; ++i) {
    new SubmitJobCall(this);
    new CancelJobCall(this);
  }
}

void JobWriteCalls::Shutdown() {
  {
    std::unique_lock<std::mutex> lock(in_flight_mutex_);
    none_in_flight_.wait(lock, [this] { return in_flight_ == 0; });
  }
  answers_.Shutdown();
  threads_.Shutdown();
}

bool JobWriteCalls::BeginCall() {
  std::lock_guard<std::mutex> lock(in_flight_mutex_);
  return ++in_flight_ <= kMaxWriteCallsInFlight;
}

void JobWriteCalls::EndCall() {
  std::lock_guard<std::mutex> lock(in_flight_mutex_);
  if (--in_flight_ == 0) none_in_flight_.notify_all();
}

}  // namespace jobcontrol
