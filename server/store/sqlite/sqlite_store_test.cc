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
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
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
    absl::StatusOr<Job> updated =
        store_->UpdateJob(tenant, id, [state](const Job& current) {
          Job next = current;
          next.state = state;
          return next;
        });
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
  std::future<absl::Status> failing = writer->Submit([](SqliteConnection& db) {
    absl::Status inserted = Insert(2)(db);
    if (!inserted.ok()) return inserted;
    return absl::FailedPreconditionError("changed my mind");
  });
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
