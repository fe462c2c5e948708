#include "server/core/error_reason.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace jobcontrol {
namespace {
constexpr char kReasonUrl[] = "type.jobcontrol.v1/reason";
constexpr char kFieldUrl[] = "type.jobcontrol.v1/field";

std::string PayloadOf(const absl::Status& status, const char* url) {
  auto payload = status.GetPayload(url);
  return payload.has_value() ? std::string(*payload) : std::string();
}
}  // namespace

absl::Status ErrorWithReason(absl::StatusCode code, absl::string_view reason,
                             absl::string_view message,
                             absl::string_view field) {
  absl::Status status(code, message);
  status.SetPayload(kReasonUrl, absl::Cord(reason));
  if (!field.empty()) status.SetPayload(kFieldUrl, absl::Cord(field));
  return status;
}

absl::Status MissingFieldError(absl::string_view field) {
  return ErrorWithReason(absl::StatusCode::kInvalidArgument,
                         kReasonMissingField,
                         absl::StrCat("missing required field: ", field),
                         field);
}

absl::Status InvalidFieldError(absl::string_view field, absl::string_view why) {
  return ErrorWithReason(absl::StatusCode::kInvalidArgument,
                         kReasonInvalidField,
                         absl::StrCat("invalid ", field, ": ", why), field);
}

absl::Status JobNotFoundError(absl::string_view job_id) {
  return ErrorWithReason(absl::StatusCode::kNotFound, kReasonJobNotFound,
                         absl::StrCat("job ", job_id, " not found"));
}

std::string ErrorReasonOf(const absl::Status& status) {
  return PayloadOf(status, kReasonUrl);
}

std::string ErrorFieldOf(const absl::Status& status) {
  return PayloadOf(status, kFieldUrl);
}

}  // namespace jobcontrol
