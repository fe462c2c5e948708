#include "server/gateway/ice_json.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"

namespace jobcontrol {
namespace gateway {
namespace {

bool ParseJsonObject(absl::string_view json, google::protobuf::Struct* out) {
  // A Struct accepts exactly JSON objects.
  return google::protobuf::util::JsonStringToMessage(
             std::string(json.data(), json.size()), out)
      .ok();
}

}  // namespace

const char* IceDnaJobStatus(v1::Job::State state) {
  switch (state) {
    case v1::Job::QUEUED:
      return "Queuing";
    case v1::Job::RUNNING:
    case v1::Job::CANCELING:
      return "Analysing";
    case v1::Job::SUCCEEDED:
      return "Success";
    case v1::Job::FAILED:
      return "Fail";
    case v1::Job::CANCELED:
      return "Canceled";
    default:
      return "Queuing";
  }
}

const char* IcePipelineStatus(v1::Pipeline::State state) {
  return state == v1::Pipeline::PAUSED ? "Paused" : "Active";
}

std::string IceTime(const google::protobuf::Timestamp& time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                          absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

JsonObject IceDnaJobJson(const v1::Job& job) {
  const v1::DnaAnalysisSpec& dna = job.dna_analysis();
  JsonObject out;
  out.Add("Id", job.id());
  out.Add("DBId", dna.db_id());
  out.Add("PrimaryKey", dna.primary_key());
  out.Add("Status", IceDnaJobStatus(job.state()));
  if (job.state() == v1::Job::FAILED && job.has_error()) {
    std::string code = "InternalError";
    for (const auto& any : job.error().details()) {
      google::rpc::ErrorInfo info;
      if (any.UnpackTo(&info) && !info.reason().empty()) code = info.reason();
    }
    out.Add("Code", code);
    out.Add("Message", job.error().message());
  }
  if (!dna.config_json().empty()) out.Add("Config", dna.config_json());
  if (job.has_create_time())
    out.Add("CreationTime", IceTime(job.create_time()));
  if (job.has_end_time()) out.Add("FinishTime", IceTime(job.end_time()));
  if (job.has_result() && !job.result().output_uri().empty()) {
    out.Add("DNAResult", job.result().output_uri());
  }
  JsonObject input;
  if (dna.input().source_case() == v1::MediaReference::kMediaId) {
    input.Add("Media", dna.input().media_id()).Add("Type", "Media");
  } else {
    input.Add("Media", dna.input().uri()).Add("Type", "OSS");
  }
  out.AddObject("Input", input);
  if (!job.user_data().empty()) out.Add("UserData", job.user_data());
  return out;
}

JsonObject IcePipelineJson(const v1::Pipeline& pipeline) {
  JsonObject out;
  out.Add("PipelineId", pipeline.id());
  out.Add("Name", pipeline.name());
  out.AddInt("Priority", pipeline.priority());
  // Speed is not stored (docs/gateway.md): every pipeline is Standard.
  out.Add("Speed", "Standard");
  out.Add("Status", IcePipelineStatus(pipeline.state()));
  out.Add("CreateTime", IceTime(pipeline.create_time()));
  out.Add("ModifiedTime", IceTime(pipeline.update_time()));
  return out;
}

std::optional<IceError> ParseIceInput(absl::string_view json,
                                      v1::MediaReference* media) {
  google::protobuf::Struct input;
  if (!ParseJsonObject(json, &input)) return IceJsonFormatInvalid("Input");
  const auto& fields = input.fields();
  auto media_it = fields.find("Media");
  auto type_it = fields.find("Type");
  if (media_it == fields.end()) return IceMissingParameter("Input.Media");
  if (type_it == fields.end()) return IceMissingParameter("Input.Type");
  if (media_it->second.kind_case() != google::protobuf::Value::kStringValue ||
      media_it->second.string_value().empty()) {
    return IceInvalidParameter("Input.Media", "It must be a non-empty string.");
  }
  const google::protobuf::Value& type = type_it->second;
  if (type.kind_case() == google::protobuf::Value::kStringValue &&
      type.string_value() == "OSS") {
    media->set_uri(media_it->second.string_value());
  } else if (type.kind_case() == google::protobuf::Value::kStringValue &&
             type.string_value() == "Media") {
    media->set_media_id(media_it->second.string_value());
  } else {
    return IceInvalidParameter("Input.Type", "It must be OSS or Media.");
  }
  return std::nullopt;
}

bool IsJsonObject(absl::string_view json) {
  google::protobuf::Struct object;
  return ParseJsonObject(json, &object);
}

}  // namespace gateway
}  // namespace jobcontrol
