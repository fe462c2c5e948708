// Parsers of jobctl's flag values into jobcontrol.v1 request fields. Each
// returns INVALID_ARGUMENT with a message naming the flag for text it cannot
// parse; jobctl reports those as usage errors. Range and size limits are left
// to the server, which names the offending field.
#ifndef JOBCONTROL_CLIENT_JOBCTL_VALUE_PARSERS_H_
#define JOBCONTROL_CLIENT_JOBCTL_VALUE_PARSERS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "jobcontrol/v1/job.pb.h"

namespace jobcontrol {

// A timeline offset: an absl duration ("10s", "1m30s", "1.5h", "250ms") or
// plain seconds ("10", "10.5").
absl::StatusOr<absl::Duration> ParseTimelineOffset(absl::string_view text);

// An --input of `submit editing`: "URI[@START-END]". The range is what follows
// the last '@' when that part holds no '/' (so "https://user@host/a.mp4" is a
// URI without a range); START or END may be left empty: "a.mp4@10s-" is from
// 10s to the end, "a.mp4@-20s" from the beginning to 20s.
absl::StatusOr<v1::EditingInput> ParseEditingInput(absl::string_view text);

// A --setting: "KEY=VALUE", split at the first '='; KEY must not be empty.
absl::StatusOr<std::pair<std::string, std::string>> ParseSetting(
    absl::string_view text);

// A --state list: comma-separated Job.State names, any case ("queued,RUNNING").
absl::StatusOr<std::vector<v1::Job::State>> ParseJobStates(
    absl::string_view text);

// A --kind: "dna" or "editing" (or the JobKind names).
absl::StatusOr<v1::JobKind> ParseJobKind(absl::string_view text);

// An RFC 3339 time, e.g. "2024-05-01T12:00:00Z", for --created_from/_to.
absl::StatusOr<google::protobuf::Timestamp> ParseTimestamp(
    absl::string_view flag, absl::string_view text);

// `duration` as a google.protobuf.Duration (seconds and nanos of one sign).
google::protobuf::Duration ToProtoDuration(absl::Duration duration);

// A fresh request_id for SubmitJob: 32 random lowercase hex characters.
std::string RandomRequestId();

}  // namespace jobcontrol

#endif  // JOBCONTROL_CLIENT_JOBCTL_VALUE_PARSERS_H_
