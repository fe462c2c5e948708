#include "server/api/worker_service.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/api/grpc_status.h"
#include "server/api/job_conversion.h"
#include "server/api/long_poll.h"
#include "server/api/request_validation.h"
#include "server/core/clock.h"
#include "server/core/error_reason.h"
#include "server/core/ids.h"
#include "server/core/job_lifecycle.h"

namespace jobcontrol {
namespace {

// A lease_id is the fencing token the store compares whole, and it records
// the duration the lease was granted with: 24 random hex digits (96 bits,
// plenty to tell one job's leases apart) then 8 hex digits of the duration
// in milliseconds. A worker cannot change the duration: any other lease_id
// fails fencing. Clients treat it as opaque.
constexpr int kLeaseNonceHexDigits = 24;

std::string LeaseIdOf(const std::string& nonce, absl::Duration duration) {
  return absl::StrCat(
      nonce, absl::StrFormat("%08x", static_cast<uint32_t>(
                                         absl::ToInt64Milliseconds(duration))));
}

// The granted duration recorded in `lease_id`, or nullopt if it records
// none within the allowed bounds.
std::optional<absl::Duration> LeaseDurationOf(const std::string& lease_id) {
  if (lease_id.size() != kLeaseNonceHexDigits + 8) return std::nullopt;
  uint32_t millis = 0;
  if (!absl::SimpleHexAtoi(lease_id.substr(kLeaseNonceHexDigits), &millis)) {
    return std::nullopt;
  }
  const absl::Duration duration = absl::Milliseconds(millis);
  if (duration < kMinLeaseDuration || duration > kMaxLeaseDuration) {
    return std::nullopt;
  }
  return duration;
}

// Lease duration of each of the tenant's pipelines, from their retry
// policies.
using LeaseDurations = absl::flat_hash_map<std::string, absl::Duration>;

absl::StatusOr<LeaseDurations> LoadLeaseDurations(Store* store,
                                                  const std::string& tenant) {
  LeaseDurations durations;
  PipelineQuery query;
  query.limit = 1000;
  for (;;) {
    auto page = store->ListPipelines(tenant, query);
    if (!page.ok()) return page.status();
    for (const Pipeline& pipeline : page->pipelines) {
      durations[pipeline.id] = pipeline.retry_policy.lease_duration;
    }
    if (!page->has_more || page->pipelines.empty()) return durations;
    query.after_sequence = page->pipelines.back().sequence;
  }
}

// The retry policy of `pipeline_id`; the defaults if the pipeline is gone
// (it cannot be while it has a job that is not terminal, and a terminal job
// is refused by the lifecycle anyway).
absl::StatusOr<RetryPolicy> RetryPolicyOf(Store* store,
                                          const std::string& tenant,
                                          const std::string& pipeline_id) {
  auto pipeline = store->GetPipeline(tenant, pipeline_id);
  if (pipeline.ok()) return pipeline->retry_policy;
  if (pipeline.status().code() == absl::StatusCode::kNotFound) {
    return RetryPolicy();
  }
  return pipeline.status();
}

grpc::Status Abandoned() {
  return grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
}

}  // namespace

grpc::Status WorkerServiceImpl::LeaseJob(grpc::ServerContext* context,
                                         const v1::LeaseJobRequest* request,
                                         v1::LeaseJobResponse* response) {
  auto principal = authorizer_->Authorize(*context, kActionWorkersLease);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateLeaseJobRequest(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const std::string& tenant = principal->tenant;

  LeaseQuery query;
  for (int kind : request->kinds()) {
    query.kinds.push_back(static_cast<JobKind>(kind));
  }
  query.pipeline_ids.assign(request->pipeline_ids().begin(),
                            request->pipeline_ids().end());

  // The decide function runs on the store's writer thread and must not call
  // the store: pipeline lease durations are read before, once per call (a
  // pipeline created during the poll is read when first met).
  auto durations = LoadLeaseDurations(store_, tenant);
  if (!durations.ok()) return ToGrpcStatus(durations.status());
  for (int i = 0; i < request->pipeline_ids_size(); ++i) {
    if (!durations->contains(request->pipeline_ids(i))) {
      return ToGrpcStatus(
          ErrorWithReason(absl::StatusCode::kNotFound, kReasonPipelineNotFound,
                          absl::StrCat("pipeline_ids[", i, "]: pipeline ",
                                       request->pipeline_ids(i), " not found"),
                          absl::StrCat("pipeline_ids[", i, "]")));
    }
  }
  std::optional<absl::Duration> requested_duration;
  if (request->has_lease_duration()) {
    requested_duration = FromDurationProto(request->lease_duration());
  }
  const absl::Duration wait = request->has_wait_timeout()
                                  ? FromDurationProto(request->wait_timeout())
                                  : absl::ZeroDuration();
  const LongPoll poll(hub_, context, LongPoll::DeadlineFor(*context, wait));

  // `decide` runs on the store's writer thread, also for a registered wait
  // in a later commit; it writes `unknown_pipeline`, read only once the
  // store answered or settled the wait.
  std::string unknown_pipeline;
  std::string nonce;
  const JobDecisionAt decide = [&](const Job& job,
                                   absl::Time now) -> absl::StatusOr<Job> {
    absl::Duration duration;
    if (requested_duration.has_value()) {
      duration = *requested_duration;
    } else {
      auto it = durations->find(job.pipeline_id);
      if (it == durations->end()) {
        unknown_pipeline = job.pipeline_id;
        return absl::AbortedError("pipeline not read yet");
      }
      duration = it->second;
    }
    LeaseGrant grant;
    grant.worker_id = request->worker_id();
    grant.lease_id = LeaseIdOf(nonce, duration);
    grant.duration = duration;
    return JobLifecycle::Lease(job, grant, now);
  };
  // Declared after everything `decide` uses, so it ends first.
  std::unique_ptr<LeaseWait> lease_wait;

  bool last_look = false;
  for (;;) {
    // Read the generation before looking, so a commit after the look (or a
    // wait settled by it) wakes the wait below.
    const int64_t seen = hub_->Generation();
    const bool may_wait = !last_look && !poll.Expired();
    std::optional<absl::StatusOr<Job>> outcome;
    if (lease_wait != nullptr) {
      outcome = may_wait ? lease_wait->Outcome() : lease_wait->End();
    } else {
      unknown_pipeline.clear();
      nonce = RandomHex(kLeaseNonceHexDigits / 2);
      LeaseQuery now_query = query;
      now_query.now = CurrentTime();
      if (may_wait) {
        // A job that becomes dispatchable later is leased to this call in
        // the transaction that made it so.
        auto found = store_->LeaseNextJobOrWait(tenant, now_query, decide);
        if (!found.ok()) {
          outcome = found.status();
        } else if (found->job.has_value()) {
          outcome = *std::move(found->job);
        } else {
          lease_wait = std::move(found->wait);
        }
      } else {
        auto found = store_->LeaseNextJob(
            tenant, now_query,
            [&](const Job& job) { return decide(job, now_query.now); });
        if (!found.ok()) {
          outcome = found.status();
        } else if (found->has_value()) {
          outcome = **std::move(found);
        }
      }
    }
    if (outcome.has_value()) {
      lease_wait.reset();
      if (!outcome->ok() && !unknown_pipeline.empty()) {
        auto policy = RetryPolicyOf(store_, tenant, unknown_pipeline);
        if (!policy.ok()) return ToGrpcStatus(policy.status());
        (*durations)[unknown_pipeline] = policy->lease_duration;
        continue;
      }
      if (!outcome->ok()) return ToGrpcStatus(outcome->status());
      const Job& job = **outcome;
      JobToProto(job, response->mutable_job());
      v1::Lease* lease = response->mutable_lease();
      lease->set_job_id(job.id);
      lease->set_lease_id(job.lease_id);
      if (job.lease_expire_time) {
        *lease->mutable_expire_time() = ToTimestamp(*job.lease_expire_time);
      }
      lease->set_attempt(job.attempt_count);
      return grpc::Status::OK;
    }
    if (!may_wait) return grpc::Status::OK;  // nothing came: answer empty
    switch (poll.Wait(seen)) {
      case LongPollNext::kLookAgain:
        break;
      case LongPollNext::kLastLook:
        last_look = true;
        break;
      case LongPollNext::kAbandon:
        // A job leased to the wait just before stays leased to this
        // worker id until its lease expires.
        return Abandoned();
    }
  }
}

grpc::Status WorkerServiceImpl::RenewLease(grpc::ServerContext* context,
                                           const v1::RenewLeaseRequest* request,
                                           v1::RenewLeaseResponse* response) {
  auto principal = authorizer_->Authorize(*context, kActionWorkersRenew);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateRenewLeaseRequest(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  // A lease_id that records no duration cannot be the job's current lease
  // (fencing refuses it below); the default only keeps the code total.
  const absl::Duration duration = LeaseDurationOf(request->lease_id())
                                      .value_or(RetryPolicy().lease_duration);
  const absl::Time now = CurrentTime();
  auto job = store_->UpdateJob(
      principal->tenant, request->job_id(), [&](const Job& current) {
        return JobLifecycle::Renew(current, request->lease_id(), duration, now);
      });
  if (!job.ok()) return ToGrpcStatus(job.status());
  if (job->lease_expire_time) {
    *response->mutable_expire_time() = ToTimestamp(*job->lease_expire_time);
  }
  response->set_cancel_requested(job->state == JobState::kCanceling);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::CompleteJob(
    grpc::ServerContext* context, const v1::CompleteJobRequest* request,
    v1::Job* response) {
  auto principal = authorizer_->Authorize(*context, kActionWorkersComplete);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateCompleteJobRequest(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const std::string result = request->has_result()
                                 ? SerializeDeterministically(request->result())
                                 : std::string();
  const absl::Time now = CurrentTime();
  auto job = store_->UpdateJob(principal->tenant, request->job_id(),
                               [&](const Job& current) {
                                 return JobLifecycle::Complete(
                                     current, request->lease_id(), result, now);
                               });
  if (!job.ok()) return ToGrpcStatus(job.status());
  JobToProto(*job, response);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::FailJob(grpc::ServerContext* context,
                                        const v1::FailJobRequest* request,
                                        v1::Job* response) {
  auto principal = authorizer_->Authorize(*context, kActionWorkersFail);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateFailJobRequest(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const std::string& tenant = principal->tenant;
  // The policy is read outside the decide function (which must not call the
  // store); a job never changes pipeline, so it is the right one.
  auto current = store_->GetJob(tenant, request->job_id());
  if (!current.ok()) return ToGrpcStatus(current.status());
  auto policy = RetryPolicyOf(store_, tenant, current->pipeline_id);
  if (!policy.ok()) return ToGrpcStatus(policy.status());

  JobError error;
  error.code = request->error().code();
  error.message = request->error().message();
  absl::BitGen random;
  const double jitter = absl::Uniform(random, 0.0, 1.0);
  const absl::Time now = CurrentTime();
  auto job = store_->UpdateJob(tenant, request->job_id(), [&](const Job& job) {
    return JobLifecycle::Fail(job, request->lease_id(), error,
                              request->retryable(), *policy, jitter, now);
  });
  if (!job.ok()) return ToGrpcStatus(job.status());
  JobToProto(*job, response);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::AcknowledgeCancel(
    grpc::ServerContext* context, const v1::AcknowledgeCancelRequest* request,
    v1::Job* response) {
  auto principal = authorizer_->Authorize(*context, kActionWorkersFail);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (auto s = ValidateAcknowledgeCancelRequest(*request); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const absl::Time now = CurrentTime();
  auto job = store_->UpdateJob(principal->tenant, request->job_id(),
                               [&](const Job& current) {
                                 return JobLifecycle::AcknowledgeCancel(
                                     current, request->lease_id(), now);
                               });
  if (!job.ok()) return ToGrpcStatus(job.status());
  JobToProto(*job, response);
  return grpc::Status::OK;
}

}  // namespace jobcontrol
