#include "server/api/request_validation.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "nlohmann/json.hpp"
#include "server/core/error_reason.h"
#include "server/core/ids.h"
#include "server/core/pipeline.h"
#include "server/core/retry_policy.h"

namespace jobcontrol {
namespace {

using google::protobuf::Duration;

absl::Status CheckLength(absl::string_view field, absl::string_view value,
                         size_t max_bytes) {
  if (value.size() > max_bytes) {
    return InvalidFieldError(
        field,
        absl::StrCat("longer than ", max_bytes, " bytes (", value.size(), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckRequired(absl::string_view field, absl::string_view value,
                           size_t max_bytes) {
  if (value.empty()) return MissingFieldError(field);
  return CheckLength(field, value, max_bytes);
}

bool IsTokenChar(char c, absl::string_view extra) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || extra.find(c) != absl::string_view::npos;
}

absl::Status CheckTokenChars(absl::string_view field, absl::string_view value,
                             absl::string_view extra) {
  for (char c : value) {
    if (!IsTokenChar(c, extra)) {
      return InvalidFieldError(
          field,
          absl::StrCat("may contain only letters, digits and \"", extra, "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNoControlChars(absl::string_view field,
                                 absl::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidFieldError(field, "contains control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(absl::string_view field, const Duration& d) {
  if (d.seconds() < 0 || d.nanos() < 0 || d.nanos() > 999999999) {
    return InvalidFieldError(field, "must be a non-negative duration");
  }
  return absl::OkStatus();
}

// A well-formed Timestamp: nanos in [0, 1e9), seconds within
// 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z (the range the type allows).
absl::Status CheckTimestamp(absl::string_view field,
                            const google::protobuf::Timestamp& t) {
  constexpr int64_t kMinSeconds = -62135596800;
  constexpr int64_t kMaxSeconds = 253402300799;
  if (t.nanos() < 0 || t.nanos() > 999999999 || t.seconds() < kMinSeconds ||
      t.seconds() > kMaxSeconds) {
    return InvalidFieldError(
        field,
        "not a valid timestamp (0001-01-01 to 9999-12-31, nanos "
        "0..999999999)");
  }
  return absl::OkStatus();
}

// A non-negative, well-formed duration within [min, max].
absl::Status CheckDurationRange(absl::string_view field, const Duration& d,
                                absl::Duration min, absl::Duration max) {
  if (auto s = CheckDuration(field, d); !s.ok()) return s;
  const absl::Duration value =
      absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  if (value < min || value > max) {
    return InvalidFieldError(
        field, absl::StrCat("must be between ", absl::FormatDuration(min),
                            " and ", absl::FormatDuration(max), ", got ",
                            absl::FormatDuration(value)));
  }
  return absl::OkStatus();
}

absl::Status CheckIntRange(absl::string_view field, int64_t value, int64_t min,
                           int64_t max) {
  if (value < min || value > max) {
    return InvalidFieldError(
        field,
        absl::StrCat("must be between ", min, " and ", max, ", got ", value));
  }
  return absl::OkStatus();
}

bool Before(const Duration& a, const Duration& b) {
  return a.seconds() < b.seconds() ||
         (a.seconds() == b.seconds() && a.nanos() < b.nanos());
}

// RFC 8259 JSON whose top-level value is an object. nlohmann's accept()
// checks the text (UTF-8 included) without building a document: about 40
// times cheaper than parsing into a google.protobuf.Struct, which was a
// fifth of a SubmitJob's CPU.
absl::Status CheckJsonObject(absl::string_view field, const std::string& json) {
  const size_t first = json.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || json[first] != '{' ||
      !nlohmann::json::accept(json)) {
    return InvalidFieldError(field, "not a JSON object");
  }
  return absl::OkStatus();
}

absl::Status CheckMedia(const std::string& field,
                        const v1::MediaReference& media) {
  switch (media.source_case()) {
    case v1::MediaReference::kUri:
      if (auto s = CheckRequired(field + ".uri", media.uri(), 2048); !s.ok()) {
        return s;
      }
      if (auto s = CheckNoControlChars(field + ".uri", media.uri()); !s.ok()) {
        return s;
      }
      break;
    case v1::MediaReference::kMediaId:
      if (auto s = CheckRequired(field + ".media_id", media.media_id(), 128);
          !s.ok()) {
        return s;
      }
      if (auto s =
              CheckTokenChars(field + ".media_id", media.media_id(), "_.-");
          !s.ok()) {
        return s;
      }
      break;
    case v1::MediaReference::SOURCE_NOT_SET:
      return MissingFieldError(field + ".source");
  }
  return CheckLength(field + ".region", media.region(), 64);
}

absl::Status CheckDnaSpec(const v1::DnaAnalysisSpec& spec) {
  const std::string f = "job.dna_analysis";
  if (auto s = CheckRequired(f + ".db_id", spec.db_id(), 128); !s.ok()) {
    return s;
  }
  if (auto s = CheckRequired(f + ".primary_key", spec.primary_key(), 128);
      !s.ok()) {
    return s;
  }
  if (!spec.has_input()) return MissingFieldError(f + ".input");
  if (auto s = CheckMedia(f + ".input", spec.input()); !s.ok()) return s;
  if (auto s = CheckLength(f + ".config_json", spec.config_json(), 4096);
      !s.ok()) {
    return s;
  }
  if (!spec.config_json().empty()) {
    if (auto s = CheckJsonObject(f + ".config_json", spec.config_json());
        !s.ok()) {
      return s;
    }
  }
  return CheckLength(f + ".template_id", spec.template_id(), 128);
}

absl::Status CheckEditingSpec(const v1::EditingSpec& spec) {
  const std::string f = "job.editing";
  if (spec.inputs().empty()) return MissingFieldError(f + ".inputs");
  if (spec.inputs_size() > 100) {
    return InvalidFieldError(f + ".inputs", "more than 100 inputs");
  }
  for (int i = 0; i < spec.inputs_size(); ++i) {
    const v1::EditingInput& input = spec.inputs(i);
    const std::string fi = absl::StrCat(f, ".inputs[", i, "]");
    if (!input.has_media()) return MissingFieldError(fi + ".media");
    if (auto s = CheckMedia(fi + ".media", input.media()); !s.ok()) return s;
    if (input.has_timeline_start()) {
      if (auto s =
              CheckDuration(fi + ".timeline_start", input.timeline_start());
          !s.ok()) {
        return s;
      }
    }
    if (input.has_timeline_end()) {
      if (auto s = CheckDuration(fi + ".timeline_end", input.timeline_end());
          !s.ok()) {
        return s;
      }
      if (input.has_timeline_start() &&
          !Before(input.timeline_start(), input.timeline_end())) {
        return InvalidFieldError(fi + ".timeline_end",
                                 "must be after timeline_start");
      }
    }
  }
  if (!spec.has_output()) return MissingFieldError(f + ".output");
  const v1::OutputLocation& out = spec.output();
  if (auto s = CheckRequired(f + ".output.uri", out.uri(), 2048); !s.ok()) {
    return s;
  }
  if (auto s = CheckLength(f + ".output.region", out.region(), 64); !s.ok()) {
    return s;
  }
  if (auto s = CheckLength(f + ".output.file_name", out.file_name(), 256);
      !s.ok()) {
    return s;
  }
  if (out.file_name().find('/') != std::string::npos) {
    return InvalidFieldError(f + ".output.file_name", "must not contain '/'");
  }
  if (spec.settings_size() > 64) {
    return InvalidFieldError(f + ".settings", "more than 64 entries");
  }
  for (const auto& [key, value] : spec.settings()) {
    if (auto s = CheckRequired(f + ".settings", key, 64); !s.ok()) {
      return InvalidFieldError(f + ".settings", "keys must be 1 to 64 bytes");
    }
    if (value.size() > 1024) {
      return InvalidFieldError(absl::StrCat(f, ".settings[", key, "]"),
                               "values must be at most 1024 bytes");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPriority(absl::string_view field, int priority,
                           bool zero_means_default) {
  if ((priority == 0 && zero_means_default) ||
      (priority >= kMinPriority && priority <= kMaxPriority)) {
    return absl::OkStatus();
  }
  return InvalidFieldError(
      field, absl::StrCat("must be between ", kMinPriority, " and ",
                          kMaxPriority, ", got ", priority));
}

absl::Status CheckPipelineName(absl::string_view field,
                               absl::string_view name) {
  if (auto s = CheckRequired(field, name, 128); !s.ok()) return s;
  return CheckNoControlChars(field, name);
}

absl::Status OutputOnly(absl::string_view field) {
  return InvalidFieldError(field, "is output only and must not be set");
}

}  // namespace

absl::Status ValidateResourceId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return MissingFieldError(field);
  if (!IsValidResourceId(id)) {
    return InvalidFieldError(field, "must be 32 lowercase hex characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateCancelJobRequest(const v1::CancelJobRequest& request) {
  if (auto s = ValidateResourceId("job_id", request.job_id()); !s.ok()) {
    return s;
  }
  if (!v1::JobKind_IsValid(request.kind())) {
    return InvalidFieldError(
        "kind", absl::StrCat("unknown job kind ", request.kind()));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> EffectivePageSize(int page_size) {
  if (page_size < 0) {
    return InvalidFieldError("page_size", "must not be negative");
  }
  if (page_size == 0) return kDefaultPageSize;
  return page_size > kMaxPageSize ? kMaxPageSize : page_size;
}

absl::Status ValidateSubmitJobRequest(const v1::SubmitJobRequest& request) {
  if (!request.request_id().empty()) {
    if (auto s = CheckLength("request_id", request.request_id(), 64); !s.ok()) {
      return s;
    }
    if (auto s = CheckTokenChars("request_id", request.request_id(), "_.:-");
        !s.ok()) {
      return s;
    }
  }
  if (!request.has_job()) return MissingFieldError("job");
  const v1::Job& job = request.job();
  if (!job.id().empty()) return OutputOnly("job.id");
  if (job.state() != v1::Job::STATE_UNSPECIFIED) return OutputOnly("job.state");
  if (job.kind() != v1::JOB_KIND_UNSPECIFIED) return OutputOnly("job.kind");
  if (job.has_create_time()) return OutputOnly("job.create_time");
  if (job.has_start_time()) return OutputOnly("job.start_time");
  if (job.has_end_time()) return OutputOnly("job.end_time");
  if (job.has_update_time()) return OutputOnly("job.update_time");
  if (job.attempt_count() != 0) return OutputOnly("job.attempt_count");
  if (job.has_result()) return OutputOnly("job.result");
  if (job.has_error()) return OutputOnly("job.error");
  if (!job.etag().empty()) return OutputOnly("job.etag");
  if (!job.worker_id().empty()) return OutputOnly("job.worker_id");
  if (job.has_lease_expire_time()) return OutputOnly("job.lease_expire_time");
  if (job.has_next_attempt_time()) return OutputOnly("job.next_attempt_time");
  if (job.version() != 0) return OutputOnly("job.version");
  switch (job.spec_case()) {
    case v1::Job::kDnaAnalysis:
      if (auto s = CheckDnaSpec(job.dna_analysis()); !s.ok()) return s;
      break;
    case v1::Job::kEditing:
      if (auto s = CheckEditingSpec(job.editing()); !s.ok()) return s;
      break;
    case v1::Job::SPEC_NOT_SET:
      return MissingFieldError("job.spec");
  }
  if (!job.pipeline_id().empty()) {
    if (auto s = ValidateResourceId("job.pipeline_id", job.pipeline_id());
        !s.ok()) {
      return s;
    }
  }
  if (auto s = CheckPriority("job.priority", job.priority(), true); !s.ok()) {
    return s;
  }
  if (auto s = CheckIntRange("job.max_attempts", job.max_attempts(), 0,
                             kMaxAttemptsLimit);
      !s.ok()) {
    return s;
  }
  return CheckLength("job.user_data", job.user_data(), kMaxUserDataBytes);
}

absl::Status ValidateJobFilter(const v1::JobFilter& filter) {
  for (int state : filter.states()) {
    if (state == v1::Job::STATE_UNSPECIFIED || !v1::Job::State_IsValid(state)) {
      return InvalidFieldError("filter.states",
                               absl::StrCat("unknown job state ", state));
    }
  }
  if (!filter.pipeline_id().empty()) {
    if (auto s = ValidateResourceId("filter.pipeline_id", filter.pipeline_id());
        !s.ok()) {
      return s;
    }
  }
  if (!v1::JobKind_IsValid(filter.kind())) {
    return InvalidFieldError("filter.kind",
                             absl::StrCat("unknown job kind ", filter.kind()));
  }
  if (filter.has_create_time_from()) {
    if (auto s = CheckTimestamp("filter.create_time_from",
                                filter.create_time_from());
        !s.ok()) {
      return s;
    }
  }
  if (filter.has_create_time_to()) {
    if (auto s =
            CheckTimestamp("filter.create_time_to", filter.create_time_to());
        !s.ok()) {
      return s;
    }
  }
  if (filter.has_create_time_from() && filter.has_create_time_to()) {
    const auto& from = filter.create_time_from();
    const auto& to = filter.create_time_to();
    if (to.seconds() < from.seconds() ||
        (to.seconds() == from.seconds() && to.nanos() <= from.nanos())) {
      return InvalidFieldError("filter.create_time_to",
                               "must be after create_time_from");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCreatePipelineRequest(
    const v1::CreatePipelineRequest& request) {
  if (!request.has_pipeline()) return MissingFieldError("pipeline");
  const v1::Pipeline& p = request.pipeline();
  if (!p.id().empty()) return OutputOnly("pipeline.id");
  if (p.is_default()) return OutputOnly("pipeline.is_default");
  if (p.has_create_time()) return OutputOnly("pipeline.create_time");
  if (p.has_update_time()) return OutputOnly("pipeline.update_time");
  if (!p.etag().empty()) return OutputOnly("pipeline.etag");
  if (auto s = CheckPipelineName("pipeline.name", p.name()); !s.ok()) return s;
  if (!v1::Pipeline::State_IsValid(p.state())) {
    return InvalidFieldError("pipeline.state", "unknown pipeline state");
  }
  if (auto s = CheckPriority("pipeline.priority", p.priority(), true);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckIntRange("pipeline.max_running_jobs", p.max_running_jobs(),
                             0, kMaxRunningJobsLimit);
      !s.ok()) {
    return s;
  }
  return ValidateRetryPolicy("pipeline.retry_policy", p.retry_policy());
}

absl::Status ValidateUpdatePipelineRequest(
    const v1::UpdatePipelineRequest& request) {
  if (!request.has_pipeline()) return MissingFieldError("pipeline");
  const v1::Pipeline& p = request.pipeline();
  if (auto s = ValidateResourceId("pipeline.id", p.id()); !s.ok()) return s;
  if (!request.has_update_mask() || request.update_mask().paths().empty()) {
    return MissingFieldError("update_mask");
  }
  for (const std::string& path : request.update_mask().paths()) {
    if (path == "name") {
      if (auto s = CheckPipelineName("pipeline.name", p.name()); !s.ok()) {
        return s;
      }
    } else if (path == "state") {
      if (p.state() != v1::Pipeline::ACTIVE &&
          p.state() != v1::Pipeline::PAUSED) {
        return InvalidFieldError("pipeline.state", "must be ACTIVE or PAUSED");
      }
    } else if (path == "priority") {
      if (auto s = CheckPriority("pipeline.priority", p.priority(), false);
          !s.ok()) {
        return s;
      }
    } else if (path == "max_running_jobs") {
      if (auto s = CheckIntRange("pipeline.max_running_jobs",
                                 p.max_running_jobs(), 0, kMaxRunningJobsLimit);
          !s.ok()) {
        return s;
      }
    } else if (path == "retry_policy") {
      if (auto s =
              ValidateRetryPolicy("pipeline.retry_policy", p.retry_policy());
          !s.ok()) {
        return s;
      }
    } else {
      return InvalidFieldError(
          "update_mask", absl::StrCat("unknown or immutable path \"", path,
                                      "\"; updatable: name, state, priority, "
                                      "max_running_jobs, retry_policy"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRetryPolicy(absl::string_view field,
                                 const v1::RetryPolicy& policy) {
  const std::string f(field);
  if (auto s = CheckIntRange(f + ".max_attempts", policy.max_attempts(), 0,
                             kMaxAttemptsLimit);
      !s.ok()) {
    return s;
  }
  const RetryPolicy defaults;
  absl::Duration initial = defaults.initial_backoff;
  if (policy.has_initial_backoff()) {
    if (auto s =
            CheckDurationRange(f + ".initial_backoff", policy.initial_backoff(),
                               kMinInitialBackoff, kMaxInitialBackoff);
        !s.ok()) {
      return s;
    }
    initial = absl::Seconds(policy.initial_backoff().seconds()) +
              absl::Nanoseconds(policy.initial_backoff().nanos());
  }
  if (policy.has_max_backoff()) {
    if (auto s = CheckDurationRange(f + ".max_backoff", policy.max_backoff(),
                                    absl::ZeroDuration(), kMaxMaxBackoff);
        !s.ok()) {
      return s;
    }
  }
  const absl::Duration max =
      policy.has_max_backoff()
          ? absl::Seconds(policy.max_backoff().seconds()) +
                absl::Nanoseconds(policy.max_backoff().nanos())
          : defaults.max_backoff;
  if (max < initial) {
    return InvalidFieldError(
        f + ".max_backoff",
        absl::StrCat("must be at least initial_backoff (",
                     absl::FormatDuration(initial), "), got ",
                     absl::FormatDuration(max),
                     policy.has_max_backoff() ? "" : " (the default)"));
  }
  if (policy.has_lease_duration()) {
    if (auto s =
            CheckDurationRange(f + ".lease_duration", policy.lease_duration(),
                               kMinLeaseDuration, kMaxLeaseDuration);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckWorkerId(absl::string_view field, absl::string_view id) {
  if (auto s = CheckRequired(field, id, kMaxWorkerIdBytes); !s.ok()) return s;
  return CheckTokenChars(field, id, "_.:-");
}

// job_id and lease_id of every call on a lease.
absl::Status CheckLeaseCall(absl::string_view job_id,
                            absl::string_view lease_id) {
  if (auto s = ValidateResourceId("job_id", job_id); !s.ok()) return s;
  return ValidateResourceId("lease_id", lease_id);
}

absl::Status CheckAfterVersion(int64_t after_version) {
  if (after_version < 0) {
    return InvalidFieldError(
        "after_version",
        absl::StrCat("must not be negative, got ", after_version));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateLeaseJobRequest(const v1::LeaseJobRequest& request) {
  if (auto s = CheckWorkerId("worker_id", request.worker_id()); !s.ok()) {
    return s;
  }
  for (int i = 0; i < request.kinds_size(); ++i) {
    const int kind = request.kinds(i);
    if (kind == v1::JOB_KIND_UNSPECIFIED || !v1::JobKind_IsValid(kind)) {
      return InvalidFieldError(absl::StrCat("kinds[", i, "]"),
                               absl::StrCat("unknown job kind ", kind));
    }
  }
  if (request.pipeline_ids_size() > kMaxLeasePipelines) {
    return InvalidFieldError(
        "pipeline_ids",
        absl::StrCat("more than ", kMaxLeasePipelines, " pipelines (",
                     request.pipeline_ids_size(), ")"));
  }
  for (int i = 0; i < request.pipeline_ids_size(); ++i) {
    if (auto s = ValidateResourceId(absl::StrCat("pipeline_ids[", i, "]"),
                                    request.pipeline_ids(i));
        !s.ok()) {
      return s;
    }
  }
  if (request.has_wait_timeout()) {
    if (auto s = CheckDurationRange("wait_timeout", request.wait_timeout(),
                                    absl::ZeroDuration(), kMaxLeaseWait);
        !s.ok()) {
      return s;
    }
  }
  if (request.has_lease_duration()) {
    if (auto s = CheckDurationRange("lease_duration", request.lease_duration(),
                                    kMinLeaseDuration, kMaxLeaseDuration);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRenewLeaseRequest(const v1::RenewLeaseRequest& request) {
  return CheckLeaseCall(request.job_id(), request.lease_id());
}

absl::Status ValidateCompleteJobRequest(const v1::CompleteJobRequest& request) {
  if (auto s = CheckLeaseCall(request.job_id(), request.lease_id()); !s.ok()) {
    return s;
  }
  const v1::JobResult& result = request.result();
  if (auto s = CheckLength("result.output_uri", result.output_uri(),
                           kMaxOutputUriBytes);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckLength("result.details_json", result.details_json(),
                           kMaxDetailsJsonBytes);
      !s.ok()) {
    return s;
  }
  if (!result.details_json().empty()) {
    return CheckJsonObject("result.details_json", result.details_json());
  }
  return absl::OkStatus();
}

absl::Status ValidateFailJobRequest(const v1::FailJobRequest& request) {
  if (auto s = CheckLeaseCall(request.job_id(), request.lease_id()); !s.ok()) {
    return s;
  }
  if (!request.has_error()) return MissingFieldError("error");
  // google.rpc.Code: 1 (CANCELLED) .. 16 (UNAUTHENTICATED); 0 is OK.
  if (request.error().code() == 0) {
    return InvalidFieldError("error.code", "must not be OK (0)");
  }
  if (auto s = CheckIntRange("error.code", request.error().code(), 1, 16);
      !s.ok()) {
    return s;
  }
  return CheckLength("error.message", request.error().message(),
                     kMaxErrorMessageBytes);
}

absl::Status ValidateAcknowledgeCancelRequest(
    const v1::AcknowledgeCancelRequest& request) {
  return CheckLeaseCall(request.job_id(), request.lease_id());
}

absl::Status ValidateWatchJobRequest(const v1::WatchJobRequest& request) {
  if (auto s = ValidateResourceId("job_id", request.job_id()); !s.ok()) {
    return s;
  }
  return CheckAfterVersion(request.after_version());
}

absl::Status ValidateWaitJobRequest(const v1::WaitJobRequest& request) {
  if (auto s = ValidateResourceId("job_id", request.job_id()); !s.ok()) {
    return s;
  }
  if (request.has_timeout()) {
    if (auto s = CheckDurationRange("timeout", request.timeout(),
                                    absl::ZeroDuration(), kMaxWaitJobTimeout);
        !s.ok()) {
      return s;
    }
  }
  return CheckAfterVersion(request.after_version());
}

}  // namespace jobcontrol
