// The SQL of the job queries that must stay on their indexes, over the jobs
// and pipelines tables of sqlite_schema.cc: ListJobs (JobQuery), the
// LeaseNextJob pick (LeaseQuery), the lease-expiry and backoff scans
// (server/store/store.h) and DeletePipeline's probe for unfinished jobs. The
// test asserts each one's query plan.
//
// Texts whose shape depends on the request are made of fixed fragments
// chosen by which filters are set; every value is a `?` that the matching
// Bind* function binds in the same order, so the SQL of a query depends only
// on its shape and can be prepared once per shape.
//
// ListJobs: every shape walks an index in sequence order and never sorts:
// (tenant, pipeline_id, sequence) with a pipeline filter, (tenant, state,
// sequence) with a single state, else (tenant, sequence). A page therefore
// reads `limit` + 1 matching rows plus the rows the remaining filters
// (several states, kind, time range) skip on the way.
//
// LeaseNextJob: for each ACTIVE pipeline of the tenant (optionally only the
// listed ones) under its running-job limit, the first eligible row of the
// partial index jobs_queued_by_pipeline (QUEUED jobs by priority desc,
// sequence) is that pipeline's pick; the picks, one per pipeline, are then
// ordered by pipeline priority desc, job priority desc, sequence asc. The
// work is proportional to the tenant's active pipelines plus the QUEUED rows
// skipped because of their kind or backoff, never to all its jobs.
#ifndef JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_JOB_QUERY_H_
#define JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_JOB_QUERY_H_

#include <string>

#include "absl/strings/string_view.h"
#include "server/store/sqlite/sqlite_connection.h"
#include "server/store/store.h"

namespace jobcontrol {

// SELECT `columns` of the jobs matching `query`, newest first, at most
// query.limit + 1 rows (the extra row tells that more exist).
std::string ListJobsSql(absl::string_view columns, const JobQuery& query);

// Binds the parameters of ListJobsSql(..., query) for `tenant`.
void BindListJobsQuery(SqliteStatement& statement, const std::string& tenant,
                       const JobQuery& query);

// SELECT `columns` (unqualified names of the jobs table) of the job
// LeaseNextJob would take for `query`, at most one row. query.kinds must
// hold valid kinds only. Repeated pipeline ids and kinds are dropped, and
// the pipeline id list is padded to a power of two by repeating its last
// id, so the number of distinct texts stays logarithmic in the list size.
std::string LeaseCandidateSql(absl::string_view columns,
                              const LeaseQuery& query);

// Binds the parameters of LeaseCandidateSql(..., query) for `tenant`.
void BindLeaseCandidateQuery(SqliteStatement& statement,
                             const std::string& tenant,
                             const LeaseQuery& query);

// SELECT `columns` of the RUNNING / CANCELING jobs of every tenant whose
// lease_expire_time_us <= ?1, oldest expiry first, LIMIT ?2.
std::string ListExpiredLeasesSql(absl::string_view columns);

// The smallest lease_expire_time_us of a RUNNING / CANCELING job: one row,
// or none if no job holds a lease.
std::string NextLeaseExpirySql();

// The smallest next_attempt_time_us > ?1 of a QUEUED job: one row or none.
std::string NextAttemptAfterSql();

// One row if the pipeline (tenant ?1, id ?2, bound again as ?3, ?4) holds a
// QUEUED, RUNNING or CANCELING job, else none (DeletePipeline's probe): one
// lookup in each of the partial indexes jobs_queued_by_pipeline and
// jobs_running_by_pipeline.
std::string UnfinishedJobOfPipelineSql();

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_JOB_QUERY_H_
