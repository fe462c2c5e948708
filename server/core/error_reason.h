// Error values of the server: absl::Status carrying a stable reason
// (ErrorInfo.reason, UPPER_SNAKE_CASE) and optionally the request field at
// fault, as status payloads. The api layer turns them into google.rpc.Status
// with an ErrorInfo; the core and the store only create them.
#ifndef JOBCONTROL_SERVER_CORE_ERROR_REASON_H_
#define JOBCONTROL_SERVER_CORE_ERROR_REASON_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace jobcontrol {

// Reasons, as in docs/errors.md.
inline constexpr char kReasonMissingField[] = "MISSING_FIELD";
inline constexpr char kReasonInvalidField[] = "INVALID_FIELD";
inline constexpr char kReasonRequestIdReused[] = "REQUEST_ID_REUSED";
inline constexpr char kReasonJobNotFound[] = "JOB_NOT_FOUND";
inline constexpr char kReasonPipelineNotFound[] = "PIPELINE_NOT_FOUND";
inline constexpr char kReasonJobNotQueued[] = "JOB_NOT_QUEUED";
inline constexpr char kReasonLeaseLost[] = "LEASE_LOST";
inline constexpr char kReasonPipelineNotEmpty[] = "PIPELINE_NOT_EMPTY";
inline constexpr char kReasonDefaultPipeline[] = "DEFAULT_PIPELINE";
inline constexpr char kReasonEtagMismatch[] = "ETAG_MISMATCH";
inline constexpr char kReasonUnauthenticated[] = "UNAUTHENTICATED";
inline constexpr char kReasonActionDenied[] = "ACTION_DENIED";
inline constexpr char kReasonStoreUnavailable[] = "STORE_UNAVAILABLE";
inline constexpr char kReasonDraining[] = "DRAINING";

// Returns a status of `code` with `reason` and, if not empty, `field`.
absl::Status ErrorWithReason(absl::StatusCode code, absl::string_view reason,
                             absl::string_view message,
                             absl::string_view field = "");

// INVALID_ARGUMENT / MISSING_FIELD naming `field`.
absl::Status MissingFieldError(absl::string_view field);
// INVALID_ARGUMENT / INVALID_FIELD naming `field`; `why` completes
// "invalid <field>: ".
absl::Status InvalidFieldError(absl::string_view field, absl::string_view why);

// NOT_FOUND / JOB_NOT_FOUND: "job <id> not found" (also what a job of
// another tenant looks like).
absl::Status JobNotFoundError(absl::string_view job_id);

// The reason / field of a status made above; empty if it has none.
std::string ErrorReasonOf(const absl::Status& status);
std::string ErrorFieldOf(const absl::Status& status);

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_CORE_ERROR_REASON_H_
