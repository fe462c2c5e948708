#include "server/store/sqlite/sqlite_job_query.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace jobcontrol {
namespace {

// The states filter without repeats, so a query has at most kJobStateCount
// state parameters and the number of distinct SQL texts (prepared and
// cached per connection) stays small whatever the caller sends.
std::vector<int> DistinctStates(const JobQuery& query) {
  std::vector<int> states;
  for (JobState state : query.states) {
    const int value = static_cast<int>(state);
    if (std::find(states.begin(), states.end(), value) == states.end()) {
      states.push_back(value);
    }
  }
  return states;
}

}  // namespace

std::string ListJobsSql(absl::string_view columns, const JobQuery& query) {
  std::string sql =
      absl::StrCat("SELECT ", columns, " FROM jobs WHERE tenant = ?");
  const size_t state_count = DistinctStates(query).size();
  if (state_count > 0) {
    sql += " AND state IN (?";
    for (size_t i = 1; i < state_count; ++i) sql += ", ?";
    sql += ")";
  }
  if (query.pipeline_id.has_value()) sql += " AND pipeline_id = ?";
  if (query.kind.has_value()) sql += " AND kind = ?";
  if (query.create_time_from.has_value()) sql += " AND create_time_us >= ?";
  if (query.create_time_to.has_value()) sql += " AND create_time_us < ?";
  if (query.before_sequence > 0) sql += " AND sequence < ?";
  sql += " ORDER BY sequence DESC LIMIT ?";
  return sql;
}

void BindListJobsQuery(SqliteStatement& statement, const std::string& tenant,
                       const JobQuery& query) {
  statement.BindText(tenant);
  for (int state : DistinctStates(query)) statement.BindInt64(state);
  if (query.pipeline_id.has_value()) statement.BindText(*query.pipeline_id);
  if (query.kind.has_value()) {
    statement.BindInt64(static_cast<int>(*query.kind));
  }
  if (query.create_time_from.has_value()) {
    statement.BindInt64(absl::ToUnixMicros(*query.create_time_from));
  }
  if (query.create_time_to.has_value()) {
    statement.BindInt64(absl::ToUnixMicros(*query.create_time_to));
  }
  if (query.before_sequence > 0) statement.BindInt64(query.before_sequence);
  statement.BindInt64(static_cast<int64_t>(query.limit) + 1);
}

}  // namespace jobcontrol
