#include "server/gateway/mpc_json.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"

namespace jobcontrol {
namespace gateway {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

constexpr char kObsScheme[] = "obs://";
// Longest timeline value accepted: 100000 hours in seconds, far beyond any
// media, well inside a Duration.
constexpr int64_t kMaxTimelineSeconds = int64_t{360000000};

const Value* Member(const Struct& object, absl::string_view name) {
  auto it = object.fields().find(std::string(name));
  return it == object.fields().end() ? nullptr : &it->second;
}

bool IsNull(const Value* value) {
  return value == nullptr || value->kind_case() == Value::kNullValue ||
         value->kind_case() == Value::KIND_NOT_SET;
}

// A string member; `required` makes absence (or "") an error.
std::optional<MpcError> StringMember(const Struct& object,
                                     absl::string_view name,
                                     absl::string_view path, bool required,
                                     std::string* out) {
  const Value* value = Member(object, name);
  if (IsNull(value)) {
    if (required) {
      return MpcInvalidParameter(absl::StrCat(path, " is required."));
    }
    return std::nullopt;
  }
  if (value->kind_case() != Value::kStringValue) {
    return MpcInvalidParameter(absl::StrCat(path, " must be a string."));
  }
  if (required && value->string_value().empty()) {
    return MpcInvalidParameter(absl::StrCat(path, " must not be empty."));
  }
  *out = value->string_value();
  return std::nullopt;
}

std::optional<MpcError> ObjectMember(const Struct& object,
                                     absl::string_view name,
                                     absl::string_view path, bool required,
                                     const Struct** out) {
  const Value* value = Member(object, name);
  *out = nullptr;
  if (IsNull(value)) {
    if (required) {
      return MpcInvalidParameter(absl::StrCat(path, " is required."));
    }
    return std::nullopt;
  }
  if (value->kind_case() != Value::kStructValue) {
    return MpcInvalidParameter(absl::StrCat(path, " must be an object."));
  }
  *out = &value->struct_value();
  return std::nullopt;
}

// An integer member within [min, max].
std::optional<MpcError> IntegerMember(const Struct& object,
                                      absl::string_view name,
                                      absl::string_view path, int64_t min,
                                      int64_t max,
                                      std::optional<int64_t>* out) {
  const Value* value = Member(object, name);
  if (IsNull(value)) return std::nullopt;
  const std::string why =
      absl::StrCat(path, " must be an integer from ", min, " to ", max, ".");
  if (value->kind_case() != Value::kNumberValue) {
    return MpcInvalidParameter(why);
  }
  const double number = value->number_value();
  if (!(number >= static_cast<double>(min) &&
        number <= static_cast<double>(max)) ||
      std::floor(number) != number) {
    return MpcInvalidParameter(why);
  }
  *out = static_cast<int64_t>(number);
  return std::nullopt;
}

// "12", "12.5": decimal seconds, at most 9 fraction digits.
std::optional<MpcError> ParseTimeline(absl::string_view text,
                                      absl::string_view path,
                                      google::protobuf::Duration* out) {
  const MpcError error = MpcInvalidParameter(absl::StrCat(
      path,
      " must be a non-negative decimal number of seconds, e.g. \"12.5\"."));
  const size_t dot = text.find('.');
  const absl::string_view whole = text.substr(0, dot);
  const absl::string_view fraction = dot == absl::string_view::npos
                                         ? absl::string_view()
                                         : text.substr(dot + 1);
  if (whole.empty() || whole.size() > 9 || fraction.size() > 9 ||
      (dot != absl::string_view::npos && fraction.empty())) {
    return error;
  }
  int64_t seconds = 0;
  for (char c : whole) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return error;
    seconds = seconds * 10 + (c - '0');
  }
  int32_t nanos = 0;
  for (size_t i = 0; i < 9; ++i) {
    const char c = i < fraction.size() ? fraction[i] : '0';
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return error;
    nanos = nanos * 10 + (c - '0');
  }
  if (seconds > kMaxTimelineSeconds) return error;
  out->set_seconds(seconds);
  out->set_nanos(nanos);
  return std::nullopt;
}

bool DurationBefore(const google::protobuf::Duration& a,
                    const google::protobuf::Duration& b) {
  return a.seconds() < b.seconds() ||
         (a.seconds() == b.seconds() && a.nanos() < b.nanos());
}

// ObsObjInfo {bucket, location, object[, file_name]}: uri and region.
std::optional<MpcError> ParseObsObject(const Struct& object,
                                       absl::string_view path, std::string* uri,
                                       std::string* region,
                                       std::string* file_name) {
  std::string bucket, location, key;
  if (auto e = StringMember(object, "bucket", absl::StrCat(path, ".bucket"),
                            true, &bucket)) {
    return e;
  }
  if (bucket.find('/') != std::string::npos) {
    return MpcInvalidParameter(
        absl::StrCat(path, ".bucket must not contain '/'."));
  }
  if (auto e = StringMember(object, "location", absl::StrCat(path, ".location"),
                            true, &location)) {
    return e;
  }
  if (auto e = StringMember(object, "object", absl::StrCat(path, ".object"),
                            true, &key)) {
    return e;
  }
  if (file_name != nullptr) {
    if (auto e =
            StringMember(object, "file_name", absl::StrCat(path, ".file_name"),
                         false, file_name)) {
      return e;
    }
  }
  *uri = absl::StrCat(kObsScheme, bucket, "/", key);
  *region = location;
  return std::nullopt;
}

std::optional<MpcError> ParseInputs(const Struct& body, v1::EditingSpec* spec) {
  const Value* inputs = Member(body, "inputs");
  if (IsNull(inputs)) return MpcInvalidParameter("inputs is required.");
  if (inputs->kind_case() != Value::kListValue) {
    return MpcInvalidParameter("inputs must be an array.");
  }
  if (inputs->list_value().values_size() == 0) {
    return MpcInvalidParameter("inputs must not be empty.");
  }
  for (int i = 0; i < inputs->list_value().values_size(); ++i) {
    const std::string path = absl::StrCat("inputs[", i, "]");
    const Value& item = inputs->list_value().values(i);
    if (item.kind_case() != Value::kStructValue) {
      return MpcInvalidParameter(absl::StrCat(path, " must be an object."));
    }
    v1::EditingInput* input = spec->add_inputs();
    const Struct* obs = nullptr;
    if (auto e = ObjectMember(item.struct_value(), "input",
                              absl::StrCat(path, ".input"), true, &obs)) {
      return e;
    }
    std::string uri;
    if (auto e =
            ParseObsObject(*obs, absl::StrCat(path, ".input"), &uri,
                           input->mutable_media()->mutable_region(), nullptr)) {
      return e;
    }
    input->mutable_media()->set_uri(uri);
    for (const char* bound : {"timeline_start", "timeline_end"}) {
      std::string text;
      const std::string bound_path = absl::StrCat(path, ".", bound);
      const Value* present = Member(item.struct_value(), bound);
      if (IsNull(present)) continue;
      if (auto e = StringMember(item.struct_value(), bound, bound_path, true,
                                &text)) {
        return e;
      }
      google::protobuf::Duration* duration =
          absl::string_view(bound) == "timeline_start"
              ? input->mutable_timeline_start()
              : input->mutable_timeline_end();
      if (auto e = ParseTimeline(text, bound_path, duration)) return e;
    }
    if (input->has_timeline_start() && input->has_timeline_end() &&
        !DurationBefore(input->timeline_start(), input->timeline_end())) {
      return MpcInvalidParameter(absl::StrCat(
          path, ".timeline_end must be after ", path, ".timeline_start."));
    }
  }
  return std::nullopt;
}

std::optional<MpcError> EnumSetting(const Struct& settings,
                                    absl::string_view name,
                                    std::initializer_list<const char*> allowed,
                                    v1::EditingSpec* spec) {
  const std::string path = absl::StrCat("editing_settings.", name);
  std::string value;
  if (auto e = StringMember(settings, name, path, false, &value)) return e;
  if (IsNull(Member(settings, name))) return std::nullopt;
  std::string list;
  for (const char* option : allowed) {
    if (value == option) {
      (*spec->mutable_settings())[std::string(name)] = value;
      return std::nullopt;
    }
    absl::StrAppend(&list, list.empty() ? "" : ", ", option);
  }
  return MpcInvalidParameter(absl::StrCat(path, " must be one of ", list, "."));
}

std::optional<MpcError> ParseSettings(const Struct& body,
                                      v1::EditingSpec* spec) {
  const Struct* settings = nullptr;
  if (auto e = ObjectMember(body, "editing_settings", "editing_settings", false,
                            &settings)) {
    return e;
  }
  if (settings != nullptr) {
    if (auto e = EnumSetting(*settings, "resolution_adaptation",
                             {"OPEN", "CLOSE"}, spec)) {
      return e;
    }
    if (auto e = EnumSetting(*settings, "resolution_upsample", {"ON", "OFF"},
                             spec)) {
      return e;
    }
    if (auto e = EnumSetting(*settings, "format", {"MP4", "HLS"}, spec)) {
      return e;
    }
    if (auto e = EnumSetting(*settings, "reference",
                             {"NONE", "MAX_BITRATE", "MAX_RESOLUTION"}, spec)) {
      return e;
    }
    for (const char* dimension : {"width", "height"}) {
      std::optional<int64_t> value;
      if (auto e = IntegerMember(*settings, dimension,
                                 absl::StrCat("editing_settings.", dimension),
                                 0, 8192, &value)) {
        return e;
      }
      if (value) (*spec->mutable_settings())[dimension] = absl::StrCat(*value);
    }
  }
  std::optional<int64_t> editing_type;
  if (auto e = IntegerMember(body, "editing_type", "editing_type", 0, 1,
                             &editing_type)) {
    return e;
  }
  if (editing_type) {
    (*spec->mutable_settings())["editing_type"] = absl::StrCat(*editing_type);
  }
  return std::nullopt;
}

// output_uri "obs://bucket/key" as ObsObjInfo; false for another shape.
bool ObsObjectJson(const std::string& uri, const std::string& region,
                   const std::string& file_name, JsonObject* out) {
  if (!absl::StartsWith(uri, kObsScheme)) return false;
  const absl::string_view rest = absl::string_view(uri).substr(6);
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return false;
  out->Add("bucket", rest.substr(0, slash));
  out->Add("location", region);
  out->Add("object", rest.substr(slash + 1));
  if (!file_name.empty()) out->Add("file_name", file_name);
  return true;
}

}  // namespace

const char* MpcEditingJobStatus(v1::Job::State state) {
  switch (state) {
    case v1::Job::RUNNING:
    case v1::Job::CANCELING:
      return "PROCESSING";
    case v1::Job::SUCCEEDED:
      return "SUCCEEDED";
    case v1::Job::FAILED:
      return "FAILED";
    case v1::Job::CANCELED:
      return "CANCELED";
    default:
      return "WAITING";
  }
}

std::string MpcTime(const google::protobuf::Timestamp& time) {
  return absl::FormatTime("%Y%m%d%H%M%S", absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

std::optional<MpcError> ParseMpcCreateEditingJob(absl::string_view body,
                                                 v1::Job* job) {
  Struct request;
  // A Struct accepts exactly JSON objects.
  if (!google::protobuf::util::JsonStringToMessage(
           std::string(body.data(), body.size()), &request)
           .ok()) {
    return MpcInvalidParameter("The request body must be a JSON object.");
  }
  v1::EditingSpec* spec = job->mutable_editing();
  if (auto e = ParseInputs(request, spec)) return e;
  const Struct* output = nullptr;
  if (auto e = ObjectMember(request, "output", "output", true, &output)) {
    return e;
  }
  v1::OutputLocation* location = spec->mutable_output();
  if (auto e = ParseObsObject(*output, "output", location->mutable_uri(),
                              location->mutable_region(),
                              location->mutable_file_name())) {
    return e;
  }
  if (auto e = ParseSettings(request, spec)) return e;
  std::string user_data;
  if (auto e =
          StringMember(request, "user_data", "user_data", false, &user_data)) {
    return e;
  }
  job->set_user_data(user_data);
  return std::nullopt;
}

JsonObject MpcEditingJobJson(const v1::Job& job) {
  JsonObject out;
  out.Add("job_id", job.id());
  out.Add("status", MpcEditingJobStatus(job.state()));
  if (job.state() == v1::Job::FAILED && job.has_error()) {
    std::string code = "MPC.10050";
    for (const auto& any : job.error().details()) {
      google::rpc::ErrorInfo info;
      if (any.UnpackTo(&info) && !info.reason().empty()) code = info.reason();
    }
    out.Add("error_code", code);
    out.Add("description", job.error().message());
  }
  out.AddInt("progress", job.state() == v1::Job::SUCCEEDED ? 100 : 0);
  if (job.has_create_time()) out.Add("create_time", MpcTime(job.create_time()));
  if (job.has_start_time()) out.Add("start_time", MpcTime(job.start_time()));
  if (job.has_end_time()) out.Add("end_time", MpcTime(job.end_time()));
  out.Add("user_data", job.user_data());
  const v1::OutputLocation& output = job.editing().output();
  JsonObject obs;
  if (ObsObjectJson(output.uri(), output.region(), output.file_name(), &obs)) {
    out.AddObject("output", obs);
  }
  return out;
}

}  // namespace gateway
}  // namespace jobcontrol
