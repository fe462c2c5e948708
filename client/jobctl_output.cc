#include "client/jobctl_output.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/jobcontrol_client.h"
#include "client/table_printer.h"
#include "google/protobuf/util/json_util.h"

namespace jobcontrol {
namespace {

constexpr size_t kUserDataColumnWidth = 32;

bool IsSet(const google::protobuf::Timestamp& time) {
  return time.seconds() != 0 || time.nanos() != 0;
}

absl::Time ToAbslTime(const google::protobuf::Timestamp& time) {
  return absl::FromUnixSeconds(time.seconds()) +
         absl::Nanoseconds(time.nanos());
}

// "2024-05-01T12:00:00Z" for tables; "-" if unset.
std::string TableTime(const google::protobuf::Timestamp& time) {
  if (!IsSet(time)) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", ToAbslTime(time),
                          absl::UTCTimeZone());
}

// RFC 3339 UTC with the fraction of a second, for key/value views.
std::string DetailTime(const google::protobuf::Timestamp& time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", ToAbslTime(time),
                          absl::UTCTimeZone());
}

std::string FormatDuration(const google::protobuf::Duration& duration) {
  return absl::FormatDuration(absl::Seconds(duration.seconds()) +
                              absl::Nanoseconds(duration.nanos()));
}

std::string Shortened(const std::string& text, size_t width) {
  if (text.size() <= width) return text;
  // Cut at a UTF-8 character boundary.
  size_t cut = width - 3;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return text.substr(0, cut) + "...";
}

std::string MediaText(const v1::MediaReference& media) {
  std::string text;
  switch (media.source_case()) {
    case v1::MediaReference::kUri:
      text = media.uri();
      break;
    case v1::MediaReference::kMediaId:
      text = absl::StrCat("media_id:", media.media_id());
      break;
    case v1::MediaReference::SOURCE_NOT_SET:
      text = "-";
      break;
  }
  if (!media.region().empty()) {
    absl::StrAppend(&text, " (region ", media.region(), ")");
  }
  return text;
}

std::string EditingInputText(const v1::EditingInput& input) {
  std::string text = MediaText(input.media());
  if (input.has_timeline_start() || input.has_timeline_end()) {
    absl::StrAppend(
        &text, " @",
        input.has_timeline_start() ? FormatDuration(input.timeline_start())
                                   : "",
        "-",
        input.has_timeline_end() ? FormatDuration(input.timeline_end()) : "");
  }
  return text;
}

std::string StatusCodeName(int code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// Adds "key value" to a key/value view unless `value` is empty.
void AddDetail(TablePrinter& view, std::string key, std::string value) {
  if (!value.empty()) view.AddRow({std::move(key), std::move(value)});
}

}  // namespace

std::string JobKindName(v1::JobKind kind) {
  switch (kind) {
    case v1::JOB_KIND_DNA_ANALYSIS:
      return "dna";
    case v1::JOB_KIND_EDITING:
      return "editing";
    default:
      return "unspecified";
  }
}

std::string JobsTable(const google::protobuf::RepeatedPtrField<v1::Job>& jobs) {
  TablePrinter table(
      {"ID", "STATE", "KIND", "PIPELINE", "PRIORITY", "CREATED", "USER_DATA"});
  for (const v1::Job& job : jobs) {
    table.AddRow({job.id(), v1::Job::State_Name(job.state()),
                  JobKindName(job.kind()), job.pipeline_id(),
                  absl::StrCat(job.priority()), TableTime(job.create_time()),
                  Shortened(job.user_data(), kUserDataColumnWidth)});
  }
  return table.Render();
}

std::string PipelinesTable(
    const google::protobuf::RepeatedPtrField<v1::Pipeline>& pipelines) {
  TablePrinter table({"ID", "NAME", "STATE", "PRIORITY", "DEFAULT", "CREATED"});
  for (const v1::Pipeline& pipeline : pipelines) {
    table.AddRow({pipeline.id(), pipeline.name(),
                  v1::Pipeline::State_Name(pipeline.state()),
                  absl::StrCat(pipeline.priority()),
                  pipeline.is_default() ? "yes" : "no",
                  TableTime(pipeline.create_time())});
  }
  return table.Render();
}

std::string JobDetails(const v1::Job& job) {
  TablePrinter view({});
  AddDetail(view, "id", job.id());
  AddDetail(view, "state", v1::Job::State_Name(job.state()));
  AddDetail(view, "kind", JobKindName(job.kind()));
  AddDetail(view, "pipeline_id", job.pipeline_id());
  AddDetail(view, "priority", absl::StrCat(job.priority()));
  AddDetail(view, "user_data", job.user_data());
  if (job.has_dna_analysis()) {
    const v1::DnaAnalysisSpec& dna = job.dna_analysis();
    AddDetail(view, "dna_analysis.db_id", dna.db_id());
    AddDetail(view, "dna_analysis.primary_key", dna.primary_key());
    AddDetail(view, "dna_analysis.input", MediaText(dna.input()));
    AddDetail(view, "dna_analysis.config_json", dna.config_json());
    AddDetail(view, "dna_analysis.template_id", dna.template_id());
  }
  if (job.has_editing()) {
    const v1::EditingSpec& editing = job.editing();
    for (int i = 0; i < editing.inputs_size(); ++i) {
      AddDetail(view, absl::StrCat("editing.inputs[", i, "]"),
                EditingInputText(editing.inputs(i)));
    }
    AddDetail(view, "editing.output.uri", editing.output().uri());
    AddDetail(view, "editing.output.region", editing.output().region());
    AddDetail(view, "editing.output.file_name", editing.output().file_name());
    // Sorted: protobuf map iteration order is unspecified.
    std::vector<std::string> keys;
    for (const auto& [key, value] : editing.settings()) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    for (const std::string& key : keys) {
      view.AddRow(
          {absl::StrCat("editing.settings.", key), editing.settings().at(key)});
    }
  }
  if (IsSet(job.create_time())) {
    AddDetail(view, "create_time", DetailTime(job.create_time()));
  }
  if (IsSet(job.start_time())) {
    AddDetail(view, "start_time", DetailTime(job.start_time()));
  }
  if (IsSet(job.end_time())) {
    AddDetail(view, "end_time", DetailTime(job.end_time()));
  }
  if (IsSet(job.update_time())) {
    AddDetail(view, "update_time", DetailTime(job.update_time()));
  }
  AddDetail(view, "attempt_count", absl::StrCat(job.attempt_count()));
  if (job.max_attempts() > 0) {
    AddDetail(view, "max_attempts", absl::StrCat(job.max_attempts()));
  }
  AddDetail(view, "worker_id", job.worker_id());
  if (IsSet(job.lease_expire_time())) {
    AddDetail(view, "lease_expire_time", DetailTime(job.lease_expire_time()));
  }
  if (IsSet(job.next_attempt_time())) {
    AddDetail(view, "next_attempt_time", DetailTime(job.next_attempt_time()));
  }
  if (job.has_result()) {
    AddDetail(view, "result.output_uri", job.result().output_uri());
    AddDetail(view, "result.details_json", job.result().details_json());
  }
  if (job.has_error()) {
    AddDetail(view, "error",
              absl::StrCat(StatusCodeName(job.error().code()), ": ",
                           job.error().message()));
  }
  AddDetail(view, "etag", job.etag());
  if (job.version() > 0)
    AddDetail(view, "version", absl::StrCat(job.version()));
  return view.Render();
}

std::string WatchLine(const v1::Job& job) {
  std::string line = absl::StrFormat(
      "%s  v%d  %-9s  attempt %d", DetailTime(job.update_time()), job.version(),
      v1::Job::State_Name(job.state()), job.attempt_count());
  if (job.max_attempts() > 0) absl::StrAppend(&line, "/", job.max_attempts());
  if (!job.worker_id().empty()) {
    absl::StrAppend(&line, "  worker ", job.worker_id());
  }
  if (IsSet(job.next_attempt_time())) {
    absl::StrAppend(&line, "  next attempt ",
                    DetailTime(job.next_attempt_time()));
  }
  if (job.has_result() && !job.result().output_uri().empty()) {
    absl::StrAppend(&line, "  output ", job.result().output_uri());
  }
  if (job.has_error()) {
    absl::StrAppend(&line, "  error ", StatusCodeName(job.error().code()), ": ",
                    job.error().message());
  }
  return EscapeControlCharacters(line) + "\n";
}

std::string PipelineDetails(const v1::Pipeline& pipeline) {
  TablePrinter view({});
  AddDetail(view, "id", pipeline.id());
  AddDetail(view, "name", pipeline.name());
  AddDetail(view, "state", v1::Pipeline::State_Name(pipeline.state()));
  AddDetail(view, "priority", absl::StrCat(pipeline.priority()));
  AddDetail(view, "is_default", pipeline.is_default() ? "true" : "false");
  AddDetail(view, "max_running_jobs",
            pipeline.max_running_jobs() == 0
                ? "0 (no limit)"
                : absl::StrCat(pipeline.max_running_jobs()));
  if (pipeline.has_retry_policy()) {
    const v1::RetryPolicy& policy = pipeline.retry_policy();
    AddDetail(view, "retry_policy.max_attempts",
              absl::StrCat(policy.max_attempts()));
    if (policy.has_initial_backoff()) {
      AddDetail(view, "retry_policy.initial_backoff",
                FormatDuration(policy.initial_backoff()));
    }
    if (policy.has_max_backoff()) {
      AddDetail(view, "retry_policy.max_backoff",
                FormatDuration(policy.max_backoff()));
    }
    if (policy.has_lease_duration()) {
      AddDetail(view, "retry_policy.lease_duration",
                FormatDuration(policy.lease_duration()));
    }
  }
  if (IsSet(pipeline.create_time())) {
    AddDetail(view, "create_time", DetailTime(pipeline.create_time()));
  }
  if (IsSet(pipeline.update_time())) {
    AddDetail(view, "update_time", DetailTime(pipeline.update_time()));
  }
  AddDetail(view, "etag", pipeline.etag());
  return view.Render();
}

absl::StatusOr<std::string> JsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  const auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print the response as JSON: ", status.ToString()));
  }
  return json + "\n";
}

std::string ServerErrorLine(const absl::Status& status) {
  const std::string code = absl::StatusCodeToString(status.code());
  std::vector<std::string> parts;
  const std::string reason = ErrorReason(status);
  if (!reason.empty() && reason != code) parts.push_back(reason);
  const std::string field = ErrorField(status);
  if (!field.empty()) parts.push_back(absl::StrCat("field ", field));
  std::string line = absl::StrCat("jobctl: ", code);
  if (!parts.empty()) {
    absl::StrAppend(&line, " (", absl::StrJoin(parts, ", "), ")");
  }
  if (!status.message().empty()) absl::StrAppend(&line, ": ", status.message());
  return line;
}

}  // namespace jobcontrol
