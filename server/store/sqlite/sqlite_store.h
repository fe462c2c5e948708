// SqliteStore: the embedded Store, one SQLite database in WAL mode.
//
// Writes go through one writer thread that groups the transactions waiting
// at the same moment into one SQLite transaction (each in its own SAVEPOINT,
// so one failing does not undo the others) and one fsync (group commit):
// concurrent writers share fsyncs, and each caller returns only after the
// commit its change was part of. Reads use a small pool of read-only
// connections and never wait for writers (WAL); GetJob first asks a cache
// of recently read jobs that every committed write keeps current
// (job_read_cache.h). The process holds the database file exclusively
// while the store is open: a second process (a second jobcontrold on the
// same data directory) cannot open it, which is also what keeps that cache
// coherent.
#ifndef JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_STORE_H_
#define JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_STORE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/store/store.h"

namespace jobcontrol {

struct SqliteStoreOptions {
  // Database file path; its directory must exist.
  std::string path;
  // Read connections in the pool.
  int read_connections = 4;
  // Most transactions grouped into one commit.
  int max_group_size = 256;
  // Jobs GetJob keeps in memory (job_read_cache.h); 0 turns the cache off.
  size_t job_cache_capacity = 10000;
};

class SqliteStore : public Store {
 public:
  // Opens (creating if needed) the database and its schema.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(
      const SqliteStoreOptions& options);
  ~SqliteStore() override;  // finishes queued writes, then closes
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // Number of SQLite transactions committed so far (each one fsync); with
  // concurrent writers it is below the number of mutating calls.
  int64_t CommitCount() const;

  absl::StatusOr<Pipeline> CreatePipeline(const Pipeline& pipeline) override;
  absl::StatusOr<Pipeline> GetPipeline(const std::string& tenant,
                                       const std::string& id) override;
  absl::StatusOr<Pipeline> GetOrCreateDefaultPipeline(const std::string& tenant,
                                                      absl::Time now) override;
  absl::StatusOr<PipelinePage> ListPipelines(
      const std::string& tenant, const PipelineQuery& query) override;
  absl::StatusOr<Pipeline> UpdatePipeline(
      const std::string& tenant, const std::string& id,
      const PipelineDecision& decide) override;
  absl::Status DeletePipeline(const std::string& tenant,
                              const std::string& id) override;
  absl::StatusOr<SubmitResult> SubmitJob(
      const JobSubmission& submission) override;
  absl::StatusOr<Job> GetJob(const std::string& tenant,
                             const std::string& id) override;
  absl::StatusOr<JobPage> ListJobs(const std::string& tenant,
                                   const JobQuery& query) override;
  absl::StatusOr<Job> UpdateJob(const std::string& tenant,
                                const std::string& id,
                                const JobDecision& decide) override;
  void SubmitJobAsync(JobSubmission submission, SubmitJobDone done) override;
  void UpdateJobAsync(std::string tenant, std::string id, JobDecision decide,
                      UpdateJobDone done) override;
  absl::StatusOr<std::optional<Job>> LeaseNextJob(
      const std::string& tenant, const LeaseQuery& query,
      const JobDecision& decide) override;
  absl::StatusOr<LeaseOrWait> LeaseNextJobOrWait(
      const std::string& tenant, const LeaseQuery& query,
      const JobDecisionAt& decide) override;
  absl::Status RetryLeaseWaits() override;
  absl::StatusOr<std::vector<Job>> ListExpiredLeases(absl::Time now,
                                                     int limit) override;
  absl::StatusOr<std::optional<absl::Time>> NextDueTime(
      absl::Time now) override;
  absl::StatusOr<std::vector<Job>> ListJobVersions(const std::string& tenant,
                                                   const std::string& id,
                                                   int64_t after_version,
                                                   int limit) override;
  // The listener is called on the writer thread after each COMMIT, for the
  // rows of the group's successful operations, before their callers return.
  // Once this returns, the listener it replaced is not being called and
  // will not be again.
  void SetChangeListener(StoreChangeListener* listener) override;

 private:
  class Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_STORE_SQLITE_SQLITE_STORE_H_
