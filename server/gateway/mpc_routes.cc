#include "server/gateway/mpc_routes.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/gateway/percent_encoding.h"

namespace jobcontrol {
namespace gateway {
namespace {

constexpr size_t kMaxIdBytes = 128;

// Decodes one path segment holding an id named `name`; 400 when the
// encoding or the decoded id is not acceptable.
std::optional<MpcError> DecodeId(absl::string_view segment,
                                 absl::string_view name, std::string* id) {
  auto decoded = PercentDecode(segment, /*plus_is_space=*/false);
  if (!decoded.ok() || !IsValidMpcId(*decoded)) {
    return MpcInvalidParameter(absl::StrCat(
        name, " must be 1 to 128 characters of A-Z a-z 0-9 _ . -"));
  }
  *id = *std::move(decoded);
  return std::nullopt;
}

// The query's job_id values into route->job_ids.
std::optional<MpcError> QueryJobIds(const ParamList& query, MpcRoute* route) {
  for (const auto& [name, value] : query) {
    if (name != "job_id") continue;
    if (!IsValidMpcId(value)) {
      return MpcInvalidParameter(
          "job_id must be 1 to 128 characters of A-Z a-z 0-9 _ . -");
    }
    route->job_ids.push_back(value);
  }
  return std::nullopt;
}

std::optional<MpcError> CancelByQuery(const ParamList& query, MpcRoute* route) {
  route->operation = MpcOperation::kCancelEditingJob;
  if (auto error = QueryJobIds(query, route)) return error;
  if (route->job_ids.size() != 1) {
    return MpcInvalidParameter("Give exactly one job_id.");
  }
  return std::nullopt;
}

}  // namespace

const char* MpcActionOf(MpcOperation operation) {
  switch (operation) {
    case MpcOperation::kCreateEditingJob:
      return "mpc:editingTask:create";
    case MpcOperation::kListEditingJobs:
      return "mpc:editingTask:view";
    case MpcOperation::kCancelEditingJob:
      return "mpc:editingTask:delete";
  }
  return "mpc:editingTask:view";
}

bool IsValidMpcId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes || id == "." || id == "..") {
    return false;
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

std::optional<MpcError> MatchMpcRoute(absl::string_view method,
                                      absl::string_view path,
                                      const ParamList& query, MpcRoute* route) {
  *route = MpcRoute();
  absl::string_view trimmed = path;
  if (trimmed.size() > 1 && trimmed.back() == '/') trimmed.remove_suffix(1);
  std::vector<absl::string_view> segments = absl::StrSplit(trimmed, '/');
  // segments[0] is the empty text before the leading '/'.
  const bool shaped =
      segments.size() >= 5 && segments.size() <= 6 && segments[0].empty() &&
      (segments[1] == "v1" || segments[1] == "v2") && segments[3] == "editing";
  if (!shaped) return MpcUnknownApi(method, path);
  const absl::string_view version = segments[1];
  const absl::string_view collection = segments[4];
  const bool v2 = version == "v2";
  enum class Shape { kJobs, kJob, kJobsId, kNone } shape = Shape::kNone;
  if (segments.size() == 5 && collection == "jobs") shape = Shape::kJobs;
  if (segments.size() == 5 && collection == "job" && v2) shape = Shape::kJob;
  if (segments.size() == 6 && collection == "jobs" && v2) {
    shape = Shape::kJobsId;
  }
  if (shape == Shape::kNone) return MpcUnknownApi(method, path);
  // v1 create and list are not served: only its cancel is.
  if (!v2 && method != "DELETE") {
    return MpcUnknownApi(method, path);
  }
  if (auto error = DecodeId(segments[2], "project_id", &route->project_id)) {
    return error;
  }
  switch (shape) {
    case Shape::kJobs:
      if (v2 && method == "POST") {
        route->operation = MpcOperation::kCreateEditingJob;
        return std::nullopt;
      }
      if (v2 && method == "GET") {
        route->operation = MpcOperation::kListEditingJobs;
        if (auto error = QueryJobIds(query, route)) return error;
        if (route->job_ids.empty()) {
          return MpcInvalidParameter("job_id is required.");
        }
        if (route->job_ids.size() > kMpcMaxListedJobIds) {
          return MpcInvalidParameter(absl::StrCat(
              "At most ", kMpcMaxListedJobIds, " job_id values per request."));
        }
        return std::nullopt;
      }
      if (!v2 && method == "DELETE") return CancelByQuery(query, route);
      return MpcWrongMethod(method);
    case Shape::kJob:
      if (method == "DELETE") return CancelByQuery(query, route);
      return MpcWrongMethod(method);
    case Shape::kJobsId: {
      if (method != "DELETE") return MpcWrongMethod(method);
      route->operation = MpcOperation::kCancelEditingJob;
      std::string job_id;
      if (auto error = DecodeId(segments[5], "job_id", &job_id)) return error;
      route->job_ids.push_back(std::move(job_id));
      return std::nullopt;
    }
    case Shape::kNone:
      break;
  }
  return MpcUnknownApi(method, path);
}

}  // namespace gateway
}  // namespace jobcontrol
