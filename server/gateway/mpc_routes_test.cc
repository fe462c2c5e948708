// MPC route matching: every route, and the exact error of every refusal.
#include "server/gateway/mpc_routes.h"

#include "gtest/gtest.h"

namespace jobcontrol {
namespace gateway {
namespace {

constexpr char kId[] = "0123456789abcdef0123456789abcdef";

MpcRoute Match(absl::string_view method, absl::string_view path,
               const ParamList& query = {}) {
  MpcRoute route;
  auto error = MatchMpcRoute(method, path, query, &route);
  EXPECT_FALSE(error.has_value())
      << method << " " << path << ": " << (error ? error->message : "");
  return route;
}

MpcError Refusal(absl::string_view method, absl::string_view path,
                 const ParamList& query = {}) {
  MpcRoute route;
  auto error = MatchMpcRoute(method, path, query, &route);
  EXPECT_TRUE(error.has_value()) << method << " " << path;
  return error.value_or(MpcError{});
}

TEST(MpcRoutesTest, EveryRoute) {
  MpcRoute create = Match("POST", "/v2/p1/editing/jobs");
  EXPECT_EQ(create.operation, MpcOperation::kCreateEditingJob);
  EXPECT_EQ(create.project_id, "p1");
  EXPECT_TRUE(create.job_ids.empty());

  MpcRoute list = Match("GET", "/v2/p1/editing/jobs/",
                        {{"job_id", "a"}, {"x", "y"}, {"job_id", "b"}});
  EXPECT_EQ(list.operation, MpcOperation::kListEditingJobs);
  EXPECT_EQ(list.job_ids, (std::vector<std::string>{"a", "b"}));

  for (const auto& [path, query] :
       std::vector<std::pair<std::string, ParamList>>{
           {std::string("/v2/p1/editing/jobs/") + kId, {}},
           {"/v2/p1/editing/job", {{"job_id", kId}}},
           {"/v1/p1/editing/jobs", {{"job_id", kId}}}}) {
    MpcRoute cancel = Match("DELETE", path, query);
    EXPECT_EQ(cancel.operation, MpcOperation::kCancelEditingJob) << path;
    EXPECT_EQ(cancel.project_id, "p1");
    EXPECT_EQ(cancel.job_ids, std::vector<std::string>{kId}) << path;
  }
  EXPECT_EQ(Match("DELETE", "/v2/p%31/editing/jobs/a%2Db").job_ids,
            std::vector<std::string>{"a-b"});
}

TEST(MpcRoutesTest, ActionsAreTheVendorsIamActions) {
  EXPECT_STREQ(MpcActionOf(MpcOperation::kCreateEditingJob),
               "mpc:editingTask:create");
  EXPECT_STREQ(MpcActionOf(MpcOperation::kListEditingJobs),
               "mpc:editingTask:view");
  EXPECT_STREQ(MpcActionOf(MpcOperation::kCancelEditingJob),
               "mpc:editingTask:delete");
}

TEST(MpcRoutesTest, UnknownApisAre404) {
  for (const char* path :
       {"/v2/p1/transcodings", "/v2/p1/editing", "/v2/p1/editing/jobs/a/b",
        "/v3/p1/editing/jobs", "/v2//editing/jobs/../jobs",
        "/v1/p1/editing/jobs/x", "/v1/p1/editing/job"}) {
    const MpcError error = Refusal("DELETE", path, {{"job_id", "a"}});
    EXPECT_EQ(error.http_status, 404) << path;
    EXPECT_EQ(error.code, "APIG.0101") << path;
  }
  // v1 create and list are not served.
  EXPECT_EQ(Refusal("POST", "/v1/p1/editing/jobs").code, "APIG.0101");
  EXPECT_EQ(Refusal("GET", "/v1/p1/editing/jobs", {{"job_id", "a"}}).code,
            "APIG.0101");
}

TEST(MpcRoutesTest, OtherMethodsAre10204) {
  for (const auto& [method, path] :
       std::vector<std::pair<const char*, std::string>>{
           {"PUT", "/v2/p1/editing/jobs"},
           {"DELETE", "/v2/p1/editing/jobs"},
           {"GET", std::string("/v2/p1/editing/jobs/") + kId},
           {"POST", "/v2/p1/editing/job"}}) {
    const MpcError error = Refusal(method, path);
    EXPECT_EQ(error.http_status, 400) << method << " " << path;
    EXPECT_EQ(error.code, "MPC.10204");
    EXPECT_EQ(error.message, std::string("Incorrect request method. ") +
                                 method + " is not supported on this path.");
  }
}

TEST(MpcRoutesTest, MalformedIdsAre10202) {
  for (const char* path :
       {"/v2/p1/editing/jobs/..", "/v2/p1/editing/jobs/%2E%2E",
        "/v2/p1/editing/jobs/a%2Fb", "/v2/p1/editing/jobs/%zz",
        "/v2/p1/editing/jobs/a%00", "/v2/..%2Fp2/editing/jobs/a",
        "/v2/p%20/editing/jobs/a", "/v2/p1/editing/jobs//"}) {
    const MpcError error = Refusal("DELETE", path);
    EXPECT_EQ(error.http_status, 400) << path;
    EXPECT_EQ(error.code, "MPC.10202") << path;
    EXPECT_NE(error.message.find("must be 1 to 128 characters"),
              std::string::npos);
  }
  EXPECT_EQ(
      Refusal("DELETE", "/v2/p1/editing/jobs/" + std::string(129, 'a')).code,
      "MPC.10202");
}

TEST(MpcRoutesTest, JobIdCountsAre10202) {
  ParamList eleven;
  for (int i = 0; i < 11; ++i) eleven.emplace_back("job_id", "a");
  MpcError error = Refusal("GET", "/v2/p1/editing/jobs", eleven);
  EXPECT_EQ(error.code, "MPC.10202");
  EXPECT_EQ(error.message,
            "Invalid request parameter. At most 10 job_id values per request.");
  eleven.pop_back();
  EXPECT_EQ(Match("GET", "/v2/p1/editing/jobs", eleven).job_ids.size(), 10u);
  error = Refusal("GET", "/v2/p1/editing/jobs");
  EXPECT_EQ(error.message, "Invalid request parameter. job_id is required.");
  error = Refusal("DELETE", "/v2/p1/editing/job",
                  {{"job_id", "a"}, {"job_id", "b"}});
  EXPECT_EQ(error.message,
            "Invalid request parameter. Give exactly one job_id.");
  error = Refusal("DELETE", "/v1/p1/editing/jobs");
  EXPECT_EQ(error.message,
            "Invalid request parameter. Give exactly one job_id.");
  error = Refusal("GET", "/v2/p1/editing/jobs", {{"job_id", "../x"}});
  EXPECT_EQ(error.code, "MPC.10202");
}

}  // namespace
}  // namespace gateway
}  // namespace jobcontrol
