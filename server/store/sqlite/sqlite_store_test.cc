// Tests of SqliteStore and its group-commit writer against real SQLite files
// in a fresh temporary directory per test.
#include "server/store/sqlite/sqlite_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "server/core/clock.h"
#include "server/core/error_reason.h"
#include "server/core/ids.h"
#include "server/store/sqlite/sqlite_connection.h"
#include "server/store/sqlite/sqlite_group_commit_writer.h"
#include "server/store/sqlite/sqlite_job_query.h"
#include "server/store/sqlite/sqlite_schema.h"

namespace jobcontrol {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);
constexpr char kTenantA[] = "tenant-a";
constexpr char kTenantB[] = "tenant-b";

// A fresh directory under the test temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string pattern = testing::TempDir() + "sqlite_store_test.XXXXXX";
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<SqliteStore> OpenOrDie(const std::string& path,
                                       int max_group_size = 256) {
  SqliteStoreOptions options;
  options.path = path;
  options.max_group_size = max_group_size;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

Pipeline NewPipeline(const std::string& tenant, const std::string& name,
                     absl::Time now = kT0) {
  Pipeline pipeline;
  pipeline.tenant = tenant;
  pipeline.id = NewResourceId();
  pipeline.name = name;
  pipeline.state = PipelineState::kActive;
  pipeline.priority = 8;
  pipeline.create_time = now;
  pipeline.update_time = now;
  // Not the defaults, so a column that is not stored shows.
  pipeline.retry_policy.max_attempts = 4;
  pipeline.retry_policy.initial_backoff = absl::Seconds(2);
  pipeline.retry_policy.max_backoff = absl::Seconds(90);
  pipeline.retry_policy.lease_duration = absl::Seconds(45);
  return pipeline;
}

Job NewJob(const std::string& tenant, const std::string& pipeline_id = "",
           absl::Time create_time = kT0, JobKind kind = JobKind::kDnaAnalysis) {
  Job job;
  job.tenant = tenant;
  job.id = NewResourceId();
  job.state = JobState::kQueued;
  job.kind = kind;
  job.spec = std::string("spec\0with\0nul", 13);
  job.pipeline_id = pipeline_id;
  job.priority = 7;
  job.user_data = "{\"k\":1}";
  job.create_time = create_time;
  job.update_time = create_time;
  job.max_attempts = 5;
  return job;
}

// `job` in `state`, with the lease fields set exactly while RUNNING or
// CANCELING (as the lifecycle keeps them) and cleared otherwise.
Job InState(Job job, JobState state) {
  job.state = state;
  if (state == JobState::kRunning || state == JobState::kCanceling) {
    if (job.lease_id.empty()) {
      job.lease_id = NewResourceId();
      job.worker_id = "worker-1";
      job.lease_expire_time = kT0 + absl::Seconds(30);
    }
  } else {
    job.lease_id.clear();
    job.worker_id.clear();
    job.lease_expire_time.reset();
  }
  return job;
}

void ExpectSameJob(const Job& a, const Job& b) {
  EXPECT_EQ(a.tenant, b.tenant);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.spec, b.spec);
  EXPECT_EQ(a.pipeline_id, b.pipeline_id);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.user_data, b.user_data);
  EXPECT_EQ(a.create_time, b.create_time);
  EXPECT_EQ(a.start_time, b.start_time);
  EXPECT_EQ(a.end_time, b.end_time);
  EXPECT_EQ(a.update_time, b.update_time);
  EXPECT_EQ(a.attempt_count, b.attempt_count);
  EXPECT_EQ(a.result, b.result);
  ASSERT_EQ(a.error.has_value(), b.error.has_value());
  if (a.error.has_value()) {
    EXPECT_EQ(a.error->code, b.error->code);
    EXPECT_EQ(a.error->message, b.error->message);
  }
  EXPECT_EQ(a.max_attempts, b.max_attempts);
  EXPECT_EQ(a.lease_id, b.lease_id);
  EXPECT_EQ(a.worker_id, b.worker_id);
  EXPECT_EQ(a.lease_expire_time, b.lease_expire_time);
  EXPECT_EQ(a.next_attempt_time, b.next_attempt_time);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.sequence, b.sequence);
}

void ExpectSamePipeline(const Pipeline& a, const Pipeline& b) {
  EXPECT_EQ(a.tenant, b.tenant);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.is_default, b.is_default);
  EXPECT_EQ(a.create_time, b.create_time);
  EXPECT_EQ(a.update_time, b.update_time);
  EXPECT_EQ(a.max_running_jobs, b.max_running_jobs);
  EXPECT_EQ(a.retry_policy.max_attempts, b.retry_policy.max_attempts);
  EXPECT_EQ(a.retry_policy.initial_backoff, b.retry_policy.initial_backoff);
  EXPECT_EQ(a.retry_policy.max_backoff, b.retry_policy.max_backoff);
  EXPECT_EQ(a.retry_policy.lease_duration, b.retry_policy.lease_duration);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.sequence, b.sequence);
}

std::vector<std::string> IdsOf(const std::vector<Job>& jobs) {
  std::vector<std::string> ids;
  ids.reserve(jobs.size());
  for (const Job& job : jobs) ids.push_back(job.id);
  return ids;
}

std::vector<std::string> IdsOf(const std::vector<Pipeline>& pipelines) {
  std::vector<std::string> ids;
  ids.reserve(pipelines.size());
  for (const Pipeline& pipeline : pipelines) ids.push_back(pipeline.id);
  return ids;
}

// What a worker's lease does to the job the store picked: QUEUED ->
// RUNNING under a fresh lease. Written out here rather than taken from
// JobLifecycle so these tests depend on the store alone. A pick that is not
// QUEUED is refused, so a job leased twice fails the call.
JobDecision LeaseDecision(absl::Time now,
                          const std::string& worker_id = "worker-1") {
  return [now, worker_id](const Job& current) -> absl::StatusOr<Job> {
    if (current.state != JobState::kQueued) {
      return absl::InternalError(absl::StrCat("picked job ", current.id,
                                              " in state ",
                                              JobStateName(current.state)));
    }
    Job next = current;
    next.state = JobState::kRunning;
    next.attempt_count = current.attempt_count + 1;
    next.start_time = now;
    next.update_time = now;
    next.lease_id = NewResourceId();
    next.worker_id = worker_id;
    next.lease_expire_time = now + absl::Seconds(30);
    next.next_attempt_time.reset();
    return next;
  };
}

// A client's cancel without allow_running: QUEUED -> CANCELED, CANCELED
// stays (no change), anything else is refused.
absl::StatusOr<Job> CancelQueued(const Job& current) {
  if (current.state == JobState::kCanceled) return current;
  if (current.state != JobState::kQueued) {
    return ErrorWithReason(absl::StatusCode::kFailedPrecondition,
                           kReasonJobNotQueued, "job is not queued");
  }
  return InState(current, JobState::kCanceled);
}

LeaseQuery LeaseQueryAt(absl::Time now) {
  LeaseQuery query;
  query.now = now;
  return query;
}

class SqliteStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(db_path());
    ASSERT_NE(store_, nullptr);
  }

  std::string db_path() const { return dir_.path() + "/jobcontrol.db"; }

  Pipeline Create(const Pipeline& pipeline) {
    absl::StatusOr<Pipeline> created = store_->CreatePipeline(pipeline);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : Pipeline{};
  }

  Job Submit(const Job& job, const std::string& request_id = "",
             const std::string& fingerprint = "") {
    JobSubmission submission;
    submission.job = job;
    submission.request_id = request_id;
    submission.request_fingerprint = fingerprint;
    absl::StatusOr<SubmitResult> result = store_->SubmitJob(submission);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return Job{};
    EXPECT_TRUE(result->created);
    return result->job;
  }

  Job SetState(const std::string& tenant, const std::string& id,
               JobState state) {
    absl::StatusOr<Job> updated = store_->UpdateJob(
        tenant, id,
        [state](const Job& current) { return InState(current, state); });
    EXPECT_TRUE(updated.ok()) << updated.status();
    return updated.ok() ? *updated : Job{};
  }

  std::vector<std::string> ListJobIds(const std::string& tenant,
                                      JobQuery query) {
    query.limit = 1000;
    absl::StatusOr<JobPage> page = store_->ListJobs(tenant, query);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return {};
    EXPECT_FALSE(page->has_more);
    return IdsOf(page->jobs);
  }

  // The job LeaseNextJob hands out under LeaseDecision, or nullopt.
  std::optional<Job> LeaseNext(const std::string& tenant,
                               const LeaseQuery& query = LeaseQueryAt(kT0)) {
    absl::StatusOr<std::optional<Job>> leased =
        store_->LeaseNextJob(tenant, query, LeaseDecision(query.now));
    EXPECT_TRUE(leased.ok()) << leased.status();
    if (!leased.ok()) return std::nullopt;
    if (leased->has_value()) {
      EXPECT_EQ((*leased)->state, JobState::kRunning);
      EXPECT_EQ((*leased)->tenant, tenant);
    }
    return *leased;
  }

  // Leases until nothing is dispatchable; the ids in the order handed out.
  std::vector<std::string> LeaseAll(
      const std::string& tenant, const LeaseQuery& query = LeaseQueryAt(kT0)) {
    std::vector<std::string> ids;
    while (std::optional<Job> job = LeaseNext(tenant, query)) {
      ids.push_back(job->id);
      if (ids.size() > 10000) break;  // a bug handing out jobs forever
    }
    return ids;
  }

  Pipeline Pause(const std::string& tenant, const std::string& id,
                 PipelineState state = PipelineState::kPaused) {
    absl::StatusOr<Pipeline> updated =
        store_->UpdatePipeline(tenant, id, [state](const Pipeline& current) {
          Pipeline next = current;
          next.state = state;
          return next;
        });
    EXPECT_TRUE(updated.ok()) << updated.status();
    return updated.ok() ? *updated : Pipeline{};
  }

  Job Update(const std::string& tenant, const std::string& id,
             const std::function<void(Job&)>& change) {
    absl::StatusOr<Job> updated =
        store_->UpdateJob(tenant, id, [&](const Job& current) {
          Job next = current;
          change(next);
          return next;
        });
    EXPECT_TRUE(updated.ok()) << updated.status();
    return updated.ok() ? *updated : Job{};
  }

  std::vector<Job> Versions(const std::string& tenant, const std::string& id,
                            int64_t after_version = 0, int limit = 1000) {
    absl::StatusOr<std::vector<Job>> versions =
        store_->ListJobVersions(tenant, id, after_version, limit);
    EXPECT_TRUE(versions.ok()) << versions.status();
    return versions.ok() ? *versions : std::vector<Job>{};
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

// --- Pipelines ---

TEST_F(SqliteStoreTest, CreateGetListUpdateDeletePipelines) {
  Pipeline first = Create(NewPipeline(kTenantA, "first"));
  Pipeline second = Create(NewPipeline(kTenantA, "second"));
  Pipeline third = Create(NewPipeline(kTenantA, "third"));
  EXPECT_EQ(first.version, 1);
  EXPECT_GT(first.sequence, 0);
  EXPECT_LT(first.sequence, second.sequence);
  EXPECT_LT(second.sequence, third.sequence);
  EXPECT_FALSE(first.is_default);

  absl::StatusOr<Pipeline> got = store_->GetPipeline(kTenantA, second.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSamePipeline(*got, second);
  EXPECT_EQ(got->name, "second");
  EXPECT_EQ(got->priority, 8);

  // Oldest first, in pages.
  PipelineQuery query;
  query.limit = 2;
  absl::StatusOr<PipelinePage> page = store_->ListPipelines(kTenantA, query);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(IdsOf(page->pipelines),
            (std::vector<std::string>{first.id, second.id}));
  EXPECT_TRUE(page->has_more);
  query.after_sequence = page->pipelines.back().sequence;
  page = store_->ListPipelines(kTenantA, query);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(IdsOf(page->pipelines), (std::vector<std::string>{third.id}));
  EXPECT_FALSE(page->has_more);

  const absl::Time later = kT0 + absl::Seconds(5);
  absl::StatusOr<Pipeline> updated =
      store_->UpdatePipeline(kTenantA, second.id, [&](const Pipeline& current) {
        Pipeline next = current;
        next.name = "renamed";
        next.state = PipelineState::kPaused;
        next.priority = 3;
        next.update_time = later;
        return next;
      });
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->name, "renamed");
  got = store_->GetPipeline(kTenantA, second.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSamePipeline(*got, *updated);
  EXPECT_EQ(got->state, PipelineState::kPaused);
  EXPECT_EQ(got->update_time, later);

  ASSERT_TRUE(store_->DeletePipeline(kTenantA, second.id).ok());
  got = store_->GetPipeline(kTenantA, second.id);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReasonOf(got.status()), kReasonPipelineNotFound);
  page = store_->ListPipelines(kTenantA, PipelineQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(IdsOf(page->pipelines),
            (std::vector<std::string>{first.id, third.id}));
}

// job_versions holds each version exactly as the jobs row was written: the
// store writes the version from the values it wrote, not by reading the row
// back, so every column (value and SQLite type) is compared here.
TEST_F(SqliteStoreTest, EveryJobVersionIsTheRowItRecords) {
  const Pipeline pipeline = Create(NewPipeline(kTenantA, "versions"));
  std::vector<Job> jobs;
  for (int i = 0; i < 3; ++i) {
    jobs.push_back(Submit(NewJob(kTenantA, pipeline.id,
                                 kT0 + absl::Microseconds(1234567 * i + 1))));
  }
  // Every column changes at least once: lease, heartbeat, an attempt that
  // fails into a backoff, completion with a result, a cancel.
  const absl::Time now = kT0 + absl::Nanoseconds(1500);  // below a microsecond
  auto update = [&](const Job& job, const std::function<void(Job&)>& change) {
    absl::StatusOr<Job> updated = store_->UpdateJob(
        kTenantA, job.id, [&](const Job& current) -> absl::StatusOr<Job> {
          Job next = current;
          change(next);
          return next;
        });
    EXPECT_TRUE(updated.ok()) << updated.status();
  };
  ASSERT_TRUE(store_->UpdateJob(kTenantA, jobs[0].id, LeaseDecision(now)).ok());
  update(jobs[0], [&](Job& next) {  // a heartbeat
    next.lease_expire_time = now + absl::Minutes(1);
    next.update_time = now + absl::Seconds(1);
  });
  update(jobs[0], [&](Job& next) {  // the attempt fails; retried later
    next.state = JobState::kQueued;
    next.error = JobError{13, "worker lost"};
    next.lease_id.clear();
    next.worker_id.clear();
    next.lease_expire_time.reset();
    next.next_attempt_time = now + absl::Seconds(5);
    next.update_time = now + absl::Seconds(2);
  });
  ASSERT_TRUE(store_->UpdateJob(kTenantA, jobs[1].id, LeaseDecision(now)).ok());
  update(jobs[1], [&](Job& next) {  // succeeds, with a result
    next.state = JobState::kSucceeded;
    next.result = std::string("out\0put", 7);
    next.user_data = "{\"k\":2}";
    next.priority = 3;
    next.lease_id.clear();
    next.worker_id.clear();
    next.lease_expire_time.reset();
    next.end_time = now + absl::Seconds(3);
    next.update_time = now + absl::Seconds(3);
  });
  ASSERT_TRUE(store_->UpdateJob(kTenantA, jobs[2].id, CancelQueued).ok());
  store_.reset();

  absl::StatusOr<std::unique_ptr<SqliteConnection>> db =
      SqliteConnection::Open(db_path(), SqliteConnection::Access::kReadOnly);
  ASSERT_TRUE(db.ok()) << db.status();
  const std::vector<std::string> columns = absl::StrSplit(
      "tenant, id, state, kind, spec, pipeline_id, priority, user_data, "
      "create_time_us, start_time_us, end_time_us, update_time_us, "
      "attempt_count, result, error_code, error_message, max_attempts, "
      "lease_id, worker_id, lease_expire_time_us, next_attempt_time_us",
      ", ");
  std::string differs = "0";
  for (const std::string& column : columns) {
    absl::StrAppend(&differs, " OR v.", column, " IS NOT j.", column,
                    " OR typeof(v.", column, ") != typeof(j.", column, ")");
  }
  // The latest version of each job is its row, column for column.
  const std::string latest = absl::StrCat(
      "SELECT count(*), sum(", differs,
      ") FROM jobs AS j JOIN job_versions AS v"
      " ON v.sequence = j.sequence AND v.version = j.version");
  absl::StatusOr<SqliteStatement> compare = (*db)->Prepare(latest);
  ASSERT_TRUE(compare.ok()) << compare.status();
  ASSERT_TRUE(*compare->Step());
  EXPECT_EQ(compare->ColumnInt64(0), 3);
  EXPECT_EQ(compare->ColumnInt64(1), 0) << "a version differs from its row";
  // And every version of each job was recorded, 1 to its current one.
  absl::StatusOr<SqliteStatement> counts = (*db)->Prepare(
      "SELECT j.version, count(v.version), min(v.version), max(v.version)"
      " FROM jobs AS j JOIN job_versions AS v ON v.tenant = j.tenant"
      " AND v.id = j.id GROUP BY j.sequence ORDER BY j.sequence");
  ASSERT_TRUE(counts.ok()) << counts.status();
  const int64_t expected_versions[] = {4, 3, 2};
  for (int64_t expected : expected_versions) {
    ASSERT_TRUE(*counts->Step());
    EXPECT_EQ(counts->ColumnInt64(0), expected);
    EXPECT_EQ(counts->ColumnInt64(1), expected);
    EXPECT_EQ(counts->ColumnInt64(2), 1);
    EXPECT_EQ(counts->ColumnInt64(3), expected);
  }
}

TEST_F(SqliteStoreTest, CreatePipelineReturnsTimesAsStored) {
  // Times are stored in microseconds; what Create returns is what reads
  // return later.
  Pipeline pipeline = NewPipeline(kTenantA, "p", kT0 + absl::Nanoseconds(1500));
  Pipeline created = Create(pipeline);
  EXPECT_EQ(created.create_time, kT0 + absl::Microseconds(1));
  absl::StatusOr<Pipeline> got = store_->GetPipeline(kTenantA, pipeline.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSamePipeline(*got, created);
}

TEST_F(SqliteStoreTest, CreatePipelineWithExistingIdIsAlreadyExists) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "p"));
  absl::StatusOr<Pipeline> again = store_->CreatePipeline(pipeline);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find(pipeline.id), std::string::npos);
}

TEST_F(SqliteStoreTest, MissingPipelineIsNotFoundNamingIt) {
  const std::string id = NewResourceId();
  absl::StatusOr<Pipeline> got = store_->GetPipeline(kTenantA, id);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReasonOf(got.status()), kReasonPipelineNotFound);
  EXPECT_NE(got.status().message().find(id), std::string::npos);
  absl::StatusOr<Pipeline> updated =
      store_->UpdatePipeline(kTenantA, id, [](const Pipeline& p) { return p; });
  EXPECT_EQ(ErrorReasonOf(updated.status()), kReasonPipelineNotFound);
  absl::Status deleted = store_->DeletePipeline(kTenantA, id);
  EXPECT_EQ(deleted.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReasonOf(deleted), kReasonPipelineNotFound);
}

TEST_F(SqliteStoreTest, DefaultPipelineIsCreatedOnceUnderConcurrentCallers) {
  constexpr int kThreads = 8;
  absl::BlockingCounter ready(kThreads);
  absl::Notification go;
  std::vector<absl::StatusOr<Pipeline>> results(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      ready.DecrementCount();
      go.WaitForNotification();
      results[i] = store_->GetOrCreateDefaultPipeline(kTenantA, kT0);
    });
  }
  ready.Wait();
  go.Notify();
  for (std::thread& t : threads) t.join();

  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.status();
    ExpectSamePipeline(*result, *results[0]);
  }
  const Pipeline& the_default = *results[0];
  EXPECT_TRUE(the_default.is_default);
  EXPECT_EQ(the_default.name, "default");
  EXPECT_EQ(the_default.state, PipelineState::kActive);
  EXPECT_EQ(the_default.priority, 6);
  EXPECT_TRUE(IsValidResourceId(the_default.id));

  absl::StatusOr<PipelinePage> page =
      store_->ListPipelines(kTenantA, PipelineQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(IdsOf(page->pipelines), (std::vector<std::string>{the_default.id}));

  // Another tenant gets its own.
  absl::StatusOr<Pipeline> other =
      store_->GetOrCreateDefaultPipeline(kTenantB, kT0);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(other->id, the_default.id);
}

TEST_F(SqliteStoreTest, SecondDefaultPipelineIsRefused) {
  absl::StatusOr<Pipeline> the_default =
      store_->GetOrCreateDefaultPipeline(kTenantA, kT0);
  ASSERT_TRUE(the_default.ok()) << the_default.status();
  Pipeline another = NewPipeline(kTenantA, "default too");
  another.is_default = true;
  absl::StatusOr<Pipeline> created = store_->CreatePipeline(another);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetPipeline(kTenantA, another.id).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, DeletePipelineRefusesDefaultAndUnfinishedJobs) {
  absl::StatusOr<Pipeline> the_default =
      store_->GetOrCreateDefaultPipeline(kTenantA, kT0);
  ASSERT_TRUE(the_default.ok()) << the_default.status();
  absl::Status deleted = store_->DeletePipeline(kTenantA, the_default->id);
  EXPECT_EQ(deleted.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ErrorReasonOf(deleted), kReasonDefaultPipeline);
  EXPECT_TRUE(store_->GetPipeline(kTenantA, the_default->id).ok());

  Pipeline pipeline = Create(NewPipeline(kTenantA, "busy"));
  Job finished = Submit(NewJob(kTenantA, pipeline.id));
  SetState(kTenantA, finished.id, JobState::kSucceeded);
  Job job = Submit(NewJob(kTenantA, pipeline.id));
  for (JobState unfinished :
       {JobState::kQueued, JobState::kRunning, JobState::kCanceling}) {
    SetState(kTenantA, job.id, unfinished);
    deleted = store_->DeletePipeline(kTenantA, pipeline.id);
    EXPECT_EQ(deleted.code(), absl::StatusCode::kFailedPrecondition)
        << JobStateName(unfinished);
    EXPECT_EQ(ErrorReasonOf(deleted), kReasonPipelineNotEmpty)
        << JobStateName(unfinished);
    EXPECT_TRUE(store_->GetPipeline(kTenantA, pipeline.id).ok());
  }

  SetState(kTenantA, job.id, JobState::kCanceled);
  ASSERT_TRUE(store_->DeletePipeline(kTenantA, pipeline.id).ok());
  // Its finished jobs stay readable and listable under their pipeline_id.
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->pipeline_id, pipeline.id);
  JobQuery by_pipeline;
  by_pipeline.pipeline_id = pipeline.id;
  EXPECT_EQ(ListJobIds(kTenantA, by_pipeline),
            (std::vector<std::string>{job.id, finished.id}));
  // And nothing new goes into it.
  JobSubmission submission;
  submission.job = NewJob(kTenantA, pipeline.id);
  EXPECT_EQ(ErrorReasonOf(store_->SubmitJob(submission).status()),
            kReasonPipelineNotFound);
}

TEST_F(SqliteStoreTest, FailedAndSucceededJobsDoNotBlockDelete) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "p"));
  SetState(kTenantA, Submit(NewJob(kTenantA, pipeline.id)).id,
           JobState::kFailed);
  SetState(kTenantA, Submit(NewJob(kTenantA, pipeline.id)).id,
           JobState::kSucceeded);
  // An unfinished job of another pipeline does not count.
  Submit(NewJob(kTenantA));
  EXPECT_TRUE(store_->DeletePipeline(kTenantA, pipeline.id).ok());
}

TEST_F(SqliteStoreTest, UpdatePipelineWithoutChangeKeepsVersion) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "p"));
  absl::StatusOr<Pipeline> same = store_->UpdatePipeline(
      kTenantA, pipeline.id, [](const Pipeline& current) { return current; });
  ASSERT_TRUE(same.ok()) << same.status();
  ExpectSamePipeline(*same, pipeline);

  absl::StatusOr<Pipeline> refused = store_->UpdatePipeline(
      kTenantA, pipeline.id, [](const Pipeline&) -> absl::StatusOr<Pipeline> {
        return absl::AbortedError("etag mismatch");
      });
  EXPECT_EQ(refused.status(), absl::AbortedError("etag mismatch"));

  absl::StatusOr<Pipeline> made_default = store_->UpdatePipeline(
      kTenantA, pipeline.id, [](const Pipeline& current) {
        Pipeline next = current;
        next.is_default = true;
        next.name = "sneaky";
        return next;
      });
  EXPECT_EQ(made_default.status().code(), absl::StatusCode::kInternal);

  absl::StatusOr<Pipeline> got = store_->GetPipeline(kTenantA, pipeline.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSamePipeline(*got, pipeline);
}

// --- Jobs ---

TEST_F(SqliteStoreTest, SubmitIntoDefaultPipelineAndGet) {
  Job job = NewJob(kTenantA);
  job.result = std::string("\0result", 7);
  job.start_time = kT0 + absl::Seconds(1);
  job.error = JobError{13, "oops"};
  JobSubmission submission;
  submission.job = job;
  absl::StatusOr<SubmitResult> result = store_->SubmitJob(submission);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->created);
  const Job& stored = result->job;
  EXPECT_EQ(stored.version, 1);
  EXPECT_GT(stored.sequence, 0);

  absl::StatusOr<Pipeline> the_default =
      store_->GetOrCreateDefaultPipeline(kTenantA, kT0);
  ASSERT_TRUE(the_default.ok()) << the_default.status();
  EXPECT_EQ(stored.pipeline_id, the_default->id);

  Job expected = job;
  expected.pipeline_id = the_default->id;
  expected.version = 1;
  expected.sequence = stored.sequence;
  ExpectSameJob(stored, expected);

  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, expected);
}

TEST_F(SqliteStoreTest, SubmitIntoMissingPipelineCreatesNothing) {
  JobSubmission submission;
  submission.job = NewJob(kTenantA, NewResourceId());
  submission.request_id = "req-1";
  submission.request_fingerprint = "fp";
  absl::StatusOr<SubmitResult> result = store_->SubmitJob(submission);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReasonOf(result.status()), kReasonPipelineNotFound);
  EXPECT_EQ(ErrorFieldOf(result.status()), "job.pipeline_id");
  EXPECT_TRUE(ListJobIds(kTenantA, JobQuery{}).empty());
  EXPECT_EQ(store_->GetJob(kTenantA, submission.job.id).status().code(),
            absl::StatusCode::kNotFound);

  // The failed attempt did not consume the request_id.
  submission.job.pipeline_id.clear();
  result = store_->SubmitJob(submission);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->created);
}

TEST_F(SqliteStoreTest, MissingJobIsNotFoundNamingIt) {
  const std::string id = NewResourceId();
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, id);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReasonOf(got.status()), kReasonJobNotFound);
  EXPECT_NE(got.status().message().find(id), std::string::npos);
  bool decided = false;
  absl::StatusOr<Job> updated =
      store_->UpdateJob(kTenantA, id, [&](const Job& current) {
        decided = true;
        return current;
      });
  EXPECT_EQ(ErrorReasonOf(updated.status()), kReasonJobNotFound);
  EXPECT_NE(updated.status().message().find(id), std::string::npos);
  EXPECT_FALSE(decided);
}

TEST_F(SqliteStoreTest, IdempotentSubmit) {
  Job job = NewJob(kTenantA);
  Job first = Submit(job, "req-1", "fingerprint-1");

  // A retry with the same key and request returns the same job, even after
  // it changed, and creates nothing.
  SetState(kTenantA, first.id, JobState::kCanceled);
  JobSubmission retry;
  retry.job = NewJob(kTenantA);  // a retry carries a fresh id
  retry.request_id = "req-1";
  retry.request_fingerprint = "fingerprint-1";
  absl::StatusOr<SubmitResult> again = store_->SubmitJob(retry);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->job.id, first.id);
  EXPECT_EQ(again->job.state, JobState::kCanceled);
  EXPECT_EQ(again->job.version, 2);
  EXPECT_EQ(ListJobIds(kTenantA, JobQuery{}),
            (std::vector<std::string>{first.id}));

  // The same key for a different request is refused.
  JobSubmission reused = retry;
  reused.request_fingerprint = "fingerprint-2";
  absl::StatusOr<SubmitResult> refused = store_->SubmitJob(reused);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReasonOf(refused.status()), kReasonRequestIdReused);
  EXPECT_EQ(ErrorFieldOf(refused.status()), "request_id");
  EXPECT_EQ(ListJobIds(kTenantA, JobQuery{}).size(), 1u);

  // Keys are per tenant.
  JobSubmission other_tenant = retry;
  other_tenant.job = NewJob(kTenantB);
  absl::StatusOr<SubmitResult> theirs = store_->SubmitJob(other_tenant);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_TRUE(theirs->created);
  EXPECT_EQ(theirs->job.id, other_tenant.job.id);
  EXPECT_EQ(theirs->job.tenant, kTenantB);

  // Without a key, every submit creates a job.
  Job no_key_1 = Submit(NewJob(kTenantA));
  Job no_key_2 = Submit(NewJob(kTenantA));
  EXPECT_NE(no_key_1.id, no_key_2.id);
  EXPECT_EQ(ListJobIds(kTenantA, JobQuery{}).size(), 3u);
}

TEST_F(SqliteStoreTest, TenantsAreIsolated) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "mine"));
  Job job = Submit(NewJob(kTenantA, pipeline.id));

  EXPECT_EQ(ErrorReasonOf(store_->GetJob(kTenantB, job.id).status()),
            kReasonJobNotFound);
  EXPECT_EQ(ErrorReasonOf(store_->GetPipeline(kTenantB, pipeline.id).status()),
            kReasonPipelineNotFound);
  absl::StatusOr<Job> updated =
      store_->UpdateJob(kTenantB, job.id, [](const Job& current) {
        Job next = current;
        next.state = JobState::kCanceled;
        return next;
      });
  EXPECT_EQ(ErrorReasonOf(updated.status()), kReasonJobNotFound);
  absl::StatusOr<Pipeline> paused = store_->UpdatePipeline(
      kTenantB, pipeline.id, [](const Pipeline& current) {
        Pipeline next = current;
        next.state = PipelineState::kPaused;
        return next;
      });
  EXPECT_EQ(ErrorReasonOf(paused.status()), kReasonPipelineNotFound);
  EXPECT_EQ(ErrorReasonOf(store_->DeletePipeline(kTenantB, pipeline.id)),
            kReasonPipelineNotFound);
  JobSubmission into_theirs;
  into_theirs.job = NewJob(kTenantB, pipeline.id);
  EXPECT_EQ(ErrorReasonOf(store_->SubmitJob(into_theirs).status()),
            kReasonPipelineNotFound);

  EXPECT_TRUE(ListJobIds(kTenantB, JobQuery{}).empty());
  JobQuery by_pipeline;
  by_pipeline.pipeline_id = pipeline.id;
  EXPECT_TRUE(ListJobIds(kTenantB, by_pipeline).empty());
  absl::StatusOr<PipelinePage> pipelines =
      store_->ListPipelines(kTenantB, PipelineQuery{});
  ASSERT_TRUE(pipelines.ok()) << pipelines.status();
  EXPECT_TRUE(pipelines->pipelines.empty());

  // Tenant A's rows are untouched.
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, job);
  absl::StatusOr<Pipeline> got_pipeline =
      store_->GetPipeline(kTenantA, pipeline.id);
  ASSERT_TRUE(got_pipeline.ok()) << got_pipeline.status();
  ExpectSamePipeline(*got_pipeline, pipeline);
}

TEST_F(SqliteStoreTest, ListJobsFilters) {
  Pipeline p1 = Create(NewPipeline(kTenantA, "p1"));
  Pipeline p2 = Create(NewPipeline(kTenantA, "p2"));
  const absl::Time t1 = kT0 + absl::Seconds(1);
  const absl::Time t2 = kT0 + absl::Seconds(2);
  const absl::Time t3 = kT0 + absl::Seconds(3);
  Job a = Submit(NewJob(kTenantA, p1.id, t1, JobKind::kDnaAnalysis));
  Job b = Submit(NewJob(kTenantA, p2.id, t1, JobKind::kEditing));
  Job c = Submit(NewJob(kTenantA, p1.id, t2, JobKind::kEditing));
  Job d = Submit(NewJob(kTenantA, p2.id, t3, JobKind::kDnaAnalysis));
  Submit(NewJob(kTenantB, "", t2));  // never listed for tenant A
  SetState(kTenantA, b.id, JobState::kRunning);
  SetState(kTenantA, c.id, JobState::kCanceled);

  using Ids = std::vector<std::string>;
  EXPECT_EQ(ListJobIds(kTenantA, JobQuery{}), (Ids{d.id, c.id, b.id, a.id}));

  JobQuery by_state;
  by_state.states = {JobState::kQueued};
  EXPECT_EQ(ListJobIds(kTenantA, by_state), (Ids{d.id, a.id}));
  by_state.states = {JobState::kRunning, JobState::kCanceled};
  EXPECT_EQ(ListJobIds(kTenantA, by_state), (Ids{c.id, b.id}));
  by_state.states = {JobState::kFailed};
  EXPECT_EQ(ListJobIds(kTenantA, by_state), Ids{});
  by_state.states = {JobState::kRunning, JobState::kRunning,
                     JobState::kRunning};
  EXPECT_EQ(ListJobIds(kTenantA, by_state), (Ids{b.id}));

  JobQuery by_pipeline;
  by_pipeline.pipeline_id = p1.id;
  EXPECT_EQ(ListJobIds(kTenantA, by_pipeline), (Ids{c.id, a.id}));

  JobQuery by_kind;
  by_kind.kind = JobKind::kEditing;
  EXPECT_EQ(ListJobIds(kTenantA, by_kind), (Ids{c.id, b.id}));

  JobQuery by_time;  // [t1, t3): from inclusive, to exclusive
  by_time.create_time_from = t1;
  by_time.create_time_to = t3;
  EXPECT_EQ(ListJobIds(kTenantA, by_time), (Ids{c.id, b.id, a.id}));
  by_time.create_time_from = t2;
  by_time.create_time_to.reset();
  EXPECT_EQ(ListJobIds(kTenantA, by_time), (Ids{d.id, c.id}));

  JobQuery combined;
  combined.states = {JobState::kQueued, JobState::kCanceled};
  combined.pipeline_id = p1.id;
  combined.kind = JobKind::kEditing;
  combined.create_time_from = t2;
  EXPECT_EQ(ListJobIds(kTenantA, combined), (Ids{c.id}));

  JobQuery invalid;
  invalid.limit = 0;
  EXPECT_EQ(store_->ListJobs(kTenantA, invalid).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, ListJobsPagesNeitherRepeatNorSkipWhileJobsArrive) {
  std::vector<std::string> submitted;  // oldest first
  submitted.reserve(25);
  for (int i = 0; i < 25; ++i) {
    submitted.push_back(
        Submit(NewJob(kTenantA, "", kT0 + absl::Seconds(i))).id);
  }
  std::vector<std::string> expected(submitted.rbegin(), submitted.rend());

  std::vector<std::string> seen;
  JobQuery query;
  query.limit = 10;
  std::vector<bool> has_more;
  for (int page_number = 0; page_number < 10; ++page_number) {
    absl::StatusOr<JobPage> page = store_->ListJobs(kTenantA, query);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const Job& job : page->jobs) seen.push_back(job.id);
    has_more.push_back(page->has_more);
    if (!page->has_more) break;
    query.before_sequence = page->jobs.back().sequence;
    // New jobs between pages land before the cursor: never on later pages.
    Submit(NewJob(kTenantA));
    Submit(NewJob(kTenantA));
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(has_more, (std::vector<bool>{true, true, false}));

  // has_more is exact at the boundary: 25 + 2 * 2 jobs exist now.
  JobQuery whole;
  whole.limit = 29;
  absl::StatusOr<JobPage> all = store_->ListJobs(kTenantA, whole);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->jobs.size(), 29u);
  EXPECT_FALSE(all->has_more);
  whole.limit = 28;
  all = store_->ListJobs(kTenantA, whole);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->jobs.size(), 28u);
  EXPECT_TRUE(all->has_more);
}

TEST_F(SqliteStoreTest, UpdateJobIsReadDecideWrite) {
  Job job = Submit(NewJob(kTenantA));

  // A refusal is returned unchanged and writes nothing.
  const absl::Status refusal = ErrorWithReason(
      absl::StatusCode::kFailedPrecondition, kReasonJobNotQueued, "no");
  absl::StatusOr<Job> refused = store_->UpdateJob(
      kTenantA, job.id,
      [&](const Job&) -> absl::StatusOr<Job> { return refusal; });
  EXPECT_EQ(refused.status(), refusal);
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, job);

  // No change: nothing written, version stays.
  absl::StatusOr<Job> same = store_->UpdateJob(
      kTenantA, job.id, [](const Job& current) { return current; });
  ASSERT_TRUE(same.ok()) << same.status();
  ExpectSameJob(*same, job);
  // Even if the decision carries a different version number: the store
  // owns versions.
  same = store_->UpdateJob(kTenantA, job.id, [](const Job& current) {
    Job next = current;
    next.version = 99;
    return next;
  });
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->version, 1);

  // A change: the decide function sees the current row, the result is
  // stored with the next version.
  const absl::Time later = kT0 + absl::Minutes(1);
  absl::StatusOr<Job> changed =
      store_->UpdateJob(kTenantA, job.id, [&](const Job& current) {
        EXPECT_EQ(current.version, 1);
        Job next = current;
        next.state = JobState::kFailed;
        next.end_time = later;
        next.update_time = later;
        next.attempt_count = 3;
        next.error = JobError{14, "worker lost"};
        next.result = "partial";
        return next;
      });
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->version, 2);
  EXPECT_EQ(changed->state, JobState::kFailed);
  got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, *changed);

  // Clearing optional fields is a change too.
  changed = store_->UpdateJob(kTenantA, job.id, [](const Job& current) {
    Job next = current;
    next.error.reset();
    next.end_time.reset();
    return next;
  });
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->version, 3);
  got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->error.has_value());
  EXPECT_FALSE(got->end_time.has_value());
}

// The *Async writes: the same transaction as SubmitJob / UpdateJob, with
// the outcome told to `done` once, after the commit holding it.
TEST_F(SqliteStoreTest, AsyncWritesTellTheirOutcomeAfterTheirCommit) {
  std::promise<absl::StatusOr<SubmitResult>> submitted;
  int64_t commits_when_submitted = -1;
  absl::StatusOr<Job> cached_when_submitted = absl::UnknownError("unset");
  JobSubmission submission;
  submission.job = NewJob(kTenantA);
  const std::string id = submission.job.id;
  const int64_t commits_before = store_->CommitCount();
  store_->SubmitJobAsync(submission, [&](absl::StatusOr<SubmitResult> result) {
    commits_when_submitted = store_->CommitCount();
    submitted.set_value(std::move(result));
  });
  absl::StatusOr<SubmitResult> result = submitted.get_future().get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->created);
  EXPECT_EQ(result->job.id, id);
  EXPECT_EQ(result->job.version, 1);
  EXPECT_EQ(commits_when_submitted, commits_before + 1);
  ASSERT_TRUE(store_->GetJob(kTenantA, id).ok());

  // A change, told after its commit.
  std::promise<absl::StatusOr<Job>> updated;
  store_->UpdateJobAsync(kTenantA, id,
                         [](const Job& current) -> absl::StatusOr<Job> {
                           Job next = current;
                           next.state = JobState::kCanceled;
                           return next;
                         },
                         [&](absl::StatusOr<Job> job) {
                           updated.set_value(std::move(job));
                         });
  absl::StatusOr<Job> changed = updated.get_future().get();
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(changed->version, 2);
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, JobState::kCanceled);

  // Errors come the same way: another tenant's job is NOT_FOUND, a refusal
  // is returned unchanged, and neither writes anything.
  std::promise<absl::StatusOr<Job>> hidden;
  store_->UpdateJobAsync(kTenantB, id,
                         [](const Job& current) { return current; },
                         [&](absl::StatusOr<Job> job) {
                           hidden.set_value(std::move(job));
                         });
  EXPECT_EQ(hidden.get_future().get().status().code(),
            absl::StatusCode::kNotFound);
  const absl::Status refusal = ErrorWithReason(
      absl::StatusCode::kFailedPrecondition, kReasonJobNotQueued, "no");
  std::promise<absl::StatusOr<Job>> refused;
  store_->UpdateJobAsync(kTenantA, id,
                         [&](const Job&) -> absl::StatusOr<Job> {
                           return refusal;
                         },
                         [&](absl::StatusOr<Job> job) {
                           refused.set_value(std::move(job));
                         });
  EXPECT_EQ(refused.get_future().get().status(), refusal);
  got = store_->GetJob(kTenantA, id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->version, 2);
}

TEST_F(SqliteStoreTest, UpdateJobCannotChangeIdentity) {
  Pipeline other = Create(NewPipeline(kTenantA, "other"));
  Job job = Submit(NewJob(kTenantA));
  const std::vector<std::function<void(Job&)>> changes = {
      [](Job& j) { j.tenant = kTenantB; },
      [](Job& j) { j.id = NewResourceId(); },
      [](Job& j) { j.kind = JobKind::kEditing; },
      [](Job& j) { j.sequence += 1000; },
      [&](Job& j) { j.pipeline_id = other.id; },
  };
  for (const auto& change : changes) {
    absl::StatusOr<Job> updated =
        store_->UpdateJob(kTenantA, job.id, [&](const Job& current) {
          Job next = current;
          next.state = JobState::kCanceled;
          change(next);
          return next;
        });
    EXPECT_EQ(updated.status().code(), absl::StatusCode::kInternal);
  }
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, job);
}

TEST_F(SqliteStoreTest, ConcurrentUpdatesLoseNothing) {
  Job job = Submit(NewJob(kTenantA));
  constexpr int kThreads = 8;
  constexpr int kIncrementsPerThread = 50;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int n = 0; n < kIncrementsPerThread; ++n) {
        absl::StatusOr<Job> updated =
            store_->UpdateJob(kTenantA, job.id, [](const Job& current) {
              Job next = current;
              next.attempt_count = current.attempt_count + 1;
              return next;
            });
        EXPECT_TRUE(updated.ok()) << updated.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->attempt_count, kThreads * kIncrementsPerThread);
  EXPECT_EQ(got->version, 1 + kThreads * kIncrementsPerThread);
}

// Concurrent submits share commits. To make grouping certain rather than
// likely, the writer is held busy first: a decide function runs on the
// writer thread, so while it blocks, every submit the 16 threads start
// queues up and the next transaction takes all of them at once. The
// assertion is structural: one commit per submit is impossible once any two
// submits share a transaction, and the first group alone holds many.
TEST_F(SqliteStoreTest, ConcurrentSubmitsShareCommits) {
  Job blocker_job = Submit(NewJob(kTenantA));
  const int64_t commits_before = store_->CommitCount();

  constexpr int kThreads = 16;
  constexpr int kSubmitsPerThread = 20;
  absl::Notification writer_busy;
  absl::Notification release_writer;
  std::thread blocker([&] {
    absl::StatusOr<Job> unchanged =
        store_->UpdateJob(kTenantA, blocker_job.id, [&](const Job& current) {
          writer_busy.Notify();
          release_writer.WaitForNotification();
          return current;
        });
    EXPECT_TRUE(unchanged.ok()) << unchanged.status();
  });
  writer_busy.WaitForNotification();

  absl::BlockingCounter submitting(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::vector<std::vector<std::string>> ids(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      submitting.DecrementCount();
      for (int n = 0; n < kSubmitsPerThread; ++n) {
        JobSubmission submission;
        submission.job = NewJob(kTenantA);
        absl::StatusOr<SubmitResult> result = store_->SubmitJob(submission);
        EXPECT_TRUE(result.ok()) << result.status();
        if (result.ok()) ids[i].push_back(result->job.id);
      }
    });
  }
  submitting.Wait();
  release_writer.Notify();
  blocker.join();
  for (std::thread& t : threads) t.join();

  const int64_t submits = int64_t{kThreads} * kSubmitsPerThread;
  const int64_t commits = store_->CommitCount() - commits_before;
  EXPECT_GE(commits, 1);
  EXPECT_LT(commits, submits);
  std::set<std::string> distinct;
  for (const auto& thread_ids : ids) {
    distinct.insert(thread_ids.begin(), thread_ids.end());
  }
  EXPECT_EQ(distinct.size(), static_cast<size_t>(submits));
  EXPECT_EQ(ListJobIds(kTenantA, JobQuery{}).size(),
            static_cast<size_t>(submits + 1));
}

// Reads use their own connections: they answer while the writer thread is
// held inside a transaction (a read through the writer would hang here).
TEST_F(SqliteStoreTest, ReadsDoNotWaitForTheWriter) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "p"));
  Job job = Submit(NewJob(kTenantA, pipeline.id));
  absl::Notification writer_busy;
  absl::Notification release_writer;
  std::thread holder([&] {
    absl::StatusOr<Job> changed =
        store_->UpdateJob(kTenantA, job.id, [&](const Job& current) {
          writer_busy.Notify();
          release_writer.WaitForNotification();
          Job next = current;
          next.state = JobState::kRunning;
          return next;
        });
    EXPECT_TRUE(changed.ok()) << changed.status();
  });
  writer_busy.WaitForNotification();

  // The uncommitted change is not visible; the committed state is.
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, JobState::kQueued);
  EXPECT_EQ(ListJobIds(kTenantA, JobQuery{}), std::vector<std::string>{job.id});
  EXPECT_TRUE(store_->GetPipeline(kTenantA, pipeline.id).ok());
  EXPECT_TRUE(store_->ListPipelines(kTenantA, PipelineQuery{}).ok());

  release_writer.Notify();
  holder.join();
  got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, JobState::kRunning);
}

// GetJob answers from a cache of jobs read before (job_read_cache.h): every
// kind of job write must reach it, and a read racing a write must never
// leave the older row cached.
TEST_F(SqliteStoreTest, GetJobSeesEveryCommittedWriteOfACachedJob) {
  Job job = Submit(NewJob(kTenantA));
  ASSERT_TRUE(store_->GetJob(kTenantA, job.id).ok());  // now cached

  std::optional<Job> leased = LeaseNext(kTenantA);
  ASSERT_TRUE(leased.has_value());
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state, JobState::kRunning);
  EXPECT_EQ(got->version, leased->version);

  Job done = SetState(kTenantA, job.id, JobState::kSucceeded);
  got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, done);

  // A refused write changes nothing, in the cache either.
  absl::StatusOr<Job> refused = store_->UpdateJob(
      kTenantA, job.id, [](const Job&) -> absl::StatusOr<Job> {
        return absl::FailedPreconditionError("no");
      });
  EXPECT_FALSE(refused.ok());
  got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, done);

  // Another tenant still cannot see it.
  EXPECT_EQ(store_->GetJob(kTenantB, job.id).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, GetJobNeverAnswersOlderThanAWriteThatReturned) {
  constexpr int kJobs = 8;
  constexpr int kWrites = 300;
  std::vector<std::string> ids;
  for (int i = 0; i < kJobs; ++i) ids.push_back(Submit(NewJob(kTenantA)).id);
  std::atomic<bool> writing{true};
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&, r] {
      for (int i = r; writing.load(); ++i) {
        absl::StatusOr<Job> got = store_->GetJob(kTenantA, ids[i % kJobs]);
        EXPECT_TRUE(got.ok()) << got.status();
      }
    });
  }
  for (int w = 0; w < kWrites; ++w) {
    const std::string& id = ids[w % kJobs];
    Job written = Update(kTenantA, id, [w](Job& next) {
      next.priority = w;  // a change, so a new version
    });
    absl::StatusOr<Job> got = store_->GetJob(kTenantA, id);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_GE(got->version, written.version) << "write " << w;
    ASSERT_EQ(got->priority, w) << "write " << w;
  }
  writing = false;
  for (std::thread& reader : readers) reader.join();
}

// --- Scheduling fields, dispatch, leases, versions, change listener ---

TEST_F(SqliteStoreTest, PipelineLimitsAndRetryPolicyRoundTrip) {
  Pipeline pipeline = NewPipeline(kTenantA, "limited");
  pipeline.max_running_jobs = 3;
  // Durations are stored in microseconds, like times.
  pipeline.retry_policy.initial_backoff = absl::Nanoseconds(1500);
  Pipeline created = Create(pipeline);
  EXPECT_EQ(created.max_running_jobs, 3);
  EXPECT_EQ(created.retry_policy.max_attempts, 4);
  EXPECT_EQ(created.retry_policy.initial_backoff, absl::Microseconds(1));
  EXPECT_EQ(created.retry_policy.max_backoff, absl::Seconds(90));
  EXPECT_EQ(created.retry_policy.lease_duration, absl::Seconds(45));
  absl::StatusOr<Pipeline> got = store_->GetPipeline(kTenantA, pipeline.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSamePipeline(*got, created);
  absl::StatusOr<PipelinePage> page =
      store_->ListPipelines(kTenantA, PipelineQuery{});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->pipelines.size(), 1u);
  ExpectSamePipeline(page->pipelines[0], created);

  // Each new field alone is a change; its absence is none.
  const std::vector<std::function<void(Pipeline&)>> changes = {
      [](Pipeline& p) { p.max_running_jobs = 0; },
      [](Pipeline& p) { p.retry_policy.max_attempts = 9; },
      [](Pipeline& p) { p.retry_policy.initial_backoff = absl::Seconds(3); },
      [](Pipeline& p) { p.retry_policy.max_backoff = absl::Minutes(7); },
      [](Pipeline& p) { p.retry_policy.lease_duration = absl::Minutes(2); },
  };
  Pipeline expected = created;
  for (const auto& change : changes) {
    change(expected);
    absl::StatusOr<Pipeline> updated = store_->UpdatePipeline(
        kTenantA, pipeline.id, [&](const Pipeline& current) {
          Pipeline next = current;
          change(next);
          return next;
        });
    ASSERT_TRUE(updated.ok()) << updated.status();
    expected.version += 1;
    ExpectSamePipeline(*updated, expected);
    got = store_->GetPipeline(kTenantA, pipeline.id);
    ASSERT_TRUE(got.ok()) << got.status();
    ExpectSamePipeline(*got, expected);
  }
  absl::StatusOr<Pipeline> same = store_->UpdatePipeline(
      kTenantA, pipeline.id, [](const Pipeline& current) { return current; });
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->version, expected.version);
}

TEST_F(SqliteStoreTest, InvalidLimitsAndPoliciesAreRefused) {
  const std::vector<std::function<void(Pipeline&)>> invalid = {
      [](Pipeline& p) { p.max_running_jobs = -1; },
      [](Pipeline& p) { p.retry_policy.max_attempts = 0; },
      [](Pipeline& p) { p.retry_policy.initial_backoff = -absl::Seconds(1); },
      [](Pipeline& p) {
        p.retry_policy.max_backoff = absl::InfiniteDuration();
      },
      [](Pipeline& p) { p.retry_policy.lease_duration = -absl::Seconds(1); },
  };
  Pipeline existing = Create(NewPipeline(kTenantA, "existing"));
  for (const auto& change : invalid) {
    Pipeline pipeline = NewPipeline(kTenantA, "bad");
    change(pipeline);
    EXPECT_EQ(store_->CreatePipeline(pipeline).status().code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(store_->GetPipeline(kTenantA, pipeline.id).status().code(),
              absl::StatusCode::kNotFound);
    absl::StatusOr<Pipeline> updated = store_->UpdatePipeline(
        kTenantA, existing.id, [&](const Pipeline& current) {
          Pipeline next = current;
          change(next);
          return next;
        });
    EXPECT_EQ(updated.status().code(), absl::StatusCode::kInvalidArgument);
  }
  absl::StatusOr<Pipeline> got = store_->GetPipeline(kTenantA, existing.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSamePipeline(*got, existing);

  JobSubmission submission;
  submission.job = NewJob(kTenantA, existing.id);
  submission.job.max_attempts = -1;
  EXPECT_EQ(store_->SubmitJob(submission).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ListJobIds(kTenantA, JobQuery{}).empty());

  LeaseQuery query = LeaseQueryAt(kT0);
  query.kinds = {static_cast<JobKind>(99)};
  EXPECT_EQ(
      store_->LeaseNextJob(kTenantA, query, LeaseDecision(kT0)).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, JobSchedulingFieldsRoundTrip) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "p"));
  Job job = NewJob(kTenantA, pipeline.id);
  job.max_attempts = 7;
  job.next_attempt_time = kT0 + absl::Nanoseconds(2500);
  Job submitted = Submit(job);
  EXPECT_EQ(submitted.max_attempts, 7);
  EXPECT_EQ(submitted.next_attempt_time, kT0 + absl::Microseconds(2));
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, submitted);

  // Each new field alone is a change, stored and read back.
  const std::vector<std::function<void(Job&)>> changes = {
      [](Job& j) { j.next_attempt_time.reset(); },
      [](Job& j) {
        j.state = JobState::kRunning;
        j.lease_id = "lease-1";
        j.worker_id = "worker-1";
        j.lease_expire_time = kT0 + absl::Seconds(30);
      },
      [](Job& j) { j.lease_expire_time = kT0 + absl::Minutes(3); },
      [](Job& j) { j.worker_id = "worker-2"; },
      [](Job& j) { j.lease_id = "another-lease"; },
      [](Job& j) { j.max_attempts = 8; },
      [](Job& j) { j = InState(j, JobState::kQueued); },
  };
  Job expected = submitted;
  for (const auto& change : changes) {
    change(expected);
    Job updated = Update(kTenantA, job.id, change);
    expected.version += 1;
    ExpectSameJob(updated, expected);
    got = store_->GetJob(kTenantA, job.id);
    ASSERT_TRUE(got.ok()) << got.status();
    ExpectSameJob(*got, expected);
  }
  JobQuery query;
  query.limit = 10;
  absl::StatusOr<JobPage> page = store_->ListJobs(kTenantA, query);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->jobs.size(), 1u);
  ExpectSameJob(page->jobs[0], expected);
  EXPECT_FALSE(expected.lease_expire_time.has_value());
  EXPECT_TRUE(expected.lease_id.empty());
}

TEST_F(SqliteStoreTest, SubmitFillsMaxAttemptsFromThePipelinePolicy) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "four attempts"));
  Job job = NewJob(kTenantA, pipeline.id);
  job.max_attempts = 0;
  EXPECT_EQ(Submit(job).max_attempts, 4);
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->max_attempts, 4);

  // The default pipeline is created with the default policy and no limit.
  Job in_default = NewJob(kTenantA);
  in_default.max_attempts = 0;
  EXPECT_EQ(Submit(in_default).max_attempts, RetryPolicy{}.max_attempts);
  absl::StatusOr<Pipeline> the_default =
      store_->GetOrCreateDefaultPipeline(kTenantA, kT0);
  ASSERT_TRUE(the_default.ok()) << the_default.status();
  EXPECT_EQ(the_default->retry_policy, RetryPolicy{});
  EXPECT_EQ(the_default->max_running_jobs, 0);

  // A job's own value wins.
  Job explicit_attempts = NewJob(kTenantA, pipeline.id);
  explicit_attempts.max_attempts = 9;
  EXPECT_EQ(Submit(explicit_attempts).max_attempts, 9);
}

TEST_F(SqliteStoreTest, DispatchOrderIsPipelinePriorityJobPriorityThenFifo) {
  auto pipeline_with_priority = [&](const std::string& name, int priority) {
    Pipeline pipeline = NewPipeline(kTenantA, name);
    pipeline.priority = priority;
    return Create(pipeline);
  };
  Pipeline high = pipeline_with_priority("high", 9);
  Pipeline low = pipeline_with_priority("low", 2);
  Pipeline mid1 = pipeline_with_priority("mid1", 5);
  Pipeline mid2 = pipeline_with_priority("mid2", 5);
  int submitted = 0;
  auto submit = [&](const Pipeline& pipeline, int priority) {
    // Later submits carry earlier times: order is by sequence, not time.
    Job job = NewJob(kTenantA, pipeline.id, kT0 - absl::Seconds(++submitted));
    job.priority = priority;
    return Submit(job).id;
  };
  const std::string l1 = submit(low, 10);  // job priority never beats pipeline
  const std::string m1a = submit(mid1, 5);
  const std::string m2a = submit(mid2, 7);
  const std::string m1b = submit(mid1, 7);
  const std::string m2b = submit(mid2, 5);
  const std::string m1c = submit(mid1, 7);
  const std::string h1 = submit(high, 1);
  const std::string h2 = submit(high, 1);
  const std::string h3 = submit(high, 3);
  Job in_default = NewJob(kTenantA);  // default pipeline: priority 6
  in_default.priority = 1;
  const std::string d1 = Submit(in_default).id;

  EXPECT_EQ(LeaseAll(kTenantA),
            (std::vector<std::string>{h3, h1, h2,     // high
                                      d1,             // default (6)
                                      m2a, m1b, m1c,  // both mid, priority 7
                                      m1a, m2b,       // both mid, priority 5
                                      l1}));          // low
}

TEST_F(SqliteStoreTest, PausedPipelineDispatchesNothingUntilResumed) {
  Pipeline paused = Create(NewPipeline(kTenantA, "paused"));
  Pipeline active = NewPipeline(kTenantA, "active");
  active.priority = 1;  // lower: a paused pipeline is skipped, not blocking
  active = Create(active);
  Pause(kTenantA, paused.id);
  // A paused pipeline still accepts jobs.
  Job held = Submit(NewJob(kTenantA, paused.id));
  Job other = Submit(NewJob(kTenantA, active.id));

  EXPECT_EQ(LeaseAll(kTenantA), std::vector<std::string>{other.id});
  LeaseQuery only_paused = LeaseQueryAt(kT0);
  only_paused.pipeline_ids = {paused.id};
  EXPECT_FALSE(LeaseNext(kTenantA, only_paused).has_value());
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, held.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, held);

  Pause(kTenantA, paused.id, PipelineState::kActive);
  EXPECT_EQ(LeaseAll(kTenantA), std::vector<std::string>{held.id});
}

TEST_F(SqliteStoreTest, MaxRunningJobsCountsRunningAndCanceling) {
  Pipeline limited = NewPipeline(kTenantA, "limited");
  limited.priority = 9;
  limited.max_running_jobs = 2;
  limited = Create(limited);
  Pipeline unlimited = NewPipeline(kTenantA, "unlimited");
  unlimited.priority = 1;
  unlimited = Create(unlimited);
  std::vector<std::string> limited_jobs;
  for (int i = 0; i < 4; ++i) {
    limited_jobs.push_back(Submit(NewJob(kTenantA, limited.id)).id);
  }
  const std::string other1 = Submit(NewJob(kTenantA, unlimited.id)).id;
  const std::string other2 = Submit(NewJob(kTenantA, unlimited.id)).id;

  // Two run; then the limited pipeline is skipped, not waited on.
  EXPECT_EQ(LeaseNext(kTenantA)->id, limited_jobs[0]);
  EXPECT_EQ(LeaseNext(kTenantA)->id, limited_jobs[1]);
  EXPECT_EQ(LeaseNext(kTenantA)->id, other1);
  // A CANCELING job still holds its worker: it still counts.
  SetState(kTenantA, limited_jobs[0], JobState::kCanceling);
  EXPECT_EQ(LeaseNext(kTenantA)->id, other2);
  EXPECT_FALSE(LeaseNext(kTenantA).has_value());
  // Finished jobs do not count.
  SetState(kTenantA, limited_jobs[0], JobState::kCanceled);
  EXPECT_EQ(LeaseNext(kTenantA)->id, limited_jobs[2]);
  EXPECT_FALSE(LeaseNext(kTenantA).has_value());
  SetState(kTenantA, limited_jobs[1], JobState::kSucceeded);
  EXPECT_EQ(LeaseNext(kTenantA)->id, limited_jobs[3]);

  // Raising the limit takes effect at once.
  Pipeline more = NewPipeline(kTenantA, "more");
  more.max_running_jobs = 1;
  more = Create(more);
  const std::string first = Submit(NewJob(kTenantA, more.id)).id;
  const std::string second = Submit(NewJob(kTenantA, more.id)).id;
  EXPECT_EQ(LeaseAll(kTenantA), std::vector<std::string>{first});
  absl::StatusOr<Pipeline> raised =
      store_->UpdatePipeline(kTenantA, more.id, [](const Pipeline& current) {
        Pipeline next = current;
        next.max_running_jobs = 0;
        return next;
      });
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_EQ(LeaseAll(kTenantA), std::vector<std::string>{second});
}

TEST_F(SqliteStoreTest, BackoffHoldsAJobUntilItsNextAttemptTime) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "p"));
  Job waiting = NewJob(kTenantA, pipeline.id);
  waiting.priority = 10;  // would go first if it were due
  waiting.next_attempt_time = kT0 + absl::Seconds(10);
  waiting = Submit(waiting);
  Job ready = Submit(NewJob(kTenantA, pipeline.id));

  EXPECT_EQ(LeaseAll(kTenantA, LeaseQueryAt(kT0)),
            std::vector<std::string>{ready.id});
  EXPECT_FALSE(LeaseNext(kTenantA, LeaseQueryAt(kT0 + absl::Seconds(10) -
                                                absl::Microseconds(1)))
                   .has_value());
  std::optional<Job> leased =
      LeaseNext(kTenantA, LeaseQueryAt(kT0 + absl::Seconds(10)));
  ASSERT_TRUE(leased.has_value());
  EXPECT_EQ(leased->id, waiting.id);
  EXPECT_FALSE(leased->next_attempt_time.has_value());
}

TEST_F(SqliteStoreTest, LeaseFiltersByKindAndPipeline) {
  Pipeline p1 = Create(NewPipeline(kTenantA, "p1"));
  Pipeline p2 = Create(NewPipeline(kTenantA, "p2"));
  Pipeline p3 = Create(NewPipeline(kTenantA, "p3"));
  const std::string dna1 =
      Submit(NewJob(kTenantA, p1.id, kT0, JobKind::kDnaAnalysis)).id;
  const std::string edit2 =
      Submit(NewJob(kTenantA, p2.id, kT0, JobKind::kEditing)).id;
  const std::string dna3 =
      Submit(NewJob(kTenantA, p3.id, kT0, JobKind::kDnaAnalysis)).id;
  const std::string edit3 =
      Submit(NewJob(kTenantA, p3.id, kT0, JobKind::kEditing)).id;

  LeaseQuery editing = LeaseQueryAt(kT0);
  editing.kinds = {JobKind::kEditing, JobKind::kEditing};
  LeaseQuery in_p3 = LeaseQueryAt(kT0);
  in_p3.pipeline_ids = {p3.id};
  in_p3.kinds = {JobKind::kEditing};
  EXPECT_EQ(LeaseNext(kTenantA, in_p3)->id, edit3);
  EXPECT_FALSE(LeaseNext(kTenantA, in_p3).has_value());
  EXPECT_EQ(LeaseAll(kTenantA, editing), std::vector<std::string>{edit2});

  // Unknown and repeated ids are harmless; five ids take the padded shape.
  LeaseQuery listed = LeaseQueryAt(kT0);
  listed.pipeline_ids = {NewResourceId(), p2.id, NewResourceId(), p2.id, p1.id};
  listed.kinds = {JobKind::kDnaAnalysis, JobKind::kEditing};
  EXPECT_EQ(LeaseAll(kTenantA, listed), std::vector<std::string>{dna1});
  EXPECT_EQ(LeaseAll(kTenantA), std::vector<std::string>{dna3});
}

TEST_F(SqliteStoreTest, DispatchIsPerTenant) {
  Pipeline theirs = Create(NewPipeline(kTenantA, "a's"));
  Job a_job = Submit(NewJob(kTenantA, theirs.id));
  Job b_job = Submit(NewJob(kTenantB));

  LeaseQuery naming_theirs = LeaseQueryAt(kT0);
  naming_theirs.pipeline_ids = {theirs.id};
  EXPECT_FALSE(LeaseNext(kTenantB, naming_theirs).has_value());
  EXPECT_EQ(LeaseAll(kTenantB), std::vector<std::string>{b_job.id});
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, a_job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, a_job);
  EXPECT_EQ(LeaseAll(kTenantA), std::vector<std::string>{a_job.id});
}

TEST_F(SqliteStoreTest, LeaseWritesTheDecisionAndReturnsItsErrors) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "p"));
  Job job = Submit(NewJob(kTenantA, pipeline.id));

  // A refusal is returned as is and changes nothing.
  const absl::Status refusal = absl::AbortedError("pipeline not read yet");
  absl::StatusOr<std::optional<Job>> refused = store_->LeaseNextJob(
      kTenantA, LeaseQueryAt(kT0),
      [&](const Job&) -> absl::StatusOr<Job> { return refusal; });
  EXPECT_EQ(refused.status(), refusal);
  // So is a decision that breaks the job's identity.
  absl::StatusOr<std::optional<Job>> moved = store_->LeaseNextJob(
      kTenantA, LeaseQueryAt(kT0), [&](const Job& current) {
        Job next = InState(current, JobState::kRunning);
        next.pipeline_id = NewResourceId();
        return next;
      });
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kInternal);
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, job);

  // The decision sees the row as stored and is written with the next
  // version.
  std::optional<Job> leased = LeaseNext(kTenantA);
  ASSERT_TRUE(leased.has_value());
  EXPECT_EQ(leased->version, 2);
  EXPECT_EQ(leased->attempt_count, 1);
  EXPECT_EQ(leased->worker_id, "worker-1");
  EXPECT_FALSE(leased->lease_id.empty());
  got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, *leased);
}

// Eight workers lease at once: every job is handed out exactly once.
TEST_F(SqliteStoreTest, ConcurrentLeasesNeverHandOutAJobTwice) {
  std::vector<Pipeline> pipelines;
  for (int i = 0; i < 4; ++i) {
    Pipeline pipeline = NewPipeline(kTenantA, absl::StrCat("p", i));
    pipeline.priority = 1 + i * 2;
    pipelines.push_back(Create(pipeline));
  }
  constexpr int kJobs = 200;
  std::set<std::string> submitted;
  for (int i = 0; i < kJobs; ++i) {
    Job job = NewJob(kTenantA, pipelines[i % pipelines.size()].id);
    job.priority = 1 + i % 10;
    submitted.insert(Submit(job).id);
  }

  constexpr int kThreads = 8;
  absl::BlockingCounter ready(kThreads);
  absl::Notification go;
  std::vector<std::vector<std::string>> leased(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ready.DecrementCount();
      go.WaitForNotification();
      const std::string worker = absl::StrCat("worker-", t);
      for (;;) {
        absl::StatusOr<std::optional<Job>> job = store_->LeaseNextJob(
            kTenantA, LeaseQueryAt(kT0), LeaseDecision(kT0, worker));
        EXPECT_TRUE(job.ok()) << job.status();  // a second lease fails
        if (!job.ok() || !job->has_value()) break;
        EXPECT_EQ((*job)->worker_id, worker);
        leased[t].push_back((*job)->id);
      }
    });
  }
  ready.Wait();
  go.Notify();
  for (std::thread& thread : threads) thread.join();

  std::multiset<std::string> all;
  for (const auto& ids : leased) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), submitted);
  JobQuery running;
  running.states = {JobState::kRunning};
  EXPECT_EQ(ListJobIds(kTenantA, running).size(), static_cast<size_t>(kJobs));
}

// Cancels and leases of the same jobs race from several threads: each job
// ends either leased or canceled, never both, and nothing is left queued.
TEST_F(SqliteStoreTest, CancelRacingLeaseHasExactlyOneWinner) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "p"));
  constexpr int kJobs = 300;
  std::vector<std::string> ids;
  for (int i = 0; i < kJobs; ++i) {
    ids.push_back(Submit(NewJob(kTenantA, pipeline.id)).id);
  }

  constexpr int kLeasers = 4;
  constexpr int kCancelers = 4;
  absl::BlockingCounter ready(kLeasers + kCancelers);
  absl::Notification go;
  std::vector<std::vector<std::string>> leased(kLeasers);
  std::vector<std::set<std::string>> canceled(kCancelers);
  std::vector<std::set<std::string>> refused(kCancelers);
  std::vector<std::thread> threads;
  for (int t = 0; t < kLeasers; ++t) {
    threads.emplace_back([&, t] {
      ready.DecrementCount();
      go.WaitForNotification();
      for (;;) {
        absl::StatusOr<std::optional<Job>> job = store_->LeaseNextJob(
            kTenantA, LeaseQueryAt(kT0), LeaseDecision(kT0));
        EXPECT_TRUE(job.ok()) << job.status();
        if (!job.ok() || !job->has_value()) break;
        leased[t].push_back((*job)->id);
      }
    });
  }
  for (int t = 0; t < kCancelers; ++t) {
    threads.emplace_back([&, t] {
      ready.DecrementCount();
      go.WaitForNotification();
      // Each canceler walks the jobs from a different place.
      for (int n = 0; n < kJobs; ++n) {
        const std::string& id = ids[(n + t * kJobs / kCancelers) % kJobs];
        absl::StatusOr<Job> job = store_->UpdateJob(kTenantA, id, CancelQueued);
        if (job.ok()) {
          EXPECT_EQ(job->state, JobState::kCanceled);
          canceled[t].insert(id);
        } else {
          EXPECT_EQ(ErrorReasonOf(job.status()), kReasonJobNotQueued)
              << job.status();
          refused[t].insert(id);
        }
      }
    });
  }
  ready.Wait();
  go.Notify();
  for (std::thread& thread : threads) thread.join();

  std::multiset<std::string> all_leased;
  for (const auto& t : leased) all_leased.insert(t.begin(), t.end());
  std::set<std::string> all_canceled;
  for (const auto& t : canceled) all_canceled.insert(t.begin(), t.end());
  std::set<std::string> all_refused;
  for (const auto& t : refused) all_refused.insert(t.begin(), t.end());
  const std::set<std::string> distinct_leased(all_leased.begin(),
                                              all_leased.end());
  EXPECT_EQ(distinct_leased.size(), all_leased.size());  // no job twice
  EXPECT_EQ(distinct_leased.size() + all_canceled.size(),
            static_cast<size_t>(kJobs));
  EXPECT_EQ(all_refused, distinct_leased);  // refused exactly the leased
  for (const std::string& id : ids) {
    absl::StatusOr<Job> job = store_->GetJob(kTenantA, id);
    ASSERT_TRUE(job.ok()) << job.status();
    const bool was_leased = distinct_leased.count(id) > 0;
    const bool was_canceled = all_canceled.count(id) > 0;
    EXPECT_NE(was_leased, was_canceled) << id;
    EXPECT_EQ(job->state, was_leased ? JobState::kRunning : JobState::kCanceled)
        << id;
    // The winner's write is the job's only change.
    EXPECT_EQ(job->version, 2) << id;
  }
}

TEST_F(SqliteStoreTest, EveryCommittedChangeIsAVersion) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "p"));
  std::vector<Job> expected;
  expected.push_back(Submit(NewJob(kTenantA, pipeline.id)));
  const std::string id = expected[0].id;
  std::optional<Job> leased = LeaseNext(kTenantA);
  ASSERT_TRUE(leased.has_value());
  expected.push_back(*leased);
  expected.push_back(Update(kTenantA, id, [](Job& job) {
    job.lease_expire_time = kT0 + absl::Minutes(1);  // a heartbeat
  }));
  // Neither a "no change" nor a refusal is a version.
  Update(kTenantA, id, [](Job&) {});
  EXPECT_FALSE(store_->UpdateJob(kTenantA, id, CancelQueued).ok());
  expected.push_back(Update(kTenantA, id, [](Job& job) {
    job = InState(job, JobState::kSucceeded);
    job.result = "done";
    job.end_time = kT0 + absl::Minutes(2);
  }));

  std::vector<Job> versions = Versions(kTenantA, id);
  ASSERT_EQ(versions.size(), expected.size());
  for (size_t i = 0; i < versions.size(); ++i) {
    EXPECT_EQ(versions[i].version, static_cast<int64_t>(i + 1));
    ExpectSameJob(versions[i], expected[i]);
  }
  // after_version and limit page through them.
  versions = Versions(kTenantA, id, /*after_version=*/2);
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].version, 3);
  EXPECT_EQ(versions[1].version, 4);
  versions = Versions(kTenantA, id, /*after_version=*/1, /*limit=*/1);
  ASSERT_EQ(versions.size(), 1u);
  ExpectSameJob(versions[0], expected[1]);
  EXPECT_TRUE(Versions(kTenantA, id, /*after_version=*/4).empty());

  // Another tenant's job, or none, is NOT_FOUND; a bad limit is refused.
  for (const auto& [tenant, job_id] :
       std::vector<std::pair<std::string, std::string>>{
           {kTenantB, id}, {kTenantA, NewResourceId()}}) {
    absl::StatusOr<std::vector<Job>> missing =
        store_->ListJobVersions(tenant, job_id, 0, 10);
    EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(ErrorReasonOf(missing.status()), kReasonJobNotFound);
  }
  EXPECT_EQ(store_->ListJobVersions(kTenantA, id, 0, 0).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Versions are as durable as the job.
  store_.reset();
  store_ = OpenOrDie(db_path());
  ASSERT_NE(store_, nullptr);
  versions = Versions(kTenantA, id);
  ASSERT_EQ(versions.size(), expected.size());
  for (size_t i = 0; i < versions.size(); ++i) {
    ExpectSameJob(versions[i], expected[i]);
  }
}

TEST_F(SqliteStoreTest, ListExpiredLeasesAcrossTenantsOldestFirst) {
  auto leased_until = [&](const std::string& tenant, JobState state,
                          absl::Duration expiry) {
    Job job = Submit(NewJob(tenant));
    return Update(tenant, job.id, [&](Job& j) {
      j = InState(j, state);
      j.lease_expire_time = kT0 + expiry;
    });
  };
  Job a1 = leased_until(kTenantA, JobState::kRunning, absl::Seconds(10));
  Job a2 = leased_until(kTenantA, JobState::kCanceling, absl::Seconds(5));
  Job b1 = leased_until(kTenantB, JobState::kRunning, absl::Seconds(20));
  leased_until(kTenantA, JobState::kRunning, absl::Seconds(100));
  // Only RUNNING and CANCELING jobs hold leases: a finished job with a
  // leftover expiry (never written by the lifecycle) is not listed.
  Job finished = leased_until(kTenantA, JobState::kRunning, absl::Seconds(1));
  Update(kTenantA, finished.id, [](Job& j) { j.state = JobState::kSucceeded; });
  Submit(NewJob(kTenantA));  // queued: no lease

  absl::StatusOr<std::vector<Job>> expired =
      store_->ListExpiredLeases(kT0 + absl::Seconds(20), 10);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(IdsOf(*expired), (std::vector<std::string>{a2.id, a1.id, b1.id}));
  ExpectSameJob((*expired)[0], a2);
  expired = store_->ListExpiredLeases(kT0 + absl::Seconds(20), 2);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(IdsOf(*expired), (std::vector<std::string>{a2.id, a1.id}));
  expired = store_->ListExpiredLeases(
      kT0 + absl::Seconds(5) - absl::Microseconds(1), 10);
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_TRUE(expired->empty());
  EXPECT_EQ(store_->ListExpiredLeases(kT0, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, NextDueTimeIsTheEarliestExpiryOrFutureAttempt) {
  auto due = [&](absl::Time now) {
    absl::StatusOr<std::optional<absl::Time>> next = store_->NextDueTime(now);
    EXPECT_TRUE(next.ok()) << next.status();
    return next.ok() ? *next : std::nullopt;
  };
  EXPECT_EQ(due(kT0), std::nullopt);
  Submit(NewJob(kTenantA));  // due at once: nothing to wait for
  EXPECT_EQ(due(kT0), std::nullopt);

  Job backoff = NewJob(kTenantB);
  backoff.next_attempt_time = kT0 + absl::Seconds(50);
  Submit(backoff);
  EXPECT_EQ(due(kT0), kT0 + absl::Seconds(50));
  // A next_attempt_time that has come is not in the future any more.
  EXPECT_EQ(due(kT0 + absl::Seconds(50)), std::nullopt);

  Job running = Submit(NewJob(kTenantA));
  Update(kTenantA, running.id, [](Job& j) {
    j = InState(j, JobState::kRunning);
    j.lease_expire_time = kT0 + absl::Seconds(30);
  });
  EXPECT_EQ(due(kT0), kT0 + absl::Seconds(30));
  // An expired lease not yet ended is due now: it stays the answer.
  EXPECT_EQ(due(kT0 + absl::Seconds(40)), kT0 + absl::Seconds(30));
  Update(kTenantA, running.id,
         [](Job& j) { j = InState(j, JobState::kSucceeded); });
  EXPECT_EQ(due(kT0 + absl::Seconds(40)), kT0 + absl::Seconds(50));
}

// --- Lease waits (LeaseNextJobOrWait) ---

// JobDecisionAt form of LeaseDecision.
JobDecisionAt LeaseDecisionAt(const std::string& worker_id = "worker-1") {
  return [worker_id](const Job& current, absl::Time now) {
    return LeaseDecision(now, worker_id)(current);
  };
}

// A wait registered on an empty queue (fails the test if a job was leased).
std::unique_ptr<LeaseWait> WaitForLease(
    Store& store, const std::string& tenant, LeaseQuery query = LeaseQuery(),
    const JobDecisionAt& decide = LeaseDecisionAt()) {
  query.now = CurrentTime();
  absl::StatusOr<LeaseOrWait> found =
      store.LeaseNextJobOrWait(tenant, query, decide);
  EXPECT_TRUE(found.ok()) << found.status();
  if (!found.ok()) return nullptr;
  EXPECT_FALSE(found->job.has_value()) << found->job->id;
  EXPECT_NE(found->wait, nullptr);
  return std::move(found->wait);
}

TEST_F(SqliteStoreTest, LeaseNextJobOrWaitLeasesAtOnceWhenAJobIsQueued) {
  Job queued = Submit(NewJob(kTenantA));
  LeaseQuery query = LeaseQueryAt(CurrentTime());
  absl::StatusOr<LeaseOrWait> found =
      store_->LeaseNextJobOrWait(kTenantA, query, LeaseDecisionAt());
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->job.has_value());
  EXPECT_EQ(found->wait, nullptr);
  EXPECT_EQ(found->job->id, queued.id);
  EXPECT_EQ(found->job->state, JobState::kRunning);
  // The decision saw the query's moment.
  EXPECT_EQ(found->job->start_time, query.now);
}

TEST_F(SqliteStoreTest, AWaitIsLeasedTheJobInTheCommitThatQueuesIt) {
  std::unique_ptr<LeaseWait> wait = WaitForLease(*store_, kTenantA);
  ASSERT_NE(wait, nullptr);
  EXPECT_EQ(wait->Outcome(), std::nullopt);
  const int64_t commits_before = store_->CommitCount();
  const absl::Time before_submit = CurrentTime();
  Job submitted = Submit(NewJob(kTenantA));
  // The submit's own commit holds the lease: one commit, one fsync.
  EXPECT_EQ(store_->CommitCount() - commits_before, 1);
  EXPECT_EQ(submitted.state, JobState::kQueued);  // as the submit wrote it

  std::optional<absl::StatusOr<Job>> outcome = wait->Outcome();
  ASSERT_TRUE(outcome.has_value());
  ASSERT_TRUE(outcome->ok()) << outcome->status();
  EXPECT_EQ((*outcome)->id, submitted.id);
  EXPECT_EQ((*outcome)->state, JobState::kRunning);
  EXPECT_EQ((*outcome)->worker_id, "worker-1");
  // Decided at the moment of the commit, not of the wait's registration.
  ASSERT_TRUE((*outcome)->start_time.has_value());
  EXPECT_GE(*(*outcome)->start_time, before_submit);
  absl::StatusOr<Job> stored = store_->GetJob(kTenantA, submitted.id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ExpectSameJob(*stored, **outcome);
  std::vector<Job> versions = Versions(kTenantA, submitted.id);
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].state, JobState::kQueued);
  EXPECT_EQ(versions[1].state, JobState::kRunning);
  // Settled: ending it returns the same job, and nothing else is leased.
  std::optional<absl::StatusOr<Job>> ended = wait->End();
  ASSERT_TRUE(ended.has_value() && ended->ok());
  EXPECT_EQ((*ended)->id, submitted.id);
  Job next = Submit(NewJob(kTenantA));
  EXPECT_EQ(store_->GetJob(kTenantA, next.id)->state, JobState::kQueued);
}

TEST_F(SqliteStoreTest, AnEndedWaitIsLeasedNothing) {
  std::unique_ptr<LeaseWait> wait = WaitForLease(*store_, kTenantA);
  ASSERT_NE(wait, nullptr);
  EXPECT_EQ(wait->End(), std::nullopt);
  Job submitted = Submit(NewJob(kTenantA));
  EXPECT_EQ(wait->Outcome(), std::nullopt);
  EXPECT_EQ(store_->GetJob(kTenantA, submitted.id)->state, JobState::kQueued);
  // Destroying a wait ends it too.
  wait = WaitForLease(*store_, kTenantB);
  wait.reset();
  Job other = Submit(NewJob(kTenantB));
  EXPECT_EQ(store_->GetJob(kTenantB, other.id)->state, JobState::kQueued);
}

TEST_F(SqliteStoreTest, WaitsAreServedByTenantFilterAndRegistrationOrder) {
  Pipeline editing_pipeline = Create(NewPipeline(kTenantA, "editing"));
  LeaseQuery editing_only;
  editing_only.kinds = {JobKind::kEditing};
  std::unique_ptr<LeaseWait> editing =
      WaitForLease(*store_, kTenantA, editing_only, LeaseDecisionAt("editor"));
  std::unique_ptr<LeaseWait> first =
      WaitForLease(*store_, kTenantA, LeaseQuery(), LeaseDecisionAt("first"));
  std::unique_ptr<LeaseWait> second =
      WaitForLease(*store_, kTenantA, LeaseQuery(), LeaseDecisionAt("second"));
  std::unique_ptr<LeaseWait> other_tenant =
      WaitForLease(*store_, kTenantB, LeaseQuery(), LeaseDecisionAt("b"));
  ASSERT_TRUE(editing && first && second && other_tenant);

  // A DNA job: not for the editing-only wait; the first plain wait gets it.
  Job dna = Submit(NewJob(kTenantA));
  EXPECT_EQ(editing->Outcome(), std::nullopt);
  ASSERT_TRUE(first->Outcome().has_value());
  EXPECT_EQ((*first->Outcome())->id, dna.id);
  EXPECT_EQ((*first->Outcome())->worker_id, "first");
  EXPECT_EQ(second->Outcome(), std::nullopt);
  EXPECT_EQ(other_tenant->Outcome(), std::nullopt);

  // An editing job goes to the editing wait, registered before `second`.
  Job edit = Submit(NewJob(kTenantA, editing_pipeline.id, kT0,
                           JobKind::kEditing));
  ASSERT_TRUE(editing->Outcome().has_value());
  EXPECT_EQ((*editing->Outcome())->id, edit.id);
  EXPECT_EQ(second->Outcome(), std::nullopt);
  EXPECT_EQ(other_tenant->Outcome(), std::nullopt);

  Job for_b = Submit(NewJob(kTenantB));
  ASSERT_TRUE(other_tenant->Outcome().has_value());
  EXPECT_EQ((*other_tenant->Outcome())->id, for_b.id);
  EXPECT_EQ(second->Outcome(), std::nullopt);
}

TEST_F(SqliteStoreTest, ResumingAPipelineServesItsWaits) {
  Pipeline paused = Create(NewPipeline(kTenantA, "paused"));
  Pause(kTenantA, paused.id);
  Job held = Submit(NewJob(kTenantA, paused.id));
  std::unique_ptr<LeaseWait> wait = WaitForLease(*store_, kTenantA);
  ASSERT_NE(wait, nullptr);
  // A commit that makes nothing dispatchable leaves the wait waiting.
  Job running = Submit(NewJob(kTenantA, paused.id));
  Update(kTenantA, running.id,
         [](Job& j) { j = InState(j, JobState::kRunning); });
  EXPECT_EQ(wait->Outcome(), std::nullopt);

  Pause(kTenantA, paused.id, PipelineState::kActive);
  std::optional<absl::StatusOr<Job>> outcome = wait->Outcome();
  ASSERT_TRUE(outcome.has_value() && outcome->ok());
  EXPECT_EQ((*outcome)->id, held.id);
}

TEST_F(SqliteStoreTest, AFinishedJobFreesAMaxRunningJobsSlotForAWait) {
  Pipeline limited = NewPipeline(kTenantA, "limited");
  limited.max_running_jobs = 1;
  limited = Create(limited);
  Job running = Submit(NewJob(kTenantA, limited.id));
  ASSERT_TRUE(LeaseNext(kTenantA, LeaseQueryAt(CurrentTime())).has_value());
  Job queued = Submit(NewJob(kTenantA, limited.id));
  std::unique_ptr<LeaseWait> wait = WaitForLease(*store_, kTenantA);
  ASSERT_NE(wait, nullptr);
  Update(kTenantA, running.id,
         [](Job& j) { j = InState(j, JobState::kSucceeded); });
  std::optional<absl::StatusOr<Job>> outcome = wait->Outcome();
  ASSERT_TRUE(outcome.has_value() && outcome->ok());
  EXPECT_EQ((*outcome)->id, queued.id);
}

TEST_F(SqliteStoreTest, RetryLeaseWaitsServesAJobWhoseBackoffEnded) {
  std::unique_ptr<LeaseWait> wait = WaitForLease(*store_, kTenantA);
  ASSERT_NE(wait, nullptr);
  Job backoff = NewJob(kTenantA);
  backoff.next_attempt_time = CurrentTime() + absl::Milliseconds(300);
  backoff = Submit(backoff);
  EXPECT_EQ(wait->Outcome(), std::nullopt);  // not due in its own commit
  absl::SleepFor(absl::Milliseconds(400));
  // Time alone changed nothing the store was told of.
  EXPECT_EQ(wait->Outcome(), std::nullopt);
  ASSERT_TRUE(store_->RetryLeaseWaits().ok());
  std::optional<absl::StatusOr<Job>> outcome = wait->Outcome();
  ASSERT_TRUE(outcome.has_value() && outcome->ok());
  EXPECT_EQ((*outcome)->id, backoff.id);
  EXPECT_FALSE((*outcome)->next_attempt_time.has_value());
}

TEST_F(SqliteStoreTest, AWaitsDecisionErrorSettlesItAndWritesNothing) {
  std::unique_ptr<LeaseWait> wait = WaitForLease(
      *store_, kTenantA, LeaseQuery(),
      [](const Job&, absl::Time) -> absl::StatusOr<Job> {
        return absl::AbortedError("pipeline not read yet");
      });
  ASSERT_NE(wait, nullptr);
  Job submitted = Submit(NewJob(kTenantA));
  std::optional<absl::StatusOr<Job>> outcome = wait->Outcome();
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(outcome->status().message(), "pipeline not read yet");
  // The submit committed; only the lease attempt was undone.
  absl::StatusOr<Job> stored = store_->GetJob(kTenantA, submitted.id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ExpectSameJob(*stored, submitted);
  EXPECT_EQ(Versions(kTenantA, submitted.id).size(), 1u);
}

// Records what the store reports and, for each job, the version a separate
// connection sees committed at that moment.
class RecordingListener : public StoreChangeListener {
 public:
  explicit RecordingListener(const std::string& path) {
    auto connection =
        SqliteConnection::Open(path, SqliteConnection::Access::kReadOnly);
    EXPECT_TRUE(connection.ok()) << connection.status();
    if (connection.ok()) connection_ = *std::move(connection);
  }

  void OnJobChanged(const Job& job) override {
    int64_t committed = -1;
    auto select = connection_->Prepare(
        "SELECT version FROM jobs WHERE tenant = ? AND id = ?");
    EXPECT_TRUE(select.ok()) << select.status();
    select->BindText(job.tenant).BindText(job.id);
    absl::StatusOr<bool> row = select->Step();
    if (row.ok() && *row) committed = select->ColumnInt64(0);
    absl::MutexLock lock(&mutex_);
    jobs_.push_back(job);
    committed_versions_.push_back(committed);
  }
  void OnPipelineChanged(const Pipeline& pipeline) override {
    absl::MutexLock lock(&mutex_);
    pipelines_.push_back(pipeline);
  }

  std::vector<Job> jobs() const {
    absl::MutexLock lock(&mutex_);
    return jobs_;
  }
  std::vector<int64_t> committed_versions() const {
    absl::MutexLock lock(&mutex_);
    return committed_versions_;
  }
  std::vector<Pipeline> pipelines() const {
    absl::MutexLock lock(&mutex_);
    return pipelines_;
  }

 private:
  std::unique_ptr<SqliteConnection> connection_;  // the writer thread's
  mutable absl::Mutex mutex_;
  std::vector<Job> jobs_ ABSL_GUARDED_BY(mutex_);
  std::vector<int64_t> committed_versions_ ABSL_GUARDED_BY(mutex_);
  std::vector<Pipeline> pipelines_ ABSL_GUARDED_BY(mutex_);
};

TEST_F(SqliteStoreTest, ListenerHearsEachCommittedChangeOnce) {
  RecordingListener listener(db_path());
  store_->SetChangeListener(&listener);
  std::vector<Job> expected_jobs;
  std::vector<Pipeline> expected_pipelines;

  // A submit into the default pipeline creates it: two rows.
  Job first = Submit(NewJob(kTenantA), "req-1", "fp-1");
  absl::StatusOr<Pipeline> the_default =
      store_->GetOrCreateDefaultPipeline(kTenantA, kT0);
  ASSERT_TRUE(the_default.ok()) << the_default.status();
  expected_pipelines.push_back(*the_default);
  expected_jobs.push_back(first);
  // Told before the call returned: no waiting needed.
  EXPECT_EQ(listener.jobs().size(), 1u);

  // Nothing for: an idempotent retry, "no change", a refusal, a submit
  // into a missing pipeline, a lease with nothing to lease, a lease whose
  // decision refuses.
  JobSubmission retry;
  retry.job = NewJob(kTenantA);
  retry.request_id = "req-1";
  retry.request_fingerprint = "fp-1";
  ASSERT_TRUE(store_->SubmitJob(retry).ok());
  Update(kTenantA, first.id, [](Job&) {});
  EXPECT_FALSE(store_
                   ->UpdateJob(kTenantA, first.id,
                               [](const Job&) {
                                 return absl::StatusOr<Job>(
                                     absl::AbortedError("no"));
                               })
                   .ok());
  JobSubmission nowhere;
  nowhere.job = NewJob(kTenantA, NewResourceId());
  EXPECT_FALSE(store_->SubmitJob(nowhere).ok());
  EXPECT_FALSE(LeaseNext(kTenantB).has_value());
  EXPECT_FALSE(store_
                   ->LeaseNextJob(kTenantA, LeaseQueryAt(kT0),
                                  [](const Job&) {
                                    return absl::StatusOr<Job>(
                                        absl::AbortedError("not now"));
                                  })
                   .ok());

  // Each change once, as committed.
  Pipeline created = Create(NewPipeline(kTenantA, "p"));
  expected_pipelines.push_back(created);
  expected_pipelines.push_back(Pause(kTenantA, created.id));
  Pause(kTenantA, created.id);  // already paused: no change
  std::optional<Job> leased = LeaseNext(kTenantA);
  ASSERT_TRUE(leased.has_value());
  expected_jobs.push_back(*leased);
  expected_jobs.push_back(
      Update(kTenantA, first.id, [](Job& j) { j.worker_id = "worker-2"; }));
  Job second = Submit(NewJob(kTenantA, created.id));
  expected_jobs.push_back(second);

  std::vector<Job> jobs = listener.jobs();
  ASSERT_EQ(jobs.size(), expected_jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i)
    ExpectSameJob(jobs[i], expected_jobs[i]);
  std::vector<int64_t> expected_versions;
  for (const Job& job : expected_jobs) expected_versions.push_back(job.version);
  // When told, the change was already committed (visible to another
  // connection).
  EXPECT_EQ(listener.committed_versions(), expected_versions);
  std::vector<Pipeline> pipelines = listener.pipelines();
  ASSERT_EQ(pipelines.size(), expected_pipelines.size());
  for (size_t i = 0; i < pipelines.size(); ++i) {
    ExpectSamePipeline(pipelines[i], expected_pipelines[i]);
  }

  // Once removed, it hears nothing.
  store_->SetChangeListener(nullptr);
  Update(kTenantA, second.id, [](Job& j) { j.priority = 1; });
  EXPECT_EQ(listener.jobs().size(), expected_jobs.size());
}

// Changes committed together in one group are each reported after that
// commit: concurrent writers all see their listener call.
TEST_F(SqliteStoreTest, ListenerHearsEveryChangeOfConcurrentWriters) {
  RecordingListener listener(db_path());
  store_->SetChangeListener(&listener);
  constexpr int kThreads = 8;
  constexpr int kSubmitsPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int n = 0; n < kSubmitsPerThread; ++n) {
        JobSubmission submission;
        submission.job = NewJob(kTenantA);
        EXPECT_TRUE(store_->SubmitJob(submission).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  store_->SetChangeListener(nullptr);
  std::set<std::string> reported;
  for (const Job& job : listener.jobs()) reported.insert(job.id);
  EXPECT_EQ(reported.size(), static_cast<size_t>(kThreads * kSubmitsPerThread));
  EXPECT_EQ(listener.jobs().size(), reported.size());
  EXPECT_EQ(listener.pipelines().size(), 1u);  // the default, once
  for (int64_t version : listener.committed_versions()) EXPECT_EQ(version, 1);
}

// --- Durability and opening ---

TEST_F(SqliteStoreTest, EverythingSurvivesCloseAndReopen) {
  Pipeline pipeline = Create(NewPipeline(kTenantA, "kept"));
  Job job = Submit(NewJob(kTenantA, pipeline.id), "req-1", "fp-1");
  Job canceled = SetState(kTenantA, job.id, JobState::kCanceled);
  Job in_default = Submit(NewJob(kTenantB));
  absl::StatusOr<Pipeline> default_b =
      store_->GetPipeline(kTenantB, in_default.pipeline_id);
  ASSERT_TRUE(default_b.ok()) << default_b.status();

  store_.reset();
  store_ = OpenOrDie(db_path());
  ASSERT_NE(store_, nullptr);

  absl::StatusOr<Pipeline> got_pipeline =
      store_->GetPipeline(kTenantA, pipeline.id);
  ASSERT_TRUE(got_pipeline.ok()) << got_pipeline.status();
  ExpectSamePipeline(*got_pipeline, pipeline);
  absl::StatusOr<Job> got = store_->GetJob(kTenantA, job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, canceled);
  got = store_->GetJob(kTenantB, in_default.id);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameJob(*got, in_default);

  // The default pipeline and the idempotency key are remembered.
  absl::StatusOr<Pipeline> again =
      store_->GetOrCreateDefaultPipeline(kTenantB, kT0);
  ASSERT_TRUE(again.ok()) << again.status();
  ExpectSamePipeline(*again, *default_b);
  JobSubmission retry;
  retry.job = NewJob(kTenantA, pipeline.id);
  retry.request_id = "req-1";
  retry.request_fingerprint = "fp-1";
  absl::StatusOr<SubmitResult> retried = store_->SubmitJob(retry);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_FALSE(retried->created);
  EXPECT_EQ(retried->job.id, job.id);

  // Sequences keep increasing across restarts.
  Job newer = Submit(NewJob(kTenantA));
  EXPECT_GT(newer.sequence, in_default.sequence);
}

// A child process submits jobs and reports each acknowledged one through a
// pipe; it is killed with SIGKILL mid-stream. Every acknowledged job must be
// in the database afterwards.
TEST_F(SqliteStoreTest, AcknowledgedSubmitsSurviveSigkill) {
  store_.reset();  // the child must not inherit a live store
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    SqliteStoreOptions options;
    options.path = db_path();
    absl::StatusOr<std::unique_ptr<SqliteStore>> store =
        SqliteStore::Open(options);
    if (!store.ok()) _exit(2);
    for (int i = 0; i < 100000; ++i) {
      JobSubmission submission;
      submission.job = NewJob(kTenantA);
      if (!(*store)->SubmitJob(submission).ok()) _exit(3);
      const std::string line = submission.job.id + "\n";
      if (write(fds[1], line.data(), line.size()) !=
          static_cast<ssize_t>(line.size())) {
        _exit(4);
      }
    }
    _exit(0);
  }
  close(fds[1]);
  std::string acknowledged;
  char buffer[4096];
  bool killed = false;
  for (;;) {
    ssize_t n = read(fds[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    acknowledged.append(buffer, n);
    if (!killed &&
        std::count(acknowledged.begin(), acknowledged.end(), '\n') >= 50) {
      kill(child, SIGKILL);
      killed = true;  // keep reading what was written before the kill
    }
  }
  close(fds[0]);
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "child exited " << wait_status;
  EXPECT_EQ(WTERMSIG(wait_status), SIGKILL);

  store_ = OpenOrDie(db_path());
  ASSERT_NE(store_, nullptr);
  int checked = 0;
  for (absl::string_view id :
       absl::StrSplit(acknowledged, '\n', absl::SkipEmpty())) {
    if (id.size() != kIdLength) continue;  // a line cut by the kill
    EXPECT_TRUE(store_->GetJob(kTenantA, std::string(id)).ok()) << id;
    ++checked;
  }
  EXPECT_GE(checked, 50);
}

TEST(SqliteStoreOpenTest, MissingDirectoryFailsClearly) {
  TempDir dir;
  const std::string path = dir.path() + "/no-such-dir/jobcontrol.db";
  SqliteStoreOptions options;
  options.path = path;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReasonOf(store.status()), kReasonStoreUnavailable);
  EXPECT_NE(store.status().message().find(path), std::string::npos)
      << store.status();
  EXPECT_NE(store.status().message().find("No such file or directory"),
            std::string::npos)
      << store.status();
}

TEST(SqliteStoreOpenTest, ParentThatIsAFileFailsClearly) {
  TempDir dir;
  const std::string file = dir.path() + "/plain-file";
  std::ofstream(file) << "x";
  SqliteStoreOptions options;
  options.path = file + "/jobcontrol.db";
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find(options.path), std::string::npos)
      << store.status();
  EXPECT_NE(store.status().message().find("is not a directory"),
            std::string::npos)
      << store.status();
}

TEST(SqliteStoreOpenTest, UnwritableDirectoryFailsClearly) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  TempDir dir;
  ASSERT_EQ(chmod(dir.path().c_str(), 0500), 0);
  SqliteStoreOptions options;
  options.path = dir.path() + "/jobcontrol.db";
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(options);
  chmod(dir.path().c_str(), 0700);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find(options.path), std::string::npos)
      << store.status();
  EXPECT_NE(store.status().message().find("is not writable"), std::string::npos)
      << store.status();
}

TEST(SqliteStoreOpenTest, FileThatIsNotADatabaseFailsClearly) {
  TempDir dir;
  SqliteStoreOptions options;
  options.path = dir.path() + "/jobcontrol.db";
  std::ofstream(options.path) << std::string(8192, 'x');
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReasonOf(store.status()), kReasonStoreUnavailable);
  EXPECT_NE(store.status().message().find("not a database"), std::string::npos)
      << store.status();
}

TEST(SqliteStoreOpenTest, NewerSchemaVersionIsRefused) {
  TempDir dir;
  const std::string path = dir.path() + "/jobcontrol.db";
  {
    auto connection =
        SqliteConnection::Open(path, SqliteConnection::Access::kReadWrite);
    ASSERT_TRUE(connection.ok()) << connection.status();
    ASSERT_TRUE((*connection)->ExecuteScript("PRAGMA user_version = 99").ok());
  }
  SqliteStoreOptions options;
  options.path = path;
  absl::StatusOr<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("99"), std::string::npos);
}

// A database written by the version 1 binary (its schema from the real
// version 1 migration, its rows with version 1's columns) opens in place:
// rows intact, new fields at their defaults, and it works as a new one.
TEST(SqliteStoreOpenTest, Version1DatabaseIsUpgradedInPlace) {
  TempDir dir;
  const std::string path = dir.path() + "/jobcontrol.db";
  const int64_t t0 = absl::ToUnixMicros(kT0);
  {
    auto connection =
        SqliteConnection::Open(path, SqliteConnection::Access::kReadWrite);
    ASSERT_TRUE(connection.ok()) << connection.status();
    ASSERT_TRUE(MigrateSqliteSchemaTo(**connection, 1).ok());
    const std::string rows = absl::StrCat(
        "INSERT INTO pipelines (tenant, id, name, state, priority, is_default,"
        " create_time_us, update_time_us, version) VALUES"
        " ('tenant-a', 'p-legacy', 'legacy', 2, 7, 0, ",
        t0, ", ", t0 + 1,
        ", 2);"
        "INSERT INTO jobs (tenant, id, state, kind, spec, pipeline_id,"
        " priority, user_data, create_time_us, start_time_us, end_time_us,"
        " update_time_us, attempt_count, result, error_code, error_message,"
        " version) VALUES"
        " ('tenant-a', 'j-queued', 1, 2, x'0001', 'p-legacy', 4, 'ud', ",
        t0, ", NULL, NULL, ", t0,
        ", 0, x'', NULL, NULL, 1),"
        " ('tenant-a', 'j-canceled', 6, 1, x'02', 'p-legacy', 6, '', ",
        t0, ", NULL, ", t0 + 5, ", ", t0 + 5,
        ", 0, x'', 1, 'canceled', 2);"
        "INSERT INTO submit_requests (tenant, request_id,"
        " request_fingerprint, job_id, create_time_us) VALUES"
        " ('tenant-a', 'req-1', x'ff', 'j-queued', ",
        t0, ");");
    ASSERT_TRUE((*connection)->ExecuteScript(rows.c_str()).ok());
    auto version = (*connection)->Prepare("PRAGMA user_version");
    ASSERT_TRUE(version.ok() && *version->Step());
    ASSERT_EQ(version->ColumnInt64(0), 1);
  }

  std::unique_ptr<SqliteStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  absl::StatusOr<Pipeline> pipeline = store->GetPipeline(kTenantA, "p-legacy");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  EXPECT_EQ(pipeline->name, "legacy");
  EXPECT_EQ(pipeline->state, PipelineState::kPaused);
  EXPECT_EQ(pipeline->priority, 7);
  EXPECT_EQ(pipeline->update_time, kT0 + absl::Microseconds(1));
  EXPECT_EQ(pipeline->version, 2);
  EXPECT_EQ(pipeline->max_running_jobs, 0);
  // The migration's DEFAULT literals are the core's default policy.
  EXPECT_EQ(pipeline->retry_policy, RetryPolicy{});

  absl::StatusOr<Job> queued = store->GetJob(kTenantA, "j-queued");
  ASSERT_TRUE(queued.ok()) << queued.status();
  EXPECT_EQ(queued->state, JobState::kQueued);
  EXPECT_EQ(queued->kind, JobKind::kEditing);
  EXPECT_EQ(queued->spec, std::string("\0\1", 2));
  EXPECT_EQ(queued->priority, 4);
  EXPECT_EQ(queued->user_data, "ud");
  EXPECT_EQ(queued->version, 1);
  EXPECT_EQ(queued->max_attempts, RetryPolicy{}.max_attempts);
  EXPECT_TRUE(queued->lease_id.empty());
  EXPECT_TRUE(queued->worker_id.empty());
  EXPECT_FALSE(queued->lease_expire_time.has_value());
  EXPECT_FALSE(queued->next_attempt_time.has_value());
  absl::StatusOr<Job> canceled = store->GetJob(kTenantA, "j-canceled");
  ASSERT_TRUE(canceled.ok()) << canceled.status();
  EXPECT_EQ(canceled->state, JobState::kCanceled);
  EXPECT_EQ(canceled->end_time, kT0 + absl::Microseconds(5));
  ASSERT_TRUE(canceled->error.has_value());
  EXPECT_EQ(canceled->error->message, "canceled");
  EXPECT_EQ(canceled->version, 2);

  // Each job's current row is its first recorded version.
  absl::StatusOr<std::vector<Job>> versions =
      store->ListJobVersions(kTenantA, "j-canceled", 0, 10);
  ASSERT_TRUE(versions.ok()) << versions.status();
  ASSERT_EQ(versions->size(), 1u);
  ExpectSameJob((*versions)[0], *canceled);

  // And the upgraded database works: idempotency keys, dispatch, versions.
  JobSubmission retry;
  retry.job = NewJob(kTenantA, "p-legacy");
  retry.request_id = "req-1";
  retry.request_fingerprint = "\xff";
  absl::StatusOr<SubmitResult> retried = store->SubmitJob(retry);
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_FALSE(retried->created);
  EXPECT_EQ(retried->job.id, "j-queued");
  ASSERT_TRUE(store
                  ->UpdatePipeline(kTenantA, "p-legacy",
                                   [](const Pipeline& current) {
                                     Pipeline next = current;
                                     next.state = PipelineState::kActive;
                                     return next;
                                   })
                  .ok());
  absl::StatusOr<std::optional<Job>> leased =
      store->LeaseNextJob(kTenantA, LeaseQueryAt(kT0), LeaseDecision(kT0));
  ASSERT_TRUE(leased.ok()) << leased.status();
  ASSERT_TRUE(leased->has_value());
  EXPECT_EQ((*leased)->id, "j-queued");
  versions = store->ListJobVersions(kTenantA, "j-queued", 0, 10);
  ASSERT_TRUE(versions.ok()) << versions.status();
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[1].version, 2);
  EXPECT_EQ((*versions)[1].state, JobState::kRunning);

  store.reset();
  auto connection =
      SqliteConnection::Open(path, SqliteConnection::Access::kReadOnly);
  ASSERT_TRUE(connection.ok()) << connection.status();
  auto version = (*connection)->Prepare("PRAGMA user_version");
  ASSERT_TRUE(version.ok() && *version->Step());
  EXPECT_EQ(version->ColumnInt64(0), kSqliteSchemaVersion);
}

// A version 2 database (indexes jobs_unfinished_by_pipeline and
// jobs_queued_by_next_attempt) opens in place: version 3 has neither, the
// narrower jobs_backoff_by_next_attempt instead, and the queries that used
// them still answer from the upgraded indexes.
TEST(SqliteStoreOpenTest, Version2DatabaseIsUpgradedInPlace) {
  TempDir dir;
  const std::string path = dir.path() + "/jobcontrol.db";
  const int64_t t0 = absl::ToUnixMicros(kT0);
  {
    auto connection =
        SqliteConnection::Open(path, SqliteConnection::Access::kReadWrite);
    ASSERT_TRUE(connection.ok()) << connection.status();
    ASSERT_TRUE(MigrateSqliteSchemaTo(**connection, 2).ok());
    // A pipeline with one job waiting out a backoff until t0 + 60 s, and
    // another with only a succeeded job.
    const std::string rows = absl::StrCat(
        "INSERT INTO pipelines (tenant, id, name, state, priority, is_default,"
        " create_time_us, update_time_us, version) VALUES"
        " ('tenant-a', 'p-busy', 'busy', 1, 6, 0, ", t0, ", ", t0, ", 1),"
        " ('tenant-a', 'p-done', 'done', 1, 6, 0, ", t0, ", ", t0, ", 1);"
        "INSERT INTO jobs (tenant, id, state, kind, spec, pipeline_id,"
        " priority, user_data, create_time_us, update_time_us,"
        " attempt_count, result, version, next_attempt_time_us) VALUES"
        " ('tenant-a', 'j-backoff', 1, 1, x'', 'p-busy', 5, '', ", t0, ", ",
        t0, ", 1, x'', 3, ", t0 + 60000000, "),"
        " ('tenant-a', 'j-done', 4, 1, x'', 'p-done', 5, '', ", t0, ", ", t0,
        ", 1, x'', 3, NULL);");
    ASSERT_TRUE((*connection)->ExecuteScript(rows.c_str()).ok());
  }

  std::unique_ptr<SqliteStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::optional<absl::Time>> due = store->NextDueTime(kT0);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(*due, kT0 + absl::Seconds(60));
  absl::Status busy = store->DeletePipeline(kTenantA, "p-busy");
  EXPECT_EQ(ErrorReasonOf(busy), kReasonPipelineNotEmpty) << busy;
  EXPECT_TRUE(store->DeletePipeline(kTenantA, "p-done").ok());

  store.reset();
  auto connection =
      SqliteConnection::Open(path, SqliteConnection::Access::kReadOnly);
  ASSERT_TRUE(connection.ok()) << connection.status();
  auto indexes = (*connection)->Prepare(
      "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master"
      " WHERE type = 'index' AND tbl_name = 'jobs' AND name NOT LIKE"
      " 'sqlite_autoindex%' ORDER BY name)");
  ASSERT_TRUE(indexes.ok() && *indexes->Step());
  EXPECT_EQ(indexes->ColumnText(0),
            "jobs_backoff_by_next_attempt jobs_by_tenant jobs_by_tenant_pipeline"
            " jobs_by_tenant_state jobs_leased_by_expiry jobs_queued_by_pipeline"
            " jobs_running_by_pipeline");
}

TEST(SqliteStoreOpenTest, SchemaIsVersionedAndInWalMode) {
  TempDir dir;
  const std::string path = dir.path() + "/jobcontrol.db";
  std::unique_ptr<SqliteStore> store = OpenOrDie(path);
  ASSERT_NE(store, nullptr);
  auto connection =
      SqliteConnection::Open(path, SqliteConnection::Access::kReadOnly);
  ASSERT_TRUE(connection.ok()) << connection.status();
  for (const auto& [pragma, expected] :
       std::vector<std::pair<std::string, std::string>>{
           {"PRAGMA user_version", absl::StrCat(kSqliteSchemaVersion)},
           {"PRAGMA journal_mode", "wal"}}) {
    auto statement = (*connection)->Prepare(pragma);
    ASSERT_TRUE(statement.ok()) << statement.status();
    absl::StatusOr<bool> row = statement->Step();
    ASSERT_TRUE(row.ok() && *row) << pragma;
    EXPECT_EQ(statement->ColumnText(0), expected) << pragma;
  }
}

// Every shape of ListJobs query walks an index in sequence order: no full
// scan, no sort of all matching rows before LIMIT (a page stays O(page)).
TEST(SqliteJobQueryTest, EveryFilterCombinationUsesAnIndexWithoutSorting) {
  TempDir dir;
  const std::string path = dir.path() + "/jobcontrol.db";
  ASSERT_NE(OpenOrDie(path), nullptr);  // creates the schema
  auto connection =
      SqliteConnection::Open(path, SqliteConnection::Access::kReadOnly);
  ASSERT_TRUE(connection.ok()) << connection.status();
  const std::vector<std::vector<JobState>> state_filters = {
      {},
      {JobState::kQueued},
      {JobState::kQueued, JobState::kRunning},
      {JobState::kQueued, JobState::kRunning, JobState::kCanceling,
       JobState::kSucceeded, JobState::kFailed, JobState::kCanceled}};
  int shapes = 0;
  for (const auto& states : state_filters) {
    for (int mask = 0; mask < 32; ++mask) {
      JobQuery query;
      query.states = states;
      if (mask & 1) query.pipeline_id = "p";
      if (mask & 2) query.kind = JobKind::kEditing;
      if (mask & 4) query.create_time_from = kT0;
      if (mask & 8) query.create_time_to = kT0;
      if (mask & 16) query.before_sequence = 10;
      const std::string sql = ListJobsSql("sequence, id", query);
      auto plan = (*connection)->Prepare("EXPLAIN QUERY PLAN " + sql);
      ASSERT_TRUE(plan.ok()) << plan.status();
      BindListJobsQuery(*plan, kTenantA, query);
      std::string details;
      for (;;) {
        absl::StatusOr<bool> row = plan->Step();
        ASSERT_TRUE(row.ok()) << row.status();
        if (!*row) break;
        absl::StrAppend(&details, plan->ColumnText(3), "\n");
      }
      EXPECT_EQ(details.find("TEMP B-TREE"), std::string::npos) << sql << "\n"
                                                                << details;
      EXPECT_EQ(details.find("SCAN"), std::string::npos) << sql << "\n"
                                                         << details;
      const char* expected_index = query.pipeline_id.has_value()
                                       ? "jobs_by_tenant_pipeline"
                                   : states.size() == 1 ? "jobs_by_tenant_state"
                                                        : "jobs_by_tenant ";
      EXPECT_NE(details.find(expected_index), std::string::npos) << sql << "\n"
                                                                 << details;
      ++shapes;
    }
  }
  EXPECT_EQ(shapes, 128);
}

// The details column of EXPLAIN QUERY PLAN for `sql`, bound by `bind`.
std::string QueryPlan(SqliteConnection& connection, const std::string& sql,
                      const std::function<void(SqliteStatement&)>& bind) {
  auto plan = connection.Prepare("EXPLAIN QUERY PLAN " + sql);
  EXPECT_TRUE(plan.ok()) << plan.status();
  if (!plan.ok()) return "";
  bind(*plan);
  std::string details;
  for (;;) {
    absl::StatusOr<bool> row = plan->Step();
    EXPECT_TRUE(row.ok()) << row.status();
    if (!row.ok() || !*row) break;
    absl::StrAppend(&details, plan->ColumnText(3), "\n");
  }
  return details;
}

// The LeaseNextJob pick never scans the jobs table: it searches the QUEUED
// index per pipeline and counts running jobs with the RUNNING/CANCELING
// index; the only sort is over one pick per pipeline.
TEST(SqliteJobQueryTest, LeaseCandidateUsesThePartialIndexes) {
  TempDir dir;
  const std::string path = dir.path() + "/jobcontrol.db";
  ASSERT_NE(OpenOrDie(path), nullptr);
  auto connection =
      SqliteConnection::Open(path, SqliteConnection::Access::kReadOnly);
  ASSERT_TRUE(connection.ok()) << connection.status();
  const std::vector<std::vector<JobKind>> kind_filters = {
      {}, {JobKind::kEditing}, {JobKind::kEditing, JobKind::kDnaAnalysis}};
  const std::vector<std::vector<std::string>> pipeline_filters = {
      {}, {"p1"}, {"p1", "p2", "p3"}};
  for (const auto& kinds : kind_filters) {
    for (const auto& pipeline_ids : pipeline_filters) {
      LeaseQuery query = LeaseQueryAt(kT0);
      query.kinds = kinds;
      query.pipeline_ids = pipeline_ids;
      const std::string sql = LeaseCandidateSql("sequence, id", query);
      const std::string details =
          QueryPlan(**connection, sql, [&](SqliteStatement& statement) {
            BindLeaseCandidateQuery(statement, kTenantA, query);
          });
      EXPECT_EQ(details.find("SCAN"), std::string::npos) << sql << "\n"
                                                         << details;
      EXPECT_NE(details.find("jobs_queued_by_pipeline"), std::string::npos)
          << sql << "\n"
          << details;
      EXPECT_NE(details.find("jobs_running_by_pipeline"), std::string::npos)
          << sql << "\n"
          << details;
    }
  }
}

TEST(SqliteJobQueryTest, LeaseCandidateTextsAreFewPerShape) {
  auto sql_for = [](std::vector<std::string> pipeline_ids,
                    std::vector<JobKind> kinds) {
    LeaseQuery query;
    query.pipeline_ids = std::move(pipeline_ids);
    query.kinds = std::move(kinds);
    return LeaseCandidateSql("id", query);
  };
  // Repeats are dropped; lists are padded to a power of two.
  EXPECT_EQ(sql_for({"a", "a", "b"}, {}), sql_for({"a", "b"}, {}));
  EXPECT_EQ(sql_for({"a", "b", "c"}, {}), sql_for({"a", "b", "c", "d"}, {}));
  EXPECT_EQ(sql_for({"a", "b", "c", "d", "e"}, {}),
            sql_for({"1", "2", "3", "4", "5", "6", "7", "8"}, {}));
  EXPECT_NE(sql_for({"a", "b", "c", "d"}, {}),
            sql_for({"a", "b", "c", "d", "e"}, {}));
  EXPECT_EQ(
      sql_for({}, {JobKind::kEditing, JobKind::kEditing, JobKind::kEditing}),
      sql_for({}, {JobKind::kDnaAnalysis}));
}

TEST(SqliteJobQueryTest, LeaseExpiryAndBackoffQueriesReadOnlyTheirIndex) {
  TempDir dir;
  const std::string path = dir.path() + "/jobcontrol.db";
  ASSERT_NE(OpenOrDie(path), nullptr);
  auto connection =
      SqliteConnection::Open(path, SqliteConnection::Access::kReadOnly);
  ASSERT_TRUE(connection.ok()) << connection.status();
  struct Query {
    std::string sql;
    int parameters;
    const char* index;
  };
  const std::vector<Query> queries = {
      {ListExpiredLeasesSql("sequence, id"), 2, "jobs_leased_by_expiry"},
      {NextLeaseExpirySql(), 0, "jobs_leased_by_expiry"},
      {NextAttemptAfterSql(), 1, "jobs_backoff_by_next_attempt"}};
  for (const auto& [sql, parameters, index] : queries) {
    const std::string details =
        QueryPlan(**connection, sql, [&](SqliteStatement& statement) {
          for (int i = 0; i < parameters; ++i) statement.BindInt64(1);
        });
    EXPECT_EQ(details.find("SCAN"), std::string::npos) << sql << "\n"
                                                       << details;
    EXPECT_EQ(details.find("TEMP B-TREE"), std::string::npos) << sql << "\n"
                                                              << details;
    EXPECT_NE(details.find(index), std::string::npos) << sql << "\n" << details;
  }
}

// DeletePipeline's probe is one lookup in each dispatch partial index.
TEST(SqliteJobQueryTest, UnfinishedJobProbeReadsTheTwoPartialIndexes) {
  TempDir dir;
  const std::string path = dir.path() + "/jobcontrol.db";
  ASSERT_NE(OpenOrDie(path), nullptr);
  auto connection =
      SqliteConnection::Open(path, SqliteConnection::Access::kReadOnly);
  ASSERT_TRUE(connection.ok()) << connection.status();
  const std::string sql = UnfinishedJobOfPipelineSql();
  const std::string details =
      QueryPlan(**connection, sql, [](SqliteStatement& statement) {
        statement.BindText(kTenantA).BindText("p").BindText(kTenantA).BindText(
            "p");
      });
  EXPECT_EQ(details.find("SCAN"), std::string::npos) << sql << "\n" << details;
  EXPECT_NE(details.find("jobs_queued_by_pipeline"), std::string::npos)
      << sql << "\n"
      << details;
  EXPECT_NE(details.find("jobs_running_by_pipeline"), std::string::npos)
      << sql << "\n"
      << details;
}

// --- The group-commit writer on its own ---
//
// These tests queue operations asynchronously while the writer is held in a
// blocking operation, so which operations share a transaction is determined
// by the test, not by timing.

class SqliteGroupCommitWriterTest : public testing::Test {
 protected:
  std::unique_ptr<SqliteGroupCommitWriter> NewWriter(int max_group_size) {
    auto connection =
        SqliteConnection::Open(path_, SqliteConnection::Access::kReadWrite);
    EXPECT_TRUE(connection.ok()) << connection.status();
    if (!connection.ok()) return nullptr;
    EXPECT_TRUE(ConfigureSqliteWriter(**connection).ok());
    EXPECT_TRUE(
        (*connection)
            ->ExecuteScript("CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                            "CREATE TABLE child (id INTEGER PRIMARY KEY,"
                            " parent_id INTEGER REFERENCES parent (id)"
                            " DEFERRABLE INITIALLY DEFERRED);")
            .ok());
    return std::make_unique<SqliteGroupCommitWriter>(*std::move(connection),
                                                     max_group_size);
  }

  // Queues an operation that blocks the writer thread until `release`.
  std::future<absl::Status> HoldWriter(SqliteGroupCommitWriter& writer,
                                       absl::Notification& release) {
    auto busy = std::make_shared<absl::Notification>();
    std::future<absl::Status> done =
        writer.Submit([busy, &release](SqliteConnection&) {
          busy->Notify();
          release.WaitForNotification();
          return absl::OkStatus();
        });
    busy->WaitForNotification();
    return done;
  }

  static SqliteGroupCommitWriter::Operation Insert(int id) {
    return [id](SqliteConnection& db) -> absl::Status {
      auto insert = db.Prepare("INSERT INTO parent (id) VALUES (?)");
      if (!insert.ok()) return insert.status();
      insert->BindInt64(id);
      return insert->Execute();
    };
  }

  // Inserts `id`, then fails with `code` and `message`: a failure after
  // writing. Each run makes its own status: a status built once and handed
  // to the test's thread would share its heap part with the writer thread
  // that destroys the operation, unsynchronized for ThreadSanitizer (Debian's
  // Abseil is not instrumented).
  static SqliteGroupCommitWriter::Operation InsertThenFail(
      int id, absl::StatusCode code, std::string message) {
    return [id, code, message](SqliteConnection& db) {
      absl::Status inserted = Insert(id)(db);
      if (!inserted.ok()) return inserted;
      return absl::Status(code, message);
    };
  }

  // Runs `operation` and counts its runs in `runs`.
  static SqliteGroupCommitWriter::Operation Counted(
      std::shared_ptr<std::atomic<int>> runs,
      SqliteGroupCommitWriter::Operation operation) {
    return [runs, operation = std::move(operation)](SqliteConnection& db) {
      ++*runs;
      return operation(db);
    };
  }

  std::vector<int64_t> ParentIds() {
    auto connection =
        SqliteConnection::Open(path_, SqliteConnection::Access::kReadOnly);
    EXPECT_TRUE(connection.ok()) << connection.status();
    if (!connection.ok()) return {};
    auto select = (*connection)->Prepare("SELECT id FROM parent ORDER BY id");
    EXPECT_TRUE(select.ok()) << select.status();
    std::vector<int64_t> ids;
    for (;;) {
      absl::StatusOr<bool> row = select->Step();
      EXPECT_TRUE(row.ok()) << row.status();
      if (!row.ok() || !*row) break;
      ids.push_back(select->ColumnInt64(0));
    }
    return ids;
  }

  TempDir dir_;
  const std::string path_ = dir_.path() + "/writer.db";
};

TEST_F(SqliteGroupCommitWriterTest, QueuedOperationsShareOneCommit) {
  auto writer = NewWriter(/*max_group_size=*/256);
  ASSERT_NE(writer, nullptr);
  absl::Notification release;
  std::future<absl::Status> held = HoldWriter(*writer, release);
  std::vector<std::future<absl::Status>> queued;
  for (int i = 1; i <= 10; ++i) queued.push_back(writer->Submit(Insert(i)));
  release.Notify();
  EXPECT_TRUE(held.get().ok());
  for (auto& done : queued) EXPECT_TRUE(done.get().ok());
  // One transaction for the holder, one for the ten queued behind it.
  EXPECT_EQ(writer->CommitCount(), 2);
  EXPECT_EQ(ParentIds().size(), 10u);
}

TEST_F(SqliteGroupCommitWriterTest, GroupsAreCappedAtMaxGroupSize) {
  auto writer = NewWriter(/*max_group_size=*/4);
  ASSERT_NE(writer, nullptr);
  absl::Notification release;
  std::future<absl::Status> held = HoldWriter(*writer, release);
  std::vector<std::future<absl::Status>> queued;
  for (int i = 1; i <= 10; ++i) queued.push_back(writer->Submit(Insert(i)));
  release.Notify();
  EXPECT_TRUE(held.get().ok());
  for (auto& done : queued) EXPECT_TRUE(done.get().ok());
  EXPECT_EQ(writer->CommitCount(), 1 + 3);  // holder; then 4 + 4 + 2
}

TEST_F(SqliteGroupCommitWriterTest, FailedOperationRollsBackOnlyItself) {
  auto writer = NewWriter(/*max_group_size=*/256);
  ASSERT_NE(writer, nullptr);
  absl::Notification release;
  std::future<absl::Status> held = HoldWriter(*writer, release);
  std::future<absl::Status> first = writer->Submit(Insert(1));
  std::future<absl::Status> failing = writer->Submit(
      InsertThenFail(2, absl::StatusCode::kFailedPrecondition,
                     "changed my mind"));
  std::future<absl::Status> duplicate = writer->Submit(Insert(1));
  std::future<absl::Status> last = writer->Submit(Insert(3));
  release.Notify();
  EXPECT_TRUE(held.get().ok());
  EXPECT_TRUE(first.get().ok());
  EXPECT_EQ(failing.get(), absl::FailedPreconditionError("changed my mind"));
  EXPECT_EQ(duplicate.get().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(last.get().ok());
  EXPECT_EQ(ParentIds(), (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(writer->CommitCount(), 2);
}

TEST_F(SqliteGroupCommitWriterTest, FailureThatChangedNothingUndoesNothing) {
  auto writer = NewWriter(/*max_group_size=*/256);
  ASSERT_NE(writer, nullptr);
  auto first_runs = std::make_shared<std::atomic<int>>(0);
  auto refused_runs = std::make_shared<std::atomic<int>>(0);
  absl::Notification release;
  std::future<absl::Status> held = HoldWriter(*writer, release);
  std::future<absl::Status> first =
      writer->Submit(Counted(first_runs, Insert(1)));
  std::future<absl::Status> refused = writer->Submit(
      Counted(refused_runs, [](SqliteConnection&) {
        return absl::FailedPreconditionError("not queued");
      }));
  // A constraint SQLite checks before it writes: nothing changed either.
  std::future<absl::Status> duplicate = writer->Submit(Insert(1));
  std::future<absl::Status> last = writer->Submit(Insert(2));
  release.Notify();
  EXPECT_TRUE(held.get().ok());
  EXPECT_TRUE(first.get().ok());
  EXPECT_EQ(refused.get(), absl::FailedPreconditionError("not queued"));
  EXPECT_EQ(duplicate.get().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(last.get().ok());
  EXPECT_EQ(ParentIds(), (std::vector<int64_t>{1, 2}));
  // Nothing was run again.
  EXPECT_EQ(*first_runs, 1);
  EXPECT_EQ(*refused_runs, 1);
  EXPECT_EQ(writer->CommitCount(), 2);
}

TEST_F(SqliteGroupCommitWriterTest,
       FailureAfterWritingRunsTheOthersAgainWithoutIt) {
  auto writer = NewWriter(/*max_group_size=*/256);
  ASSERT_NE(writer, nullptr);
  auto before_runs = std::make_shared<std::atomic<int>>(0);
  auto failing_runs = std::make_shared<std::atomic<int>>(0);
  auto second_failing_runs = std::make_shared<std::atomic<int>>(0);
  auto after_runs = std::make_shared<std::atomic<int>>(0);
  absl::Notification release;
  std::future<absl::Status> held = HoldWriter(*writer, release);
  std::future<absl::Status> before =
      writer->Submit(Counted(before_runs, Insert(1)));
  std::future<absl::Status> failing =
      writer->Submit(Counted(failing_runs, InsertThenFail(
          2, absl::StatusCode::kAborted, "gave up after 2")));
  std::future<absl::Status> second_failing =
      writer->Submit(Counted(second_failing_runs, InsertThenFail(
          3, absl::StatusCode::kAborted, "gave up after 3")));
  // Inserts 2 itself: it would collide with the failed operation's row if
  // that had been kept.
  std::future<absl::Status> after =
      writer->Submit(Counted(after_runs, Insert(2)));
  release.Notify();
  EXPECT_TRUE(held.get().ok());
  EXPECT_TRUE(before.get().ok());
  EXPECT_EQ(failing.get(), absl::AbortedError("gave up after 2"));
  EXPECT_EQ(second_failing.get(), absl::AbortedError("gave up after 3"));
  EXPECT_TRUE(after.get().ok());
  EXPECT_EQ(ParentIds(), (std::vector<int64_t>{1, 2}));
  // The first operation ran three times (the group started over after each
  // failure), each failing one once, the last one once.
  EXPECT_EQ(*before_runs, 3);
  EXPECT_EQ(*failing_runs, 1);
  EXPECT_EQ(*second_failing_runs, 1);
  EXPECT_EQ(*after_runs, 1);
  EXPECT_EQ(writer->CommitCount(), 2);  // still one commit for the group
}

TEST_F(SqliteGroupCommitWriterTest, FailedCommitFailsEveryOperationInGroup) {
  auto writer = NewWriter(/*max_group_size=*/256);
  ASSERT_NE(writer, nullptr);
  absl::Notification release;
  std::future<absl::Status> held = HoldWriter(*writer, release);
  std::future<absl::Status> innocent = writer->Submit(Insert(1));
  // A deferred foreign key is only checked by COMMIT, which then fails.
  std::future<absl::Status> orphan = writer->Submit([](SqliteConnection& db) {
    return db.ExecuteScript(
        "INSERT INTO child (id, parent_id) VALUES (1, 999)");
  });
  release.Notify();
  EXPECT_TRUE(held.get().ok());
  for (std::future<absl::Status>* done : {&innocent, &orphan}) {
    absl::Status status = done->get();
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_EQ(ErrorReasonOf(status), kReasonStoreUnavailable);
  }
  EXPECT_TRUE(ParentIds().empty());
  EXPECT_EQ(writer->CommitCount(), 1);  // the holder's only

  // The writer recovered: the next group commits.
  EXPECT_TRUE(writer->Run(Insert(5)).ok());
  EXPECT_EQ(ParentIds(), (std::vector<int64_t>{5}));
}

TEST_F(SqliteGroupCommitWriterTest, ShutdownFinishesQueuedWritesThenRefuses) {
  auto writer = NewWriter(/*max_group_size=*/2);
  ASSERT_NE(writer, nullptr);
  absl::Notification release;
  std::future<absl::Status> held = HoldWriter(*writer, release);
  std::vector<std::future<absl::Status>> queued;
  for (int i = 1; i <= 5; ++i) queued.push_back(writer->Submit(Insert(i)));
  std::thread stopper([&] { writer->Shutdown(); });
  release.Notify();
  stopper.join();
  // Shutdown returned: everything queued before it is done and committed.
  EXPECT_TRUE(held.get().ok());
  for (auto& done : queued) {
    ASSERT_EQ(done.wait_for(std::chrono::seconds(0)),
              std::future_status::ready);
    EXPECT_TRUE(done.get().ok());
  }
  EXPECT_EQ(ParentIds(), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  absl::Status refused = writer->Run(Insert(6));
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ErrorReasonOf(refused), kReasonStoreUnavailable);
}

TEST_F(SqliteGroupCommitWriterTest, AfterCommitRunsForCommittedOperations) {
  auto writer = NewWriter(/*max_group_size=*/256);
  ASSERT_NE(writer, nullptr);
  absl::Notification release;
  std::future<absl::Status> held = HoldWriter(*writer, release);
  std::vector<int> ran;  // written on the writer thread only
  auto record = [&](int n) { return [&ran, n] { ran.push_back(n); }; };
  std::future<absl::Status> first = writer->Submit(Insert(1), record(1));
  std::future<absl::Status> failing = writer->Submit(
      [](SqliteConnection&) { return absl::AbortedError("no"); }, record(2));
  std::future<absl::Status> last = writer->Submit(Insert(3), record(3));
  release.Notify();
  EXPECT_TRUE(held.get().ok());
  EXPECT_TRUE(first.get().ok());
  // Every action of the group ran before its first caller was completed.
  EXPECT_EQ(ran, (std::vector<int>{1, 3}));
  EXPECT_FALSE(failing.get().ok());
  EXPECT_TRUE(last.get().ok());
  EXPECT_EQ(ran, (std::vector<int>{1, 3}));
}

TEST_F(SqliteGroupCommitWriterTest, AfterCommitDoesNotRunWhenCommitFails) {
  auto writer = NewWriter(/*max_group_size=*/256);
  ASSERT_NE(writer, nullptr);
  absl::Notification release;
  std::future<absl::Status> held = HoldWriter(*writer, release);
  std::atomic<int> ran{0};
  std::future<absl::Status> innocent =
      writer->Submit(Insert(1), [&] { ran.fetch_add(1); });
  std::future<absl::Status> orphan = writer->Submit(
      [](SqliteConnection& db) {
        return db.ExecuteScript(
            "INSERT INTO child (id, parent_id) VALUES (1, 999)");
      },
      [&] { ran.fetch_add(1); });
  release.Notify();
  EXPECT_TRUE(held.get().ok());
  EXPECT_FALSE(innocent.get().ok());
  EXPECT_FALSE(orphan.get().ok());
  EXPECT_EQ(ran.load(), 0);
}

TEST(SqliteErrorStatusTest, MapsResultCodes) {
  // Busy, locked, full and I/O errors are UNAVAILABLE, never INTERNAL.
  for (int rc : {SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_IOERR,
                 SQLITE_IOERR_FSYNC, SQLITE_CORRUPT, SQLITE_CANTOPEN,
                 SQLITE_NOTADB, SQLITE_READONLY}) {
    absl::Status status = SqliteErrorStatus(rc, "ctx", "msg");
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << rc;
    EXPECT_EQ(ErrorReasonOf(status), kReasonStoreUnavailable) << rc;
    EXPECT_NE(status.message().find("msg"), std::string::npos);
  }
  EXPECT_EQ(SqliteErrorStatus(SQLITE_CONSTRAINT_UNIQUE, "c", "m").code(),
            absl::StatusCode::kAlreadyExists);
}

}  // namespace
}  // namespace jobcontrol
