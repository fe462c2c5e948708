#include "server/api/job_conversion.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "server/core/ids.h"

namespace jobcontrol {

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  const int64_t micros = absl::ToUnixMicros(time);
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    rest += 1000000;
    seconds -= 1;
  }
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(rest * 1000));
  return timestamp;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

google::protobuf::Duration ToDurationProto(absl::Duration duration) {
  const int64_t micros = absl::ToInt64Microseconds(duration);
  google::protobuf::Duration proto;
  // Seconds and nanos share the sign of the duration (C++ division truncates
  // toward zero, as the Duration type requires).
  proto.set_seconds(micros / 1000000);
  proto.set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
  return proto;
}

absl::Duration FromDurationProto(const google::protobuf::Duration& duration) {
  const absl::Duration exact =
      absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
  return absl::Microseconds(absl::ToInt64Microseconds(exact));
}

std::string EtagOf(int64_t version) { return absl::StrCat("v", version); }

void JobToProto(const Job& job, v1::Job* proto) {
  proto->Clear();
  proto->set_id(job.id);
  proto->set_state(static_cast<v1::Job::State>(job.state));
  proto->set_kind(static_cast<v1::JobKind>(job.kind));
  switch (job.kind) {
    case JobKind::kDnaAnalysis:
      proto->mutable_dna_analysis()->ParseFromString(job.spec);
      break;
    case JobKind::kEditing:
      proto->mutable_editing()->ParseFromString(job.spec);
      break;
  }
  proto->set_pipeline_id(job.pipeline_id);
  proto->set_priority(job.priority);
  proto->set_user_data(job.user_data);
  *proto->mutable_create_time() = ToTimestamp(job.create_time);
  if (job.start_time)
    *proto->mutable_start_time() = ToTimestamp(*job.start_time);
  if (job.end_time) *proto->mutable_end_time() = ToTimestamp(*job.end_time);
  *proto->mutable_update_time() = ToTimestamp(job.update_time);
  proto->set_attempt_count(job.attempt_count);
  if (!job.result.empty()) proto->mutable_result()->ParseFromString(job.result);
  if (job.error) {
    proto->mutable_error()->set_code(job.error->code);
    proto->mutable_error()->set_message(job.error->message);
  }
  proto->set_etag(EtagOf(job.version));
  proto->set_max_attempts(job.max_attempts);
  proto->set_worker_id(job.worker_id);
  if (job.lease_expire_time) {
    *proto->mutable_lease_expire_time() = ToTimestamp(*job.lease_expire_time);
  }
  if (job.next_attempt_time) {
    *proto->mutable_next_attempt_time() = ToTimestamp(*job.next_attempt_time);
  }
  proto->set_version(job.version);
}

std::string SerializeDeterministically(
    const google::protobuf::MessageLite& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&out);
  }
  return bytes;
}

void JobSpecToCore(const v1::Job& proto, Job* job) {
  if (proto.has_editing()) {
    job->kind = JobKind::kEditing;
    job->spec = SerializeDeterministically(proto.editing());
  } else {
    job->kind = JobKind::kDnaAnalysis;
    job->spec = SerializeDeterministically(proto.dna_analysis());
  }
}

void SubmittedJobToCore(const v1::Job& proto, Job* job) {
  JobSpecToCore(proto, job);
  job->pipeline_id = proto.pipeline_id();
  job->priority = proto.priority() == 0 ? kDefaultPriority : proto.priority();
  job->user_data = proto.user_data();
  job->max_attempts = proto.max_attempts();
}

v1::RetryPolicy RetryPolicyToProto(const RetryPolicy& policy) {
  v1::RetryPolicy proto;
  proto.set_max_attempts(policy.max_attempts);
  *proto.mutable_initial_backoff() = ToDurationProto(policy.initial_backoff);
  *proto.mutable_max_backoff() = ToDurationProto(policy.max_backoff);
  *proto.mutable_lease_duration() = ToDurationProto(policy.lease_duration);
  return proto;
}

RetryPolicy RetryPolicyFromProto(const v1::RetryPolicy& proto) {
  RetryPolicy policy;  // the defaults
  if (proto.max_attempts() != 0) policy.max_attempts = proto.max_attempts();
  if (proto.has_initial_backoff()) {
    policy.initial_backoff = FromDurationProto(proto.initial_backoff());
  }
  if (proto.has_max_backoff()) {
    policy.max_backoff = FromDurationProto(proto.max_backoff());
  }
  if (proto.has_lease_duration()) {
    policy.lease_duration = FromDurationProto(proto.lease_duration());
  }
  return policy;
}

void CreatedPipelineToCore(const v1::Pipeline& proto, Pipeline* pipeline) {
  pipeline->name = proto.name();
  pipeline->state = proto.state() == v1::Pipeline::PAUSED
                        ? PipelineState::kPaused
                        : PipelineState::kActive;
  pipeline->priority =
      proto.priority() == 0 ? kDefaultPriority : proto.priority();
  pipeline->max_running_jobs = proto.max_running_jobs();
  pipeline->retry_policy = RetryPolicyFromProto(proto.retry_policy());
}

JobSubmission SubmissionFromRequest(const v1::SubmitJobRequest& request,
                                    const std::string& tenant, absl::Time now) {
  const v1::Job& in = request.job();
  JobSubmission submission;
  Job& job = submission.job;
  job.tenant = tenant;
  job.id = NewResourceId(now);
  job.state = JobState::kQueued;
  SubmittedJobToCore(in, &job);
  job.create_time = now;
  job.update_time = now;
  submission.request_id = request.request_id();
  if (!submission.request_id.empty()) {
    submission.request_fingerprint = SerializeDeterministically(in);
  }
  return submission;
}

v1::Pipeline PipelineToProto(const Pipeline& pipeline) {
  v1::Pipeline proto;
  proto.set_id(pipeline.id);
  proto.set_name(pipeline.name);
  proto.set_state(static_cast<v1::Pipeline::State>(pipeline.state));
  proto.set_priority(pipeline.priority);
  proto.set_is_default(pipeline.is_default);
  *proto.mutable_create_time() = ToTimestamp(pipeline.create_time);
  *proto.mutable_update_time() = ToTimestamp(pipeline.update_time);
  proto.set_etag(EtagOf(pipeline.version));
  proto.set_max_running_jobs(pipeline.max_running_jobs);
  *proto.mutable_retry_policy() = RetryPolicyToProto(pipeline.retry_policy);
  return proto;
}

}  // namespace jobcontrol
