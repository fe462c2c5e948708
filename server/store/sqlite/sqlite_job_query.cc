#include "server/store/sqlite/sqlite_job_query.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/core/pipeline.h"

namespace jobcontrol {
namespace {

// The literal states in the SQL below match the partial indexes of
// sqlite_schema.cc, which spell them the same way.
static_assert(static_cast<int>(JobState::kQueued) == 1 &&
                  static_cast<int>(JobState::kRunning) == 2 &&
                  static_cast<int>(JobState::kCanceling) == 3,
              "the SQL spells QUEUED 1, RUNNING 2, CANCELING 3");
static_assert(static_cast<int>(PipelineState::kActive) == 1,
              "the SQL spells ACTIVE 1");

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

// `values` without repeats, first occurrence order kept.
template <typename T>
std::vector<T> Distinct(const std::vector<T>& values) {
  std::vector<T> distinct;
  for (const T& value : values) {
    if (std::find(distinct.begin(), distinct.end(), value) == distinct.end()) {
      distinct.push_back(value);
    }
  }
  return distinct;
}

// The pipeline ids LeaseCandidateSql lists: distinct, padded to a power of
// two with the last one (a repeat in an IN list changes nothing).
std::vector<std::string> PaddedPipelineIds(const LeaseQuery& query) {
  std::vector<std::string> ids = Distinct(query.pipeline_ids);
  size_t padded = 1;
  while (padded < ids.size()) padded *= 2;
  if (!ids.empty()) ids.resize(padded, ids.back());
  return ids;
}

// "?, ?, ..., ?": the placeholders of an IN list of `count` >= 1 values.
std::string Placeholders(size_t count) {
  std::string list = "?";
  for (size_t i = 1; i < count; ++i) list += ", ?";
  return list;
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

std::string LeaseCandidateSql(absl::string_view columns,
                              const LeaseQuery& query) {
  // `?` are numbered in the order they appear in the text: the pick
  // subquery's (now, kinds) come before the pipeline filter's (tenant, ids).
  std::string pick =
      "SELECT q.sequence FROM jobs AS q"
      " WHERE q.tenant = p.tenant AND q.pipeline_id = p.id AND q.state = 1"
      " AND (q.next_attempt_time_us IS NULL OR q.next_attempt_time_us <= ?)";
  const size_t kind_count = Distinct(query.kinds).size();
  if (kind_count > 0) {
    absl::StrAppend(&pick, " AND q.kind IN (", Placeholders(kind_count), ")");
  }
  pick += " ORDER BY q.priority DESC, q.sequence ASC LIMIT 1";

  std::string pipelines =
      "SELECT p.priority, (" + pick +
      ") FROM pipelines AS p WHERE p.tenant = ? AND p.state = 1";
  const size_t id_count = PaddedPipelineIds(query).size();
  if (id_count > 0) {
    absl::StrAppend(&pipelines, " AND p.id IN (", Placeholders(id_count), ")");
  }
  pipelines +=
      " AND (p.max_running_jobs = 0 OR p.max_running_jobs >"
      " (SELECT COUNT(*) FROM jobs AS r WHERE r.tenant = p.tenant"
      " AND r.pipeline_id = p.id AND r.state IN (2, 3)))";

  return absl::StrCat(
      "WITH picks (pipeline_priority, job_sequence) AS (", pipelines,
      ") SELECT ", columns,
      " FROM picks JOIN jobs ON jobs.sequence = picks.job_sequence"
      " ORDER BY picks.pipeline_priority DESC, jobs.priority DESC,"
      " jobs.sequence ASC LIMIT 1");
}

void BindLeaseCandidateQuery(SqliteStatement& statement,
                             const std::string& tenant,
                             const LeaseQuery& query) {
  statement.BindInt64(absl::ToUnixMicros(query.now));
  for (JobKind kind : Distinct(query.kinds)) {
    statement.BindInt64(static_cast<int>(kind));
  }
  statement.BindText(tenant);
  for (const std::string& id : PaddedPipelineIds(query)) {
    statement.BindText(id);
  }
}

std::string ListExpiredLeasesSql(absl::string_view columns) {
  return absl::StrCat("SELECT ", columns,
                      " FROM jobs WHERE state IN (2, 3)"
                      " AND lease_expire_time_us <= ?"
                      " ORDER BY lease_expire_time_us, sequence LIMIT ?");
}

std::string NextLeaseExpirySql() {
  return "SELECT lease_expire_time_us FROM jobs WHERE state IN (2, 3)"
         " AND lease_expire_time_us IS NOT NULL"
         " ORDER BY lease_expire_time_us LIMIT 1";
}

std::string NextAttemptAfterSql() {
  return "SELECT next_attempt_time_us FROM jobs WHERE state = 1"
         " AND next_attempt_time_us > ?"
         " ORDER BY next_attempt_time_us LIMIT 1";
}

std::string UnfinishedJobOfPipelineSql() {
  return "SELECT 1 FROM jobs WHERE tenant = ? AND pipeline_id = ? AND state = 1"
         " UNION ALL"
         " SELECT 1 FROM jobs WHERE tenant = ? AND pipeline_id = ?"
         " AND state IN (2, 3) LIMIT 1";
}

}  // namespace jobcontrol
