// The SQL of a ListJobs query (JobQuery, server/store/store.h) over the jobs
// table of sqlite_schema.cc.
//
// The text is made of fixed fragments chosen by which filters are set; every
// value is a `?` that BindListJobsQuery binds in the same order, so the SQL
// of a query depends only on its shape and can be prepared once per shape.
//
// Every shape walks an index in sequence order and never sorts (the test
// asserts the query plans): (tenant, pipeline_id, sequence) with a pipeline
// filter, (tenant, state, sequence) with a single state, else
// (tenant, sequence). A page therefore reads `limit` + 1 matching rows plus
// the rows the remaining filters (several states, kind, time range) skip on
// the way.
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

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_JOB_QUERY_H_
