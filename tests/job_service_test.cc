// Integration tests of jobcontrol.v1.JobService against the real server and
// a real SQLite file: SubmitJob, GetJob, CancelJob, ListJobs, their
// validation (every rejection changes nothing) and idempotent submit.
#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace jobcontrol {
namespace test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kUnknownId[] = "0123456789abcdef0123456789abcdef";

std::vector<std::string> IdsOf(const std::vector<v1::Job>& jobs) {
  std::vector<std::string> ids;
  ids.reserve(jobs.size());
  for (const v1::Job& job : jobs) ids.push_back(job.id());
  return ids;
}

std::set<std::string> IdSetOf(const std::vector<v1::Job>& jobs) {
  std::set<std::string> ids;
  for (const v1::Job& job : jobs) ids.insert(job.id());
  return ids;
}

class JobServiceTest : public ServerTest {};

// --- SubmitJob: success

TEST_F(JobServiceTest, SubmitDnaJobIsQueuedInTheDefaultPipeline) {
  v1::Job in = ValidDnaJob();
  in.set_user_data("caller data \x01 with bytes");
  Reply<v1::Job> reply = t1().SubmitJob(in);
  ASSERT_TRUE(IsOk(reply.status));
  const v1::Job& job = reply.response;

  EXPECT_TRUE(IsWellFormedId(job.id())) << job.id();
  EXPECT_EQ(job.state(), v1::Job::QUEUED);
  EXPECT_EQ(job.kind(), v1::JOB_KIND_DNA_ANALYSIS);
  ASSERT_EQ(job.spec_case(), v1::Job::kDnaAnalysis);
  EXPECT_TRUE(ProtoEquals(in.dna_analysis(), job.dna_analysis()));
  EXPECT_EQ(job.pipeline_id(), t1().DefaultPipeline().id());
  EXPECT_EQ(job.priority(), 6) << "0 means the default priority, 6";
  EXPECT_EQ(job.user_data(), in.user_data());
  EXPECT_TRUE(job.has_create_time());
  EXPECT_GT(job.create_time().seconds(), 0);
  EXPECT_TRUE(job.has_update_time());
  EXPECT_FALSE(job.has_start_time());
  EXPECT_FALSE(job.has_end_time());
  EXPECT_EQ(job.attempt_count(), 0);
  EXPECT_FALSE(job.has_result());
  EXPECT_FALSE(job.has_error());
  EXPECT_FALSE(job.etag().empty());

  Reply<v1::Job> got = t1().GetJob(job.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(job, got.response));
}

TEST_F(JobServiceTest, SubmitEditingJobKeepsItsSpec) {
  v1::Job in = ValidEditingJob();
  in.set_priority(9);
  Reply<v1::Job> reply = t1().SubmitJob(in);
  ASSERT_TRUE(IsOk(reply.status));
  const v1::Job& job = reply.response;

  EXPECT_TRUE(IsWellFormedId(job.id())) << job.id();
  EXPECT_EQ(job.state(), v1::Job::QUEUED);
  EXPECT_EQ(job.kind(), v1::JOB_KIND_EDITING);
  ASSERT_EQ(job.spec_case(), v1::Job::kEditing);
  EXPECT_TRUE(ProtoEquals(in.editing(), job.editing()));
  EXPECT_EQ(job.priority(), 9);
  EXPECT_FALSE(job.etag().empty());
  EXPECT_TRUE(job.has_create_time());

  Reply<v1::Job> got = t1().GetJob(job.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(job, got.response));
}

TEST_F(JobServiceTest, SubmitAcceptsTheBoundsOfEveryLimit) {
  v1::Job lowest = ValidDnaJob();
  lowest.set_priority(1);
  lowest.set_user_data(std::string(1024, 'u'));
  lowest.mutable_dna_analysis()->set_db_id(std::string(128, 'd'));
  lowest.mutable_dna_analysis()->set_primary_key(std::string(128, 'k'));
  Reply<v1::Job> lowest_reply = t1().SubmitJob(lowest);
  ASSERT_TRUE(IsOk(lowest_reply.status));
  EXPECT_EQ(lowest_reply.response.priority(), 1);
  EXPECT_EQ(lowest_reply.response.user_data(), lowest.user_data());

  v1::Job multi_byte = ValidDnaJob();
  std::string e_acute;
  for (int i = 0; i < 512; ++i) e_acute += "\xc3\xa9";  // 1024 bytes
  multi_byte.set_user_data(e_acute);
  Reply<v1::Job> multi_byte_reply = t1().SubmitJob(multi_byte);
  ASSERT_TRUE(IsOk(multi_byte_reply.status));
  EXPECT_EQ(multi_byte_reply.response.user_data(), e_acute);

  v1::Job highest = ValidEditingJob();
  highest.set_priority(10);
  highest.mutable_editing()
      ->mutable_inputs(0)
      ->mutable_timeline_start()
      ->set_seconds(0);
  for (int i = highest.editing().inputs_size(); i < 100; ++i) {
    highest.mutable_editing()->add_inputs()->mutable_media()->set_uri(
        absl::StrCat("obs://bucket/in/", i, ".mp4"));
  }
  Reply<v1::Job> highest_reply = t1().SubmitJob(highest);
  ASSERT_TRUE(IsOk(highest_reply.status));
  EXPECT_EQ(highest_reply.response.priority(), 10);
  EXPECT_EQ(highest_reply.response.editing().inputs_size(), 100);

  v1::Job no_options = ValidDnaJob();
  no_options.mutable_dna_analysis()->clear_config_json();
  no_options.mutable_dna_analysis()->clear_template_id();
  no_options.mutable_dna_analysis()->mutable_input()->set_media_id("m-1_a.b");
  EXPECT_TRUE(IsOk(t1().SubmitJob(no_options).status));

  // Any JSON object: nested values, escapes, surrounding whitespace.
  v1::Job nested_config = ValidDnaJob();
  nested_config.mutable_dna_analysis()->set_config_json(
      " {\"a\": [1, -2.5e3, true, null, {\"b\": \"\\u00e9\\n\"}], \"c\": {}}\n");
  EXPECT_TRUE(IsOk(t1().SubmitJob(nested_config).status));

  EXPECT_EQ(t1().ListAllJobs().size(), 5u);
}

TEST_F(JobServiceTest, EverySubmitCreatesANewJob) {
  v1::Job first = MustSubmit(ValidDnaJob());
  v1::Job second = MustSubmit(ValidDnaJob());
  EXPECT_NE(first.id(), second.id());
  EXPECT_EQ(t1().ListAllJobs().size(), 2u);
}

// --- SubmitJob: rejections

struct BadSubmit {
  std::string name;
  std::function<void(v1::SubmitJobRequest*)> mutate;
  std::string reason;
  // The ErrorInfo field must equal `field` when set, else contain
  // `field_part`.
  std::string field;
  std::string field_part;
};

std::vector<BadSubmit> BadSubmits() {
  auto dna = [](v1::SubmitJobRequest* r) {
    return r->mutable_job()->mutable_dna_analysis();
  };
  // Turns the request's job into a valid editing job (once) and returns its
  // spec.
  auto editing = [](v1::SubmitJobRequest* r) {
    if (!r->job().has_editing()) *r->mutable_job() = ValidEditingJob();
    return r->mutable_job()->mutable_editing();
  };
  const std::string missing = "MISSING_FIELD";
  const std::string invalid = "INVALID_FIELD";
  return {
      {"no job", [](auto* r) { r->clear_job(); }, missing, "job", ""},
      {"spec unset",
       [](auto* r) {
         r->mutable_job()->clear_spec();
         r->mutable_job()->set_user_data("only data");
       },
       missing, "", "spec"},
      {"db_id empty", [=](auto* r) { dna(r)->clear_db_id(); }, missing,
       "job.dna_analysis.db_id", ""},
      {"db_id 129 bytes",
       [=](auto* r) { dna(r)->set_db_id(std::string(129, 'd')); }, invalid,
       "job.dna_analysis.db_id", ""},
      {"primary_key empty", [=](auto* r) { dna(r)->clear_primary_key(); },
       missing, "job.dna_analysis.primary_key", ""},
      {"input unset", [=](auto* r) { dna(r)->clear_input(); }, missing, "",
       "job.dna_analysis.input"},
      {"input media oneof unset",
       [=](auto* r) {
         dna(r)->mutable_input()->clear_source();
         dna(r)->mutable_input()->set_region("cn-shanghai");
       },
       missing, "", "job.dna_analysis.input"},
      {"input uri 2049 bytes",
       [=](auto* r) {
         dna(r)->mutable_input()->set_uri("oss://b/" + std::string(2041, 'x'));
       },
       invalid, "", "job.dna_analysis.input"},
      {"input media_id with '/'",
       [=](auto* r) { dna(r)->mutable_input()->set_media_id("a/b"); }, invalid,
       "", "job.dna_analysis.input"},
      {"input region 65 bytes",
       [=](auto* r) {
         dna(r)->mutable_input()->set_region(std::string(65, 'r'));
       },
       invalid, "", "job.dna_analysis.input"},
      {"config_json an array",
       [=](auto* r) { dna(r)->set_config_json("[1,2]"); }, invalid,
       "job.dna_analysis.config_json", ""},
      {"config_json not JSON",
       [=](auto* r) { dna(r)->set_config_json("SaveType=save"); }, invalid,
       "job.dna_analysis.config_json", ""},
      {"config_json a string",
       [=](auto* r) { dna(r)->set_config_json("\"save\""); }, invalid,
       "job.dna_analysis.config_json", ""},
      {"config_json an object then more",
       [=](auto* r) { dna(r)->set_config_json("{\"a\":1} {}"); }, invalid,
       "job.dna_analysis.config_json", ""},
      {"config_json an unterminated object",
       [=](auto* r) { dna(r)->set_config_json("{\"a\":[1,2}"); }, invalid,
       "job.dna_analysis.config_json", ""},
      {"config_json with a comment",
       [=](auto* r) { dna(r)->set_config_json("{/* c */}"); }, invalid,
       "job.dna_analysis.config_json", ""},
      {"config_json only whitespace",
       [=](auto* r) { dna(r)->set_config_json(" \n"); }, invalid,
       "job.dna_analysis.config_json", ""},
      {"config_json 4097 bytes",
       [=](auto* r) {
         dna(r)->set_config_json("{\"k\":\"" + std::string(4089, 'v') + "\"}");
       },
       invalid, "job.dna_analysis.config_json", ""},
      {"template_id 129 bytes",
       [=](auto* r) { dna(r)->set_template_id(std::string(129, 't')); },
       invalid, "job.dna_analysis.template_id", ""},
      {"user_data 1025 bytes",
       [](auto* r) { r->mutable_job()->set_user_data(std::string(1025, 'u')); },
       invalid, "job.user_data", ""},
      {"user_data 1025 bytes of 343 UTF-8 characters",
       [](auto* r) {
         std::string euros;
         for (int i = 0; i < 341; ++i) euros += "\xe2\x82\xac";  // U+20AC
         r->mutable_job()->set_user_data(euros + "ab");
       },
       invalid, "job.user_data", ""},
      {"priority 11", [](auto* r) { r->mutable_job()->set_priority(11); },
       invalid, "job.priority", ""},
      {"priority -1", [](auto* r) { r->mutable_job()->set_priority(-1); },
       invalid, "job.priority", ""},
      {"output-only id", [](auto* r) { r->mutable_job()->set_id(kUnknownId); },
       invalid, "job.id", ""},
      {"output-only state",
       [](auto* r) { r->mutable_job()->set_state(v1::Job::QUEUED); }, invalid,
       "job.state", ""},
      {"output-only kind",
       [](auto* r) { r->mutable_job()->set_kind(v1::JOB_KIND_DNA_ANALYSIS); },
       invalid, "job.kind", ""},
      {"output-only create_time",
       [](auto* r) {
         r->mutable_job()->mutable_create_time()->set_seconds(1700000000);
       },
       invalid, "job.create_time", ""},
      {"output-only end_time",
       [](auto* r) {
         r->mutable_job()->mutable_end_time()->set_seconds(1700000000);
       },
       invalid, "job.end_time", ""},
      {"output-only attempt_count",
       [](auto* r) { r->mutable_job()->set_attempt_count(1); }, invalid,
       "job.attempt_count", ""},
      {"output-only result",
       [](auto* r) {
         r->mutable_job()->mutable_result()->set_output_uri("oss://b/r");
       },
       invalid, "job.result", ""},
      {"output-only error",
       [](auto* r) { r->mutable_job()->mutable_error()->set_code(13); },
       invalid, "job.error", ""},
      {"output-only etag", [](auto* r) { r->mutable_job()->set_etag("1"); },
       invalid, "job.etag", ""},
      {"pipeline_id not an ID",
       [](auto* r) { r->mutable_job()->set_pipeline_id("my-pipeline"); },
       invalid, "job.pipeline_id", ""},
      {"pipeline_id upper-case hex",
       [](auto* r) {
         r->mutable_job()->set_pipeline_id("0123456789ABCDEF0123456789ABCDEF");
       },
       invalid, "job.pipeline_id", ""},
      {"pipeline_id 33 hex characters",
       [](auto* r) {
         r->mutable_job()->set_pipeline_id(std::string(kUnknownId) + "0");
       },
       invalid, "job.pipeline_id", ""},
      {"editing without inputs", [=](auto* r) { editing(r)->clear_inputs(); },
       missing, "job.editing.inputs", ""},
      {"editing with 101 inputs",
       [=](auto* r) {
         v1::EditingSpec* spec = editing(r);
         while (spec->inputs_size() < 101) {
           spec->add_inputs()->mutable_media()->set_uri("obs://b/in.mp4");
         }
       },
       invalid, "job.editing.inputs", ""},
      {"editing input without media",
       [=](auto* r) { editing(r)->mutable_inputs(1)->clear_media(); }, missing,
       "", "media"},
      {"timeline_end equal to timeline_start",
       [=](auto* r) {
         v1::EditingInput* input = editing(r)->mutable_inputs(0);
         *input->mutable_timeline_end() = input->timeline_start();
       },
       invalid, "", "timeline"},
      {"timeline_end before timeline_start",
       [=](auto* r) {
         v1::EditingInput* input = editing(r)->mutable_inputs(0);
         input->mutable_timeline_start()->set_seconds(10);
         input->mutable_timeline_end()->set_seconds(2);
         input->mutable_timeline_end()->set_nanos(0);
       },
       invalid, "", "timeline"},
      {"negative timeline_start",
       [=](auto* r) {
         editing(r)->mutable_inputs(0)->mutable_timeline_start()->set_seconds(
             -1);
       },
       invalid, "", "timeline_start"},
      {"negative timeline_end alone",
       [=](auto* r) {
         v1::EditingInput* input = editing(r)->mutable_inputs(1);
         input->mutable_timeline_end()->set_seconds(-3);
       },
       invalid, "", "timeline_end"},
      {"timeline_start nanos out of range",
       [=](auto* r) {
         editing(r)->mutable_inputs(0)->mutable_timeline_start()->set_nanos(
             1000000000);
       },
       invalid, "", "timeline_start"},
      {"editing without output", [=](auto* r) { editing(r)->clear_output(); },
       missing, "job.editing.output", ""},
      {"editing output uri empty",
       [=](auto* r) { editing(r)->mutable_output()->clear_uri(); }, missing,
       "job.editing.output.uri", ""},
      {"editing output file_name with '/'",
       [=](auto* r) { editing(r)->mutable_output()->set_file_name("a/b.mp4"); },
       invalid, "job.editing.output.file_name", ""},
      {"editing with 65 settings",
       [=](auto* r) {
         v1::EditingSpec* spec = editing(r);
         for (int i = 0; i < 65; ++i) {
           (*spec->mutable_settings())[absl::StrCat("key", i)] = "v";
         }
       },
       invalid, "", "job.editing.settings"},
      {"editing setting value 1025 bytes",
       [=](auto* r) {
         (*editing(r)->mutable_settings())["k"] = std::string(1025, 'v');
       },
       invalid, "", "job.editing.settings"},
      {"request_id with a space", [](auto* r) { r->set_request_id("retry 1"); },
       invalid, "request_id", ""},
      {"request_id with a slash", [](auto* r) { r->set_request_id("a/b"); },
       invalid, "request_id", ""},
      {"request_id non-ASCII",
       [](auto* r) { r->set_request_id("r\xc3\xa9sum\xc3\xa9"); }, invalid,
       "request_id", ""},
      {"request_id 65 bytes",
       [](auto* r) { r->set_request_id(std::string(65, 'r')); }, invalid,
       "request_id", ""},
  };
}

TEST_F(JobServiceTest,
       InvalidSubmitsAreRejectedNamingTheFieldAndChangeNothing) {
  const v1::Job existing = MustSubmit(ValidDnaJob());
  for (const BadSubmit& bad : BadSubmits()) {
    SCOPED_TRACE(bad.name);
    v1::SubmitJobRequest request = SubmitRequest(ValidDnaJob());
    bad.mutate(&request);
    Reply<v1::Job> reply = t1().SubmitJob(request);
    if (!bad.field.empty()) {
      EXPECT_TRUE(IsInvalidArgument(reply.status, bad.reason, bad.field));
    } else {
      EXPECT_TRUE(IsInvalidArgument(reply.status, bad.reason));
      EXPECT_THAT(ErrorFieldOf(reply.status), HasSubstr(bad.field_part));
    }
  }
  std::vector<v1::Job> jobs = t1().ListAllJobs();
  ASSERT_EQ(jobs.size(), 1u) << "a rejected submit created a job";
  EXPECT_TRUE(ProtoEquals(existing, jobs[0]));
}

TEST_F(JobServiceTest, SubmitIntoUnknownPipelineIsNotFound) {
  v1::Job job = ValidDnaJob();
  job.set_pipeline_id(kUnknownId);
  Reply<v1::Job> reply = t1().SubmitJob(job);
  EXPECT_TRUE(IsRpcError(reply.status, grpc::StatusCode::NOT_FOUND,
                         "PIPELINE_NOT_FOUND"));
  EXPECT_TRUE(t1().ListAllJobs().empty());
}

TEST_F(JobServiceTest, SubmitIntoNamedPipeline) {
  v1::Pipeline pipeline = MustCreatePipeline("encode");
  v1::Job job = ValidEditingJob();
  job.set_pipeline_id(pipeline.id());
  Reply<v1::Job> reply = t1().SubmitJob(job);
  ASSERT_TRUE(IsOk(reply.status));
  EXPECT_EQ(reply.response.pipeline_id(), pipeline.id());
  EXPECT_EQ(reply.response.state(), v1::Job::QUEUED);
}

// --- SubmitJob: idempotency

TEST_F(JobServiceTest, SameRequestIdReturnsTheSameJob) {
  const v1::SubmitJobRequest request = SubmitRequest(ValidDnaJob(), "req-1");
  Reply<v1::Job> first = t1().SubmitJob(request);
  ASSERT_TRUE(IsOk(first.status));
  Reply<v1::Job> retry = t1().SubmitJob(request);
  ASSERT_TRUE(IsOk(retry.status));
  EXPECT_TRUE(ProtoEquals(first.response, retry.response));
  EXPECT_EQ(IdsOf(t1().ListAllJobs()),
            std::vector<std::string>{first.response.id()});
}

TEST_F(JobServiceTest, SameRequestIdWithADifferentJobIsRejected) {
  Reply<v1::Job> first =
      t1().SubmitJob(SubmitRequest(ValidDnaJob(), "req-reused"));
  ASSERT_TRUE(IsOk(first.status));

  v1::Job other_data = ValidDnaJob();
  other_data.set_user_data("different");
  Reply<v1::Job> reused =
      t1().SubmitJob(SubmitRequest(other_data, "req-reused"));
  EXPECT_TRUE(
      IsInvalidArgument(reused.status, "REQUEST_ID_REUSED", "request_id"));

  Reply<v1::Job> other_kind =
      t1().SubmitJob(SubmitRequest(ValidEditingJob(), "req-reused"));
  EXPECT_TRUE(
      IsInvalidArgument(other_kind.status, "REQUEST_ID_REUSED", "request_id"));

  std::vector<v1::Job> jobs = t1().ListAllJobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_TRUE(ProtoEquals(first.response, jobs[0]));
}

TEST_F(JobServiceTest, DifferentRequestIdsCreateDifferentJobs) {
  Reply<v1::Job> a = t1().SubmitJob(SubmitRequest(ValidDnaJob(), "req-a"));
  Reply<v1::Job> b = t1().SubmitJob(SubmitRequest(ValidDnaJob(), "req-b"));
  ASSERT_TRUE(IsOk(a.status));
  ASSERT_TRUE(IsOk(b.status));
  EXPECT_NE(a.response.id(), b.response.id());
  EXPECT_EQ(t1().ListAllJobs().size(), 2u);
}

TEST_F(JobServiceTest, RequestIdMayUseEveryAllowedCharacterUpTo64Bytes) {
  const std::string request_id =
      "AZaz09_.:-" + std::string(54, 'x');  // 64 bytes
  ASSERT_EQ(request_id.size(), 64u);
  Reply<v1::Job> first =
      t1().SubmitJob(SubmitRequest(ValidDnaJob(), request_id));
  ASSERT_TRUE(IsOk(first.status));
  Reply<v1::Job> retry =
      t1().SubmitJob(SubmitRequest(ValidDnaJob(), request_id));
  ASSERT_TRUE(IsOk(retry.status));
  EXPECT_EQ(first.response.id(), retry.response.id());
}

TEST_F(JobServiceTest, ConcurrentSubmitsWithOneRequestIdCreateOneJob) {
  constexpr int kThreads = 8;
  const v1::SubmitJobRequest request =
      SubmitRequest(ValidEditingJob(), "concurrent-request");
  std::vector<Reply<v1::Job>> replies(kThreads);
  absl::Notification go;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  ApiCaller& caller = t1();
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      go.WaitForNotification();
      replies[i] = caller.SubmitJob(request);
    });
  }
  go.Notify();
  for (std::thread& thread : threads) thread.join();

  std::set<std::string> ids;
  for (const Reply<v1::Job>& reply : replies) {
    EXPECT_TRUE(IsOk(reply.status));
    ids.insert(reply.response.id());
  }
  EXPECT_EQ(ids.size(), 1u) << "one request_id yielded several jobs";
  EXPECT_EQ(IdSetOf(t1().ListAllJobs()), ids);
}

TEST_F(JobServiceTest, ConcurrentDistinctSubmitsAllLand) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10;
  std::vector<std::vector<Reply<v1::Job>>> replies(kThreads);
  absl::Notification go;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  ApiCaller& caller = t1();
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      go.WaitForNotification();
      for (int j = 0; j < kPerThread; ++j) {
        replies[i].push_back(caller.SubmitJob(
            SubmitRequest(ValidDnaJob(), absl::StrCat("thread-", i, "-", j))));
      }
    });
  }
  go.Notify();
  for (std::thread& thread : threads) thread.join();

  std::set<std::string> acknowledged;
  for (const auto& per_thread : replies) {
    for (const Reply<v1::Job>& reply : per_thread) {
      EXPECT_TRUE(IsOk(reply.status));
      acknowledged.insert(reply.response.id());
    }
  }
  EXPECT_EQ(acknowledged.size(), static_cast<size_t>(kThreads) * kPerThread);
  EXPECT_EQ(IdSetOf(t1().ListAllJobs()), acknowledged);
}

// --- GetJob

TEST_F(JobServiceTest, GetJobRejectsMalformedIds) {
  for (const std::string& id :
       {std::string("not-an-id"),
        std::string("0123456789ABCDEF0123456789ABCDEF"),
        std::string(kUnknownId).substr(1), std::string(kUnknownId) + "0",
        std::string("0123456789abcdef0123456789abcdeg")}) {
    SCOPED_TRACE(id);
    EXPECT_TRUE(
        IsInvalidArgument(t1().GetJob(id).status, "INVALID_FIELD", "job_id"));
  }
  EXPECT_TRUE(
      IsInvalidArgument(t1().GetJob("").status, "MISSING_FIELD", "job_id"));
}

TEST_F(JobServiceTest, GetUnknownJobIsNotFound) {
  MustSubmit(ValidDnaJob());
  grpc::Status status = t1().GetJob(kUnknownId).status;
  EXPECT_TRUE(IsRpcError(status, grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND"));
  EXPECT_THAT(status.error_message(), HasSubstr(kUnknownId))
      << "the message names the resource";
}

// --- CancelJob

TEST_F(JobServiceTest, CancelQueuedJobMakesItCanceled) {
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  const v1::Job bystander = MustSubmit(ValidEditingJob());
  Reply<v1::Job> canceled = t1().CancelJob(submitted.id());
  ASSERT_TRUE(IsOk(canceled.status));
  const v1::Job& job = canceled.response;

  EXPECT_EQ(job.id(), submitted.id());
  EXPECT_EQ(job.state(), v1::Job::CANCELED);
  ASSERT_TRUE(job.has_end_time());
  EXPECT_GE(ToTime(job.end_time()), ToTime(job.create_time()));
  EXPECT_FALSE(job.has_start_time());
  EXPECT_NE(job.etag(), submitted.etag())
      << "the etag must change with the job";
  EXPECT_TRUE(ProtoEquals(submitted.dna_analysis(), job.dna_analysis()));
  EXPECT_TRUE(ProtoEquals(submitted.create_time(), job.create_time()));

  Reply<v1::Job> got = t1().GetJob(submitted.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(job, got.response));

  Reply<v1::Job> other = t1().GetJob(bystander.id());
  ASSERT_TRUE(IsOk(other.status));
  EXPECT_TRUE(ProtoEquals(bystander, other.response))
      << "cancel changed another job";
}

TEST_F(JobServiceTest, CancelOfCanceledJobIsOkAndChangesNothing) {
  const v1::Job submitted = MustSubmit(ValidDnaJob());
  Reply<v1::Job> first = t1().CancelJob(submitted.id());
  ASSERT_TRUE(IsOk(first.status));
  Reply<v1::Job> second = t1().CancelJob(submitted.id());
  ASSERT_TRUE(IsOk(second.status));
  EXPECT_EQ(second.response.state(), v1::Job::CANCELED);
  EXPECT_EQ(second.response.etag(), first.response.etag());
  EXPECT_TRUE(ProtoEquals(first.response, second.response));
}

TEST_F(JobServiceTest, ConcurrentCancelsAgreeOnOneOutcome) {
  const v1::Job submitted = MustSubmit(ValidEditingJob());
  constexpr int kThreads = 8;
  std::vector<Reply<v1::Job>> replies(kThreads);
  absl::Notification go;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  ApiCaller& caller = t1();
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      go.WaitForNotification();
      replies[i] = caller.CancelJob(submitted.id());
    });
  }
  go.Notify();
  for (std::thread& thread : threads) thread.join();

  Reply<v1::Job> final_job = t1().GetJob(submitted.id());
  ASSERT_TRUE(IsOk(final_job.status));
  EXPECT_EQ(final_job.response.state(), v1::Job::CANCELED);
  for (const Reply<v1::Job>& reply : replies) {
    ASSERT_TRUE(IsOk(reply.status));
    EXPECT_TRUE(ProtoEquals(final_job.response, reply.response))
        << "every cancel returns the one canceled job";
  }
}

TEST_F(JobServiceTest, CancelRejectsUnknownAndMalformedIds) {
  const v1::Job job = MustSubmit(ValidDnaJob());
  EXPECT_TRUE(IsRpcError(t1().CancelJob(kUnknownId).status,
                         grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND"));
  EXPECT_TRUE(IsInvalidArgument(t1().CancelJob("bogus").status, "INVALID_FIELD",
                                "job_id"));
  EXPECT_TRUE(
      IsInvalidArgument(t1().CancelJob("").status, "MISSING_FIELD", "job_id"));
  Reply<v1::Job> got = t1().GetJob(job.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(job, got.response));
}

TEST_F(JobServiceTest, CancelWithAKindCancelsOnlyAJobOfThatKind) {
  const v1::Job dna = MustSubmit(ValidDnaJob());
  const v1::Job editing = MustSubmit(ValidEditingJob());

  // Another kind: NOT_FOUND, as for a missing job, and nothing changes.
  v1::CancelJobRequest wrong_kind;
  wrong_kind.set_job_id(dna.id());
  wrong_kind.set_kind(v1::JOB_KIND_EDITING);
  EXPECT_TRUE(IsRpcError(t1().CancelJob(wrong_kind).status,
                         grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND"));
  Reply<v1::Job> untouched = t1().GetJob(dna.id());
  ASSERT_TRUE(IsOk(untouched.status));
  EXPECT_TRUE(ProtoEquals(dna, untouched.response));

  // An unknown kind is a client mistake naming the field.
  v1::CancelJobRequest unknown_kind;
  unknown_kind.set_job_id(editing.id());
  unknown_kind.set_kind(static_cast<v1::JobKind>(7));
  EXPECT_TRUE(
      IsInvalidArgument(t1().CancelJob(unknown_kind).status, "INVALID_FIELD",
                        "kind"));

  // Its own kind: canceled.
  v1::CancelJobRequest right_kind;
  right_kind.set_job_id(editing.id());
  right_kind.set_kind(v1::JOB_KIND_EDITING);
  Reply<v1::Job> canceled = t1().CancelJob(right_kind);
  ASSERT_TRUE(IsOk(canceled.status));
  EXPECT_EQ(canceled.response.state(), v1::Job::CANCELED);
}

// --- ListJobs: paging

class ListJobsTest : public JobServiceTest {
 protected:
  // Submits `count` jobs one after another; returns them in submit order.
  std::vector<v1::Job> SubmitMany(int count) {
    std::vector<v1::Job> jobs;
    for (int i = 0; i < count; ++i) {
      v1::Job job = i % 2 == 0 ? ValidDnaJob() : ValidEditingJob();
      job.set_user_data(absl::StrCat("job ", i));
      jobs.push_back(MustSubmit(job));
    }
    return jobs;
  }
};

TEST_F(ListJobsTest, EmptyTenantHasAnEmptyLastPage) {
  Reply<v1::ListJobsResponse> reply = t1().ListJobs({});
  ASSERT_TRUE(IsOk(reply.status));
  EXPECT_EQ(reply.response.jobs_size(), 0);
  EXPECT_TRUE(reply.response.next_page_token().empty());
}

TEST_F(ListJobsTest, DefaultPageSizeIs50NewestFirst) {
  const std::vector<v1::Job> submitted = SubmitMany(60);
  std::vector<std::string> newest_first = IdsOf(submitted);
  std::reverse(newest_first.begin(), newest_first.end());

  Reply<v1::ListJobsResponse> first = t1().ListJobs({});
  ASSERT_TRUE(IsOk(first.status));
  ASSERT_EQ(first.response.jobs_size(), 50);
  ASSERT_FALSE(first.response.next_page_token().empty());

  v1::ListJobsRequest next;
  next.set_page_token(first.response.next_page_token());
  Reply<v1::ListJobsResponse> second = t1().ListJobs(next);
  ASSERT_TRUE(IsOk(second.status));
  EXPECT_EQ(second.response.jobs_size(), 10);
  EXPECT_TRUE(second.response.next_page_token().empty());

  std::vector<v1::Job> all(first.response.jobs().begin(),
                           first.response.jobs().end());
  all.insert(all.end(), second.response.jobs().begin(),
             second.response.jobs().end());
  EXPECT_EQ(IdsOf(all), newest_first);
  // Listed jobs are the full resources.
  for (const v1::Job& job : all) {
    if (job.id() == submitted[0].id()) {
      EXPECT_TRUE(ProtoEquals(submitted[0], job));
    }
  }
}

TEST_F(ListJobsTest, PageSizeAboveTheMaximumIsLoweredNotRejected) {
  const std::vector<v1::Job> submitted = SubmitMany(60);
  for (int page_size : {1000, 1001, 5000, 2147483647}) {
    SCOPED_TRACE(page_size);
    v1::ListJobsRequest request;
    request.set_page_size(page_size);
    Reply<v1::ListJobsResponse> reply = t1().ListJobs(request);
    ASSERT_TRUE(IsOk(reply.status));
    EXPECT_EQ(reply.response.jobs_size(), 60);
    EXPECT_TRUE(reply.response.next_page_token().empty());
  }
}

TEST_F(ListJobsTest, ExactPageSizes) {
  const std::vector<v1::Job> submitted = SubmitMany(5);
  v1::ListJobsRequest request;
  request.set_page_size(2);
  std::vector<std::string> seen;
  std::vector<int> page_sizes;
  for (int page = 0; page < 10; ++page) {
    Reply<v1::ListJobsResponse> reply = t1().ListJobs(request);
    ASSERT_TRUE(IsOk(reply.status));
    page_sizes.push_back(reply.response.jobs_size());
    for (const v1::Job& job : reply.response.jobs()) seen.push_back(job.id());
    if (reply.response.next_page_token().empty()) break;
    request.set_page_token(reply.response.next_page_token());
  }
  EXPECT_EQ(page_sizes, (std::vector<int>{2, 2, 1}));
  std::vector<std::string> newest_first = IdsOf(submitted);
  std::reverse(newest_first.begin(), newest_first.end());
  EXPECT_EQ(seen, newest_first);
}

TEST_F(ListJobsTest, PageSizeMayChangeBetweenPages) {
  const std::vector<v1::Job> submitted = SubmitMany(6);
  v1::ListJobsRequest request;
  request.set_page_size(1);
  Reply<v1::ListJobsResponse> first = t1().ListJobs(request);
  ASSERT_TRUE(IsOk(first.status));
  ASSERT_EQ(first.response.jobs_size(), 1);
  request.set_page_size(10);
  request.set_page_token(first.response.next_page_token());
  Reply<v1::ListJobsResponse> rest = t1().ListJobs(request);
  ASSERT_TRUE(IsOk(rest.status));
  EXPECT_EQ(rest.response.jobs_size(), 5);
  EXPECT_TRUE(rest.response.next_page_token().empty());
}

TEST_F(ListJobsTest, PagingWhileJobsAreAddedAndChangedNeverRepeatsOrSkips) {
  const std::vector<v1::Job> initial = SubmitMany(25);
  const std::set<std::string> expected = IdSetOf(initial);
  const v1::Pipeline other = MustCreatePipeline("other");

  v1::ListJobsRequest request;
  request.set_page_size(7);
  std::vector<std::string> seen;
  int pages = 0;
  while (true) {
    Reply<v1::ListJobsResponse> reply = t1().ListJobs(request);
    ASSERT_TRUE(IsOk(reply.status));
    ++pages;
    for (const v1::Job& job : reply.response.jobs()) seen.push_back(job.id());
    if (reply.response.next_page_token().empty()) break;
    ASSERT_LT(pages, 20) << "paging does not end";
    // Between pages: new jobs (default and another pipeline) and a state
    // change of a job not yet listed (the oldest one).
    MustSubmit(ValidDnaJob());
    v1::Job into_other = ValidEditingJob();
    into_other.set_pipeline_id(other.id());
    MustSubmit(into_other);
    if (pages == 1) {
      ASSERT_TRUE(IsOk(t1().CancelJob(initial.front().id()).status));
    }
    request.set_page_token(reply.response.next_page_token());
  }
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(seen.size(), expected.size()) << "a job repeated or went missing";
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
}

TEST_F(ListJobsTest, RejectsNegativePageSize) {
  MustSubmit(ValidDnaJob());
  v1::ListJobsRequest request;
  request.set_page_size(-1);
  EXPECT_TRUE(IsInvalidArgument(t1().ListJobs(request).status, "INVALID_FIELD",
                                "page_size"));
}

TEST_F(ListJobsTest, RejectsPageTokensItDidNotIssue) {
  SubmitMany(3);
  for (const std::string& token :
       {std::string("garbage"), std::string("!!!"), std::string("AAAA"),
        std::string("YzE6LTE6MA"), std::string(5000, 'A')}) {
    SCOPED_TRACE(token.substr(0, 20));
    v1::ListJobsRequest request;
    request.set_page_token(token);
    EXPECT_TRUE(IsInvalidArgument(t1().ListJobs(request).status,
                                  "INVALID_FIELD", "page_token"));
  }
}

TEST_F(ListJobsTest, PageTokenOfListPipelinesIsRejected) {
  SubmitMany(3);
  MustCreatePipeline("a");
  MustCreatePipeline("b");
  v1::ListPipelinesRequest pipelines;
  pipelines.set_page_size(1);
  Reply<v1::ListPipelinesResponse> page = t1().ListPipelines(pipelines);
  ASSERT_TRUE(IsOk(page.status));
  ASSERT_FALSE(page.response.next_page_token().empty());

  v1::ListJobsRequest request;
  request.set_page_token(page.response.next_page_token());
  EXPECT_TRUE(IsInvalidArgument(t1().ListJobs(request).status, "INVALID_FIELD",
                                "page_token"));
}

TEST_F(ListJobsTest, PageTokenIsValidOnlyWithItsFilter) {
  SubmitMany(4);
  v1::ListJobsRequest request;
  request.set_page_size(1);
  request.mutable_filter()->add_states(v1::Job::QUEUED);
  Reply<v1::ListJobsResponse> first = t1().ListJobs(request);
  ASSERT_TRUE(IsOk(first.status));
  ASSERT_FALSE(first.response.next_page_token().empty());

  v1::ListJobsRequest changed;
  changed.set_page_size(1);
  changed.set_page_token(first.response.next_page_token());
  changed.mutable_filter()->set_kind(v1::JOB_KIND_DNA_ANALYSIS);
  Reply<v1::ListJobsResponse> reply = t1().ListJobs(changed);
  EXPECT_TRUE(IsInvalidArgument(reply.status, "INVALID_FIELD", "page_token"));

  changed.clear_filter();
  reply = t1().ListJobs(changed);
  EXPECT_TRUE(IsInvalidArgument(reply.status, "INVALID_FIELD", "page_token"));

  request.set_page_token(first.response.next_page_token());
  EXPECT_TRUE(IsOk(t1().ListJobs(request).status)) << "same filter";
}

// --- ListJobs: filters

TEST_F(ListJobsTest, FiltersByStateKindAndPipeline) {
  const v1::Pipeline encode = MustCreatePipeline("encode");
  const v1::Job dna_default = MustSubmit(ValidDnaJob());
  const v1::Job editing_default = MustSubmit(ValidEditingJob());
  v1::Job in_pipeline = ValidDnaJob();
  in_pipeline.set_pipeline_id(encode.id());
  const v1::Job dna_encode = MustSubmit(in_pipeline);
  in_pipeline = ValidEditingJob();
  in_pipeline.set_pipeline_id(encode.id());
  const v1::Job editing_encode = MustSubmit(in_pipeline);
  ASSERT_TRUE(IsOk(t1().CancelJob(editing_default.id()).status));
  ASSERT_TRUE(IsOk(t1().CancelJob(dna_encode.id()).status));

  auto ids = [&](const v1::JobFilter& filter) {
    return IdSetOf(t1().ListAllJobs(filter));
  };
  using Ids = std::set<std::string>;

  v1::JobFilter filter;
  EXPECT_EQ(ids(filter), (Ids{dna_default.id(), editing_default.id(),
                              dna_encode.id(), editing_encode.id()}));

  filter.add_states(v1::Job::CANCELED);
  EXPECT_EQ(ids(filter), (Ids{editing_default.id(), dna_encode.id()}));
  filter.clear_states();
  filter.add_states(v1::Job::QUEUED);
  EXPECT_EQ(ids(filter), (Ids{dna_default.id(), editing_encode.id()}));
  filter.add_states(v1::Job::CANCELED);
  EXPECT_EQ(ids(filter).size(), 4u);
  filter.clear_states();
  filter.add_states(v1::Job::RUNNING);
  filter.add_states(v1::Job::SUCCEEDED);
  EXPECT_TRUE(ids(filter).empty());
  filter.clear_states();

  filter.set_kind(v1::JOB_KIND_DNA_ANALYSIS);
  EXPECT_EQ(ids(filter), (Ids{dna_default.id(), dna_encode.id()}));
  filter.set_kind(v1::JOB_KIND_EDITING);
  EXPECT_EQ(ids(filter), (Ids{editing_default.id(), editing_encode.id()}));
  filter.set_kind(v1::JOB_KIND_UNSPECIFIED);

  filter.set_pipeline_id(encode.id());
  EXPECT_EQ(ids(filter), (Ids{dna_encode.id(), editing_encode.id()}));
  filter.set_pipeline_id(t1().DefaultPipeline().id());
  EXPECT_EQ(ids(filter), (Ids{dna_default.id(), editing_default.id()}));

  // All set fields must match.
  filter.set_pipeline_id(encode.id());
  filter.set_kind(v1::JOB_KIND_EDITING);
  filter.add_states(v1::Job::QUEUED);
  EXPECT_EQ(ids(filter), (Ids{editing_encode.id()}));
  filter.clear_states();
  filter.add_states(v1::Job::CANCELED);
  EXPECT_TRUE(ids(filter).empty());
}

TEST_F(ListJobsTest, FiltersByCreateTimeRange) {
  const std::vector<v1::Job> submitted = SubmitMany(6);
  const v1::Job& pivot = submitted[3];
  std::set<std::string> at_or_after;
  std::set<std::string> before;
  for (const v1::Job& job : submitted) {
    (ToTime(job.create_time()) >= ToTime(pivot.create_time()) ? at_or_after
                                                              : before)
        .insert(job.id());
  }
  ASSERT_TRUE(at_or_after.count(pivot.id()));

  v1::JobFilter from;
  *from.mutable_create_time_from() = pivot.create_time();
  EXPECT_EQ(IdSetOf(t1().ListAllJobs(from)), at_or_after) << "from inclusive";

  v1::JobFilter to;
  *to.mutable_create_time_to() = pivot.create_time();
  EXPECT_EQ(IdSetOf(t1().ListAllJobs(to)), before) << "to exclusive";

  // [create_time(first), create_time(last)) holds all but those created at
  // the last job's instant.
  v1::JobFilter range;
  *range.mutable_create_time_from() = submitted.front().create_time();
  *range.mutable_create_time_to() = submitted.back().create_time();
  std::set<std::string> in_range;
  for (const v1::Job& job : submitted) {
    if (ToTime(job.create_time()) < ToTime(submitted.back().create_time())) {
      in_range.insert(job.id());
    }
  }
  EXPECT_EQ(IdSetOf(t1().ListAllJobs(range)), in_range);

  v1::JobFilter future;
  future.mutable_create_time_from()->set_seconds(
      submitted.back().create_time().seconds() + 3600);
  EXPECT_TRUE(t1().ListAllJobs(future).empty());
}

struct BadFilter {
  std::string name;
  std::function<void(v1::JobFilter*)> mutate;
  std::string field_prefix;  // the ErrorInfo field must start with this
};

TEST_F(ListJobsTest, InvalidFiltersAreRejectedNamingTheField) {
  MustSubmit(ValidDnaJob());
  const std::vector<BadFilter> bad_filters = {
      {"state unspecified",
       [](auto* f) { f->add_states(v1::Job::STATE_UNSPECIFIED); },
       "filter.states"},
      {"state unspecified among valid ones",
       [](auto* f) {
         f->add_states(v1::Job::QUEUED);
         f->add_states(v1::Job::STATE_UNSPECIFIED);
       },
       "filter.states"},
      {"state 42",
       [](auto* f) { f->add_states(static_cast<v1::Job::State>(42)); },
       "filter.states"},
      {"kind 99", [](auto* f) { f->set_kind(static_cast<v1::JobKind>(99)); },
       "filter.kind"},
      {"kind -1", [](auto* f) { f->set_kind(static_cast<v1::JobKind>(-1)); },
       "filter.kind"},
      {"pipeline_id malformed", [](auto* f) { f->set_pipeline_id("default"); },
       "filter.pipeline_id"},
      {"create_time_to before create_time_from",
       [](auto* f) {
         f->mutable_create_time_from()->set_seconds(1700000100);
         f->mutable_create_time_to()->set_seconds(1700000000);
       },
       "filter.create_time"},
      {"create_time_to equal to create_time_from",
       [](auto* f) {
         f->mutable_create_time_from()->set_seconds(1700000000);
         f->mutable_create_time_to()->set_seconds(1700000000);
       },
       "filter.create_time"},
  };
  for (const BadFilter& bad : bad_filters) {
    SCOPED_TRACE(bad.name);
    v1::ListJobsRequest request;
    bad.mutate(request.mutable_filter());
    Reply<v1::ListJobsResponse> reply = t1().ListJobs(request);
    EXPECT_TRUE(IsInvalidArgument(reply.status, "INVALID_FIELD"));
    EXPECT_THAT(ErrorFieldOf(reply.status), StartsWith(bad.field_prefix));
  }
}

// google.protobuf.Timestamp allows nanos 0..999999999 and seconds within
// 0001-01-01..9999-12-31; anything else is a malformed field.
TEST_F(ListJobsTest, MalformedTimestampsInTheFilterAreRejected) {
  MustSubmit(ValidDnaJob());
  const std::vector<BadFilter> bad_filters = {
      {"create_time_from nanos -5",
       [](auto* f) {
         f->mutable_create_time_from()->set_seconds(1700000000);
         f->mutable_create_time_from()->set_nanos(-5);
       },
       "filter.create_time_from"},
      {"create_time_to nanos 1e9",
       [](auto* f) {
         f->mutable_create_time_to()->set_seconds(1700000000);
         f->mutable_create_time_to()->set_nanos(1000000000);
       },
       "filter.create_time_to"},
      {"create_time_to after year 9999",
       [](auto* f) { f->mutable_create_time_to()->set_seconds(253402300800); },
       "filter.create_time_to"},
  };
  for (const BadFilter& bad : bad_filters) {
    SCOPED_TRACE(bad.name);
    v1::ListJobsRequest request;
    bad.mutate(request.mutable_filter());
    EXPECT_TRUE(IsInvalidArgument(t1().ListJobs(request).status,
                                  "INVALID_FIELD", bad.field_prefix));
  }
}

// --- The C++ client library

TEST_F(JobServiceTest, ClientLibraryRoundTripAndErrorDetails) {
  JobControlClient& client = test_server().client(Caller::kTenant1);
  absl::StatusOr<v1::Job> submitted =
      client.SubmitJob(SubmitRequest(ValidDnaJob(), "client-1"));
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  EXPECT_EQ(submitted->state(), v1::Job::QUEUED);

  absl::StatusOr<v1::Job> got = client.GetJob(submitted->id());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(ProtoEquals(*submitted, *got));

  absl::StatusOr<v1::Job> canceled = client.CancelJob(submitted->id());
  ASSERT_TRUE(canceled.ok()) << canceled.status();
  EXPECT_EQ(canceled->state(), v1::Job::CANCELED);

  absl::StatusOr<v1::Job> missing = client.GetJob(kUnknownId);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ErrorReason(missing.status()), "JOB_NOT_FOUND");

  v1::Job too_much = ValidDnaJob();
  too_much.set_user_data(std::string(1025, 'u'));
  absl::StatusOr<v1::Job> rejected = client.SubmitJob(SubmitRequest(too_much));
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(rejected.status()), "INVALID_FIELD");
  EXPECT_EQ(ErrorField(rejected.status()), "job.user_data");
}

}  // namespace
}  // namespace test
}  // namespace jobcontrol
