#include "client/jobctl_value_parsers.h"

#include <cmath>
#include <cstdint>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jobcontrol {

absl::StatusOr<absl::Duration> ParseTimelineOffset(absl::string_view text) {
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds) && std::isfinite(seconds)) {
    return absl::Seconds(seconds);
  }
  absl::Duration duration;
  if (absl::ParseDuration(text, &duration) &&
      duration != absl::InfiniteDuration() &&
      duration != -absl::InfiniteDuration()) {
    return duration;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "bad time \"", text, "\": want a duration like 10s, 1m30s or 10.5"));
}

absl::StatusOr<v1::EditingInput> ParseEditingInput(absl::string_view text) {
  v1::EditingInput input;
  absl::string_view uri = text;
  const size_t at = text.rfind('@');
  if (at != text.npos && text.find('/', at) == text.npos) {
    uri = text.substr(0, at);
    const absl::string_view range = text.substr(at + 1);
    const std::vector<absl::string_view> ends =
        absl::StrSplit(range, absl::MaxSplits('-', 1));
    if (ends.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("--input=", text,
                       ": the range after '@' must be START-END, e.g. "
                       "@10s-20s"));
    }
    for (int end = 0; end < 2; ++end) {
      if (ends[end].empty()) continue;
      absl::StatusOr<absl::Duration> offset = ParseTimelineOffset(ends[end]);
      if (!offset.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--input=", text, ": ", offset.status().message()));
      }
      *(end == 0 ? input.mutable_timeline_start()
                 : input.mutable_timeline_end()) = ToProtoDuration(*offset);
    }
  }
  if (uri.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--input=", text, ": the URI is empty"));
  }
  input.mutable_media()->set_uri(std::string(uri));
  return input;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseSetting(
    absl::string_view text) {
  const size_t equals = text.find('=');
  if (equals == text.npos || equals == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--setting=", text,
                     ": want KEY=VALUE, e.g. resolution_adaptation=OPEN"));
  }
  return std::make_pair(std::string(text.substr(0, equals)),
                        std::string(text.substr(equals + 1)));
}

absl::StatusOr<std::vector<v1::Job::State>> ParseJobStates(
    absl::string_view text) {
  std::vector<v1::Job::State> states;
  for (absl::string_view name : absl::StrSplit(text, ',')) {
    name = absl::StripAsciiWhitespace(name);
    v1::Job::State state;
    if (!v1::Job::State_Parse(absl::AsciiStrToUpper(name), &state) ||
        state == v1::Job::STATE_UNSPECIFIED) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--state: unknown state \"", name,
          "\"; want QUEUED, RUNNING, CANCELING, SUCCEEDED, FAILED or "
          "CANCELED"));
    }
    states.push_back(state);
  }
  return states;
}

absl::StatusOr<v1::JobKind> ParseJobKind(absl::string_view text) {
  std::string name = absl::AsciiStrToUpper(text);
  if (name == "DNA") name = "DNA_ANALYSIS";
  if (!absl::StartsWith(name, "JOB_KIND_")) name = "JOB_KIND_" + name;
  v1::JobKind kind;
  if (!v1::JobKind_Parse(name, &kind) || kind == v1::JOB_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--kind: unknown kind \"", text, "\"; want dna or editing"));
  }
  return kind;
}

absl::StatusOr<google::protobuf::Timestamp> ParseTimestamp(
    absl::string_view flag, absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", text,
        ": want an RFC 3339 time like 2024-05-01T12:00:00Z (", error, ")"));
  }
  // Timestamp nanos count forward from the second, also before 1970.
  const int64_t seconds = absl::ToUnixSeconds(time);
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return timestamp;
}

google::protobuf::Duration ToProtoDuration(absl::Duration duration) {
  absl::Duration remainder;
  const int64_t seconds =
      absl::IDivDuration(duration, absl::Seconds(1), &remainder);
  google::protobuf::Duration proto;
  proto.set_seconds(seconds);
  proto.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(remainder)));
  return proto;
}

std::string RandomRequestId() {
  std::random_device entropy;
  std::string id;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&id, absl::Hex(entropy(), absl::kZeroPad8));
  }
  return id;
}

}  // namespace jobcontrol
