#include "server/api/request_validation.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/util/json_util.h"
#include "server/core/error_reason.h"
#include "server/core/ids.h"
#include "server/core/pipeline.h"

namespace jobcontrol {
namespace {

using google::protobuf::Duration;

absl::Status CheckLength(absl::string_view field, absl::string_view value,
                         size_t max_bytes) {
  if (value.size() > max_bytes) {
    return InvalidFieldError(field, absl::StrCat("longer than ", max_bytes,
                                                 " bytes (", value.size(),
                                                 ")"));
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
          field, absl::StrCat("may contain only letters, digits and \"",
                              extra, "\""));
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
        field, "not a valid timestamp (0001-01-01 to 9999-12-31, nanos "
               "0..999999999)");
  }
  return absl::OkStatus();
}

bool Before(const Duration& a, const Duration& b) {
  return a.seconds() < b.seconds() ||
         (a.seconds() == b.seconds() && a.nanos() < b.nanos());
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
      if (auto s = CheckTokenChars(field + ".media_id", media.media_id(), "_.-");
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
    google::protobuf::Struct object;
    if (!google::protobuf::util::JsonStringToMessage(spec.config_json(),
                                                     &object)
             .ok()) {
      return InvalidFieldError(f + ".config_json", "not a JSON object");
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
      if (auto s = CheckDuration(fi + ".timeline_start", input.timeline_start());
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
      return InvalidFieldError(
          absl::StrCat(f, ".settings[", key, "]"),
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
  return InvalidFieldError(field, absl::StrCat("must be between ", kMinPriority,
                                               " and ", kMaxPriority, ", got ",
                                               priority));
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

absl::Status ValidateResourceId(absl::string_view field,
                                absl::string_view id) {
  if (id.empty()) return MissingFieldError(field);
  if (!IsValidResourceId(id)) {
    return InvalidFieldError(field, "must be 32 lowercase hex characters");
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
  return CheckPriority("pipeline.priority", p.priority(), true);
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
    } else {
      return InvalidFieldError(
          "update_mask",
          absl::StrCat("unknown or immutable path \"", path,
                       "\"; updatable: name, state, priority"));
    }
  }
  return absl::OkStatus();
}

}  // namespace jobcontrol
