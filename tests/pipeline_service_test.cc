// Integration tests of jobcontrol.v1.PipelineService against the real server
// and a real SQLite file: create, get, list, update (pause / resume, field
// masks, etags), delete, the default pipeline, and every rejection.
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_server.h"

namespace jobcontrol {
namespace test {
namespace {

constexpr char kUnknownId[] = "fedcba9876543210fedcba9876543210";

class PipelineServiceTest : public ServerTest {
 protected:
  v1::UpdatePipelineRequest UpdateRequest(
      const v1::Pipeline& pipeline, const std::vector<std::string>& paths) {
    v1::UpdatePipelineRequest request;
    *request.mutable_pipeline() = pipeline;
    for (const std::string& path : paths) {
      request.mutable_update_mask()->add_paths(path);
    }
    return request;
  }

  // A pipeline message naming `id` with only `state` set.
  v1::Pipeline WithState(const std::string& id, v1::Pipeline::State state) {
    v1::Pipeline pipeline;
    pipeline.set_id(id);
    pipeline.set_state(state);
    return pipeline;
  }
};

std::vector<std::string> IdsOf(const std::vector<v1::Pipeline>& pipelines) {
  std::vector<std::string> ids;
  ids.reserve(pipelines.size());
  for (const v1::Pipeline& p : pipelines) ids.push_back(p.id());
  return ids;
}

// --- CreatePipeline / GetPipeline

TEST_F(PipelineServiceTest, CreateAppliesDefaults) {
  Reply<v1::Pipeline> reply = t1().CreatePipeline(NamedPipeline("transcode"));
  ASSERT_TRUE(IsOk(reply.status));
  const v1::Pipeline& p = reply.response;
  EXPECT_TRUE(IsWellFormedId(p.id())) << p.id();
  EXPECT_EQ(p.name(), "transcode");
  EXPECT_EQ(p.state(), v1::Pipeline::ACTIVE);
  EXPECT_EQ(p.priority(), 6);
  EXPECT_FALSE(p.is_default());
  EXPECT_TRUE(p.has_create_time());
  EXPECT_GT(p.create_time().seconds(), 0);
  EXPECT_TRUE(p.has_update_time());
  EXPECT_FALSE(p.etag().empty());

  Reply<v1::Pipeline> got = t1().GetPipeline(p.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(p, got.response));
}

TEST_F(PipelineServiceTest, CreateKeepsGivenStateAndPriority) {
  v1::Pipeline in = NamedPipeline(std::string(128, 'n'));
  in.set_state(v1::Pipeline::PAUSED);
  in.set_priority(10);
  Reply<v1::Pipeline> paused = t1().CreatePipeline(in);
  ASSERT_TRUE(IsOk(paused.status));
  EXPECT_EQ(paused.response.name(), in.name());
  EXPECT_EQ(paused.response.state(), v1::Pipeline::PAUSED);
  EXPECT_EQ(paused.response.priority(), 10);

  in = NamedPipeline("\xe7\xae\xa1\xe9\x81\x93 \xc3\xbc");  // UTF-8
  in.set_state(v1::Pipeline::ACTIVE);
  in.set_priority(1);
  Reply<v1::Pipeline> active = t1().CreatePipeline(in);
  ASSERT_TRUE(IsOk(active.status));
  EXPECT_EQ(active.response.name(), in.name());
  EXPECT_EQ(active.response.state(), v1::Pipeline::ACTIVE);
  EXPECT_EQ(active.response.priority(), 1);

  // Names need not be unique.
  Reply<v1::Pipeline> twin = t1().CreatePipeline(in);
  ASSERT_TRUE(IsOk(twin.status));
  EXPECT_NE(twin.response.id(), active.response.id());
}

struct BadPipeline {
  std::string name;
  std::function<void(v1::Pipeline*)> mutate;
  std::string reason;
  std::string field;
};

TEST_F(PipelineServiceTest, InvalidCreatesAreRejectedAndChangeNothing) {
  MustCreatePipeline("existing");
  const std::vector<v1::Pipeline> before = t1().ListAllPipelines();
  const std::vector<BadPipeline> bad_pipelines = {
      {"name missing", [](auto* p) { p->clear_name(); }, "MISSING_FIELD",
       "pipeline.name"},
      {"name 129 bytes", [](auto* p) { p->set_name(std::string(129, 'n')); },
       "INVALID_FIELD", "pipeline.name"},
      {"name 129 bytes of 43 UTF-8 characters",
       [](auto* p) {
         std::string euros;
         for (int i = 0; i < 43; ++i) euros += "\xe2\x82\xac";  // U+20AC
         p->set_name(euros);
       },
       "INVALID_FIELD", "pipeline.name"},
      {"name with a newline", [](auto* p) { p->set_name("a\nb"); },
       "INVALID_FIELD", "pipeline.name"},
      {"priority 11", [](auto* p) { p->set_priority(11); }, "INVALID_FIELD",
       "pipeline.priority"},
      {"priority -1", [](auto* p) { p->set_priority(-1); }, "INVALID_FIELD",
       "pipeline.priority"},
      {"state 7",
       [](auto* p) { p->set_state(static_cast<v1::Pipeline::State>(7)); },
       "INVALID_FIELD", "pipeline.state"},
      {"output-only id", [](auto* p) { p->set_id(kUnknownId); },
       "INVALID_FIELD", "pipeline.id"},
      {"output-only is_default", [](auto* p) { p->set_is_default(true); },
       "INVALID_FIELD", "pipeline.is_default"},
      {"output-only create_time",
       [](auto* p) { p->mutable_create_time()->set_seconds(1700000000); },
       "INVALID_FIELD", "pipeline.create_time"},
      {"output-only update_time",
       [](auto* p) { p->mutable_update_time()->set_seconds(1700000000); },
       "INVALID_FIELD", "pipeline.update_time"},
      {"output-only etag", [](auto* p) { p->set_etag("1"); }, "INVALID_FIELD",
       "pipeline.etag"},
  };
  for (const BadPipeline& bad : bad_pipelines) {
    SCOPED_TRACE(bad.name);
    v1::Pipeline pipeline = NamedPipeline("new");
    bad.mutate(&pipeline);
    EXPECT_TRUE(IsInvalidArgument(t1().CreatePipeline(pipeline).status,
                                  bad.reason, bad.field));
  }
  EXPECT_EQ(IdsOf(t1().ListAllPipelines()), IdsOf(before));
}

TEST_F(PipelineServiceTest, GetRejectsMalformedAndUnknownIds) {
  MustCreatePipeline("p");
  EXPECT_TRUE(IsInvalidArgument(t1().GetPipeline("default").status,
                                "INVALID_FIELD", "pipeline_id"));
  EXPECT_TRUE(IsInvalidArgument(
      t1().GetPipeline("FEDCBA9876543210FEDCBA9876543210").status,
      "INVALID_FIELD", "pipeline_id"));
  EXPECT_TRUE(IsInvalidArgument(t1().GetPipeline("").status, "MISSING_FIELD",
                                "pipeline_id"));
  grpc::Status unknown = t1().GetPipeline(kUnknownId).status;
  EXPECT_TRUE(
      IsRpcError(unknown, grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));
  EXPECT_THAT(unknown.error_message(), ::testing::HasSubstr(kUnknownId))
      << "the message names the resource";
}

// --- ListPipelines and the default pipeline

TEST_F(PipelineServiceTest, EveryTenantHasOneDefaultPipeline) {
  std::vector<v1::Pipeline> pipelines = t1().ListAllPipelines();
  ASSERT_EQ(pipelines.size(), 1u);
  const v1::Pipeline& default_pipeline = pipelines[0];
  EXPECT_TRUE(default_pipeline.is_default());
  EXPECT_TRUE(IsWellFormedId(default_pipeline.id()));
  EXPECT_EQ(default_pipeline.state(), v1::Pipeline::ACTIVE);
  EXPECT_GE(default_pipeline.priority(), 1);
  EXPECT_LE(default_pipeline.priority(), 10);
  EXPECT_FALSE(default_pipeline.name().empty());

  Reply<v1::Pipeline> got = t1().GetPipeline(default_pipeline.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(default_pipeline, got.response));

  // Stable: listing again and submitting do not create another one.
  v1::Job job = MustSubmit(ValidDnaJob());
  EXPECT_EQ(job.pipeline_id(), default_pipeline.id());
  EXPECT_EQ(IdsOf(t1().ListAllPipelines()),
            std::vector<std::string>{default_pipeline.id()});
}

TEST_F(PipelineServiceTest, DefaultPipelineExistsForJobsSubmittedFirst) {
  // No pipeline call before the first submit.
  v1::Job job = MustSubmit(ValidEditingJob());
  EXPECT_EQ(t1().DefaultPipeline().id(), job.pipeline_id());
}

TEST_F(PipelineServiceTest, ListIsOldestFirstWithTheDefaultIncluded) {
  std::vector<std::string> created;
  for (const char* name : {"a", "b", "c", "d"}) {
    created.push_back(MustCreatePipeline(name).id());
  }
  std::vector<std::string> listed_non_default;
  int defaults = 0;
  for (const v1::Pipeline& p : t1().ListAllPipelines()) {
    if (p.is_default()) {
      ++defaults;
    } else {
      listed_non_default.push_back(p.id());
    }
  }
  EXPECT_EQ(defaults, 1);
  EXPECT_EQ(listed_non_default, created);
}

TEST_F(PipelineServiceTest, ListPagesWithTokens) {
  for (int i = 0; i < 4; ++i) MustCreatePipeline(absl::StrCat("p", i));
  const std::vector<v1::Pipeline> all = t1().ListAllPipelines();
  ASSERT_EQ(all.size(), 5u);

  v1::ListPipelinesRequest request;
  request.set_page_size(2);
  std::vector<std::string> seen;
  std::vector<int> sizes;
  for (int page = 0; page < 10; ++page) {
    Reply<v1::ListPipelinesResponse> reply = t1().ListPipelines(request);
    ASSERT_TRUE(IsOk(reply.status));
    sizes.push_back(reply.response.pipelines_size());
    for (const v1::Pipeline& p : reply.response.pipelines()) {
      seen.push_back(p.id());
    }
    if (reply.response.next_page_token().empty()) break;
    request.set_page_token(reply.response.next_page_token());
  }
  EXPECT_EQ(sizes, (std::vector<int>{2, 2, 1}));
  EXPECT_EQ(seen, IdsOf(all));

  v1::ListPipelinesRequest defaults;
  Reply<v1::ListPipelinesResponse> one_page = t1().ListPipelines(defaults);
  ASSERT_TRUE(IsOk(one_page.status));
  EXPECT_EQ(one_page.response.pipelines_size(), 5) << "page_size 0 means 50";
  EXPECT_TRUE(one_page.response.next_page_token().empty());
}

TEST_F(PipelineServiceTest, ListRejectsNegativePageSizeAndForeignTokens) {
  v1::ListPipelinesRequest request;
  request.set_page_size(-5);
  EXPECT_TRUE(IsInvalidArgument(t1().ListPipelines(request).status,
                                "INVALID_FIELD", "page_size"));
  request.set_page_size(0);
  request.set_page_token("not-a-token");
  EXPECT_TRUE(IsInvalidArgument(t1().ListPipelines(request).status,
                                "INVALID_FIELD", "page_token"));
}

// --- UpdatePipeline

TEST_F(PipelineServiceTest, PauseAndResumeWithStateMask) {
  const v1::Pipeline created = MustCreatePipeline("media");
  Reply<v1::Pipeline> paused = t1().UpdatePipeline(
      UpdateRequest(WithState(created.id(), v1::Pipeline::PAUSED), {"state"}));
  ASSERT_TRUE(IsOk(paused.status));
  EXPECT_EQ(paused.response.state(), v1::Pipeline::PAUSED);
  EXPECT_EQ(paused.response.name(), created.name());
  EXPECT_EQ(paused.response.priority(), created.priority());
  EXPECT_NE(paused.response.etag(), created.etag());
  EXPECT_GE(ToTime(paused.response.update_time()),
            ToTime(created.update_time()));
  EXPECT_TRUE(
      ProtoEquals(created.create_time(), paused.response.create_time()));

  Reply<v1::Pipeline> got = t1().GetPipeline(created.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(paused.response, got.response));

  Reply<v1::Pipeline> resumed = t1().UpdatePipeline(
      UpdateRequest(WithState(created.id(), v1::Pipeline::ACTIVE), {"state"}));
  ASSERT_TRUE(IsOk(resumed.status));
  EXPECT_EQ(resumed.response.state(), v1::Pipeline::ACTIVE);
  EXPECT_NE(resumed.response.etag(), paused.response.etag());
}

TEST_F(PipelineServiceTest, UpdateChangesOnlyTheMaskedFields) {
  const v1::Pipeline created = MustCreatePipeline("before");
  v1::Pipeline change;
  change.set_id(created.id());
  change.set_name("after");
  change.set_priority(9);
  change.set_state(v1::Pipeline::PAUSED);  // not in the mask: ignored

  Reply<v1::Pipeline> updated =
      t1().UpdatePipeline(UpdateRequest(change, {"name", "priority"}));
  ASSERT_TRUE(IsOk(updated.status));
  EXPECT_EQ(updated.response.name(), "after");
  EXPECT_EQ(updated.response.priority(), 9);
  EXPECT_EQ(updated.response.state(), v1::Pipeline::ACTIVE);

  change.set_name("ignored");
  change.set_priority(2);
  Reply<v1::Pipeline> priority_only =
      t1().UpdatePipeline(UpdateRequest(change, {"priority"}));
  ASSERT_TRUE(IsOk(priority_only.status));
  EXPECT_EQ(priority_only.response.name(), "after");
  EXPECT_EQ(priority_only.response.priority(), 2);
  EXPECT_EQ(priority_only.response.state(), v1::Pipeline::ACTIVE);

  Reply<v1::Pipeline> got = t1().GetPipeline(created.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(priority_only.response, got.response));
}

TEST_F(PipelineServiceTest, UpdateWithEtagIsConditional) {
  const v1::Pipeline created = MustCreatePipeline("guarded");
  v1::Pipeline pause = WithState(created.id(), v1::Pipeline::PAUSED);
  pause.set_etag(created.etag());
  Reply<v1::Pipeline> paused =
      t1().UpdatePipeline(UpdateRequest(pause, {"state"}));
  ASSERT_TRUE(IsOk(paused.status)) << "current etag";

  // The etag read before the pause is stale now.
  v1::Pipeline rename;
  rename.set_id(created.id());
  rename.set_name("lost update");
  rename.set_etag(created.etag());
  Reply<v1::Pipeline> stale =
      t1().UpdatePipeline(UpdateRequest(rename, {"name"}));
  EXPECT_TRUE(
      IsRpcError(stale.status, grpc::StatusCode::ABORTED, "ETAG_MISMATCH"));

  Reply<v1::Pipeline> got = t1().GetPipeline(created.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(paused.response, got.response));
  EXPECT_EQ(got.response.name(), "guarded");
}

struct BadUpdate {
  std::string name;
  std::function<void(v1::UpdatePipelineRequest*)> mutate;
  std::string reason;
  std::string field;
};

TEST_F(PipelineServiceTest, InvalidUpdatesAreRejectedAndChangeNothing) {
  const v1::Pipeline created = MustCreatePipeline("stable");
  auto set_mask = [](v1::UpdatePipelineRequest* r,
                     const std::vector<std::string>& paths) {
    r->mutable_update_mask()->clear_paths();
    for (const std::string& path : paths)
      r->mutable_update_mask()->add_paths(path);
  };
  const std::vector<BadUpdate> bad_updates = {
      {"no update_mask", [](auto* r) { r->clear_update_mask(); },
       "MISSING_FIELD", "update_mask"},
      {"empty update_mask",
       [](auto* r) { r->mutable_update_mask()->clear_paths(); },
       "MISSING_FIELD", "update_mask"},
      {"unknown path",
       [=](auto* r) {
         set_mask(r, {"state", "colour"});
       },
       "INVALID_FIELD", "update_mask"},
      {"output-only path is_default",
       [=](auto* r) {
         set_mask(r, {"is_default"});
         r->mutable_pipeline()->set_is_default(true);
       },
       "INVALID_FIELD", "update_mask"},
      {"output-only path id", [=](auto* r) { set_mask(r, {"id"}); },
       "INVALID_FIELD", "update_mask"},
      {"state unspecified",
       [](auto* r) {
         r->mutable_pipeline()->set_state(v1::Pipeline::STATE_UNSPECIFIED);
       },
       "INVALID_FIELD", "pipeline.state"},
      {"state 9",
       [](auto* r) {
         r->mutable_pipeline()->set_state(static_cast<v1::Pipeline::State>(9));
       },
       "INVALID_FIELD", "pipeline.state"},
      {"priority 0",
       [=](auto* r) {
         set_mask(r, {"priority"});
         r->mutable_pipeline()->set_priority(0);
       },
       "INVALID_FIELD", "pipeline.priority"},
      {"priority 11",
       [=](auto* r) {
         set_mask(r, {"priority"});
         r->mutable_pipeline()->set_priority(11);
       },
       "INVALID_FIELD", "pipeline.priority"},
      {"name empty",
       [=](auto* r) {
         set_mask(r, {"name"});
         r->mutable_pipeline()->clear_name();
       },
       "MISSING_FIELD", "pipeline.name"},
      {"name 129 bytes",
       [=](auto* r) {
         set_mask(r, {"name"});
         r->mutable_pipeline()->set_name(std::string(129, 'n'));
       },
       "INVALID_FIELD", "pipeline.name"},
      {"id missing", [](auto* r) { r->mutable_pipeline()->clear_id(); },
       "MISSING_FIELD", "pipeline.id"},
      {"id malformed", [](auto* r) { r->mutable_pipeline()->set_id("stable"); },
       "INVALID_FIELD", "pipeline.id"},
  };
  for (const BadUpdate& bad : bad_updates) {
    SCOPED_TRACE(bad.name);
    v1::UpdatePipelineRequest request =
        UpdateRequest(WithState(created.id(), v1::Pipeline::PAUSED), {"state"});
    bad.mutate(&request);
    EXPECT_TRUE(IsInvalidArgument(t1().UpdatePipeline(request).status,
                                  bad.reason, bad.field));
  }
  Reply<v1::Pipeline> got = t1().GetPipeline(created.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(ProtoEquals(created, got.response));
}

TEST_F(PipelineServiceTest, UpdateOfUnknownPipelineIsNotFound) {
  Reply<v1::Pipeline> reply = t1().UpdatePipeline(
      UpdateRequest(WithState(kUnknownId, v1::Pipeline::PAUSED), {"state"}));
  EXPECT_TRUE(IsRpcError(reply.status, grpc::StatusCode::NOT_FOUND,
                         "PIPELINE_NOT_FOUND"));
}

TEST_F(PipelineServiceTest, PausedPipelineStillAcceptsJobs) {
  const v1::Pipeline created = MustCreatePipeline("held");
  ASSERT_TRUE(
      IsOk(t1()
               .UpdatePipeline(UpdateRequest(
                   WithState(created.id(), v1::Pipeline::PAUSED), {"state"}))
               .status));
  v1::Job job = ValidDnaJob();
  job.set_pipeline_id(created.id());
  Reply<v1::Job> reply = t1().SubmitJob(job);
  ASSERT_TRUE(IsOk(reply.status));
  EXPECT_EQ(reply.response.state(), v1::Job::QUEUED);
  EXPECT_EQ(reply.response.pipeline_id(), created.id());
  // And its queued jobs can still be cancelled.
  Reply<v1::Job> canceled = t1().CancelJob(reply.response.id());
  ASSERT_TRUE(IsOk(canceled.status));
  EXPECT_EQ(canceled.response.state(), v1::Job::CANCELED);
}

TEST_F(PipelineServiceTest, DefaultPipelineCanBePausedAndStillTakesJobs) {
  const v1::Pipeline default_pipeline = t1().DefaultPipeline();
  Reply<v1::Pipeline> paused = t1().UpdatePipeline(UpdateRequest(
      WithState(default_pipeline.id(), v1::Pipeline::PAUSED), {"state"}));
  ASSERT_TRUE(IsOk(paused.status));
  EXPECT_EQ(paused.response.state(), v1::Pipeline::PAUSED);
  EXPECT_TRUE(paused.response.is_default());

  const v1::Job job = MustSubmit(ValidDnaJob());
  EXPECT_EQ(job.pipeline_id(), default_pipeline.id());
  EXPECT_EQ(job.state(), v1::Job::QUEUED);
  EXPECT_EQ(t1().ListAllPipelines().size(), 1u) << "still one pipeline";
}

// --- DeletePipeline

TEST_F(PipelineServiceTest, DeleteEmptyPipeline) {
  const v1::Pipeline doomed = MustCreatePipeline("doomed");
  const v1::Pipeline kept = MustCreatePipeline("kept");
  ASSERT_TRUE(IsOk(t1().DeletePipeline(doomed.id()).status));

  EXPECT_TRUE(IsRpcError(t1().GetPipeline(doomed.id()).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));
  EXPECT_TRUE(IsRpcError(t1().DeletePipeline(doomed.id()).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));
  for (const v1::Pipeline& p : t1().ListAllPipelines()) {
    EXPECT_NE(p.id(), doomed.id());
  }
  EXPECT_TRUE(IsOk(t1().GetPipeline(kept.id()).status));

  v1::Job job = ValidDnaJob();
  job.set_pipeline_id(doomed.id());
  EXPECT_TRUE(IsRpcError(t1().SubmitJob(job).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));
}

TEST_F(PipelineServiceTest, DeleteIsRefusedWhileAJobIsUnfinished) {
  const v1::Pipeline pipeline = MustCreatePipeline("busy");
  v1::Job in = ValidDnaJob();
  in.set_pipeline_id(pipeline.id());
  const v1::Job job = MustSubmit(in);

  EXPECT_TRUE(IsRpcError(t1().DeletePipeline(pipeline.id()).status,
                         grpc::StatusCode::FAILED_PRECONDITION,
                         "PIPELINE_NOT_EMPTY"));
  Reply<v1::Pipeline> still = t1().GetPipeline(pipeline.id());
  ASSERT_TRUE(IsOk(still.status));
  EXPECT_TRUE(ProtoEquals(pipeline, still.response));
  Reply<v1::Job> queued = t1().GetJob(job.id());
  ASSERT_TRUE(IsOk(queued.status));
  EXPECT_EQ(queued.response.state(), v1::Job::QUEUED);

  ASSERT_TRUE(IsOk(t1().CancelJob(job.id()).status));
  EXPECT_TRUE(IsOk(t1().DeletePipeline(pipeline.id()).status))
      << "a pipeline holding only finished jobs can be deleted";
  EXPECT_TRUE(IsRpcError(t1().GetPipeline(pipeline.id()).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));
}

TEST_F(PipelineServiceTest, DefaultPipelineCannotBeDeleted) {
  const v1::Pipeline default_pipeline = t1().DefaultPipeline();
  EXPECT_TRUE(IsRpcError(t1().DeletePipeline(default_pipeline.id()).status,
                         grpc::StatusCode::FAILED_PRECONDITION,
                         "DEFAULT_PIPELINE"));
  Reply<v1::Pipeline> got = t1().GetPipeline(default_pipeline.id());
  ASSERT_TRUE(IsOk(got.status));
  EXPECT_TRUE(got.response.is_default());
}

TEST_F(PipelineServiceTest, DeleteRejectsMalformedAndUnknownIds) {
  EXPECT_TRUE(IsInvalidArgument(t1().DeletePipeline("x").status,
                                "INVALID_FIELD", "pipeline_id"));
  EXPECT_TRUE(IsInvalidArgument(t1().DeletePipeline("").status, "MISSING_FIELD",
                                "pipeline_id"));
  EXPECT_TRUE(IsRpcError(t1().DeletePipeline(kUnknownId).status,
                         grpc::StatusCode::NOT_FOUND, "PIPELINE_NOT_FOUND"));
}

}  // namespace
}  // namespace test
}  // namespace jobcontrol
