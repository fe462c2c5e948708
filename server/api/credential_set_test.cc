#include "server/api/credential_set.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace jobcontrol {
namespace {

constexpr char kTwoCredentials[] = R"pb(
  credentials {
    access_key_id: "AK1"
    access_key_secret: "secret-one"
    bearer_token: "token-one-0123456789"
    tenant: "t1"
    allowed_actions: "jobcontrol.jobs.*"
    allowed_actions: "jobcontrol.pipelines.get"
  }
  credentials {
    access_key_id: "AK2"
    access_key_secret: "secret-two"
    bearer_token: "token-two-0123456789"
    tenant: "t2"
    allowed_actions: "*"
  }
)pb";

std::string TempDir() {
  std::string pattern = ::testing::TempDir() + "/credXXXXXX";
  char* dir = mkdtemp(pattern.data());
  EXPECT_NE(dir, nullptr);
  return pattern;
}

void WriteFile(const std::string& path, const std::string& content,
               mode_t mode) {
  std::ofstream(path) << content;
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

TEST(CredentialSetTest, FindsCredentialByToken) {
  auto set = CredentialSet::Parse(kTwoCredentials);
  ASSERT_TRUE(set.ok()) << set.status();
  const config::Credential* c = set->FindByBearerToken("token-two-0123456789");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->tenant(), "t2");
  EXPECT_EQ(set->FindByBearerToken("token-two-012345678"), nullptr);
  EXPECT_EQ(set->FindByBearerToken(""), nullptr);
  EXPECT_EQ(set->FindByBearerToken("token-two-0123456789x"), nullptr);
}

TEST(CredentialSetTest, AllowsExactAndWildcardActions) {
  auto set = CredentialSet::Parse(kTwoCredentials);
  ASSERT_TRUE(set.ok());
  const config::Credential& one = *set->FindByBearerToken("token-one-0123456789");
  EXPECT_TRUE(CredentialSet::Allows(one, "jobcontrol.jobs.cancel"));
  EXPECT_TRUE(CredentialSet::Allows(one, "jobcontrol.pipelines.get"));
  EXPECT_FALSE(CredentialSet::Allows(one, "jobcontrol.pipelines.delete"));
  EXPECT_FALSE(CredentialSet::Allows(one, "jobcontrol.jobsX"));
  const config::Credential& two = *set->FindByBearerToken("token-two-0123456789");
  EXPECT_TRUE(CredentialSet::Allows(two, "ice:CancelDNAJob"));
}

TEST(CredentialSetTest, RejectsBadFilesWithoutQuotingSecrets) {
  EXPECT_FALSE(CredentialSet::Parse("").ok());
  EXPECT_FALSE(CredentialSet::Parse("credentials { tenant: ").ok());
  auto short_token = CredentialSet::Parse(R"pb(
    credentials { access_key_id: "A" access_key_secret: "s"
                  bearer_token: "short-secret" tenant: "t" })pb");
  ASSERT_FALSE(short_token.ok());
  EXPECT_EQ(std::string(short_token.status().message()).find("short-secret"),
            std::string::npos);
  auto duplicate = CredentialSet::Parse(R"pb(
    credentials { access_key_id: "A" access_key_secret: "s"
                  bearer_token: "same-token-0123456789" tenant: "t" }
    credentials { access_key_id: "B" access_key_secret: "s"
                  bearer_token: "same-token-0123456789" tenant: "u" })pb");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(std::string(duplicate.status().message()).find("same-token"),
            std::string::npos);
  auto no_tenant = CredentialSet::Parse(R"pb(
    credentials { access_key_id: "A" access_key_secret: "s"
                  bearer_token: "token-0123456789abc" })pb");
  EXPECT_FALSE(no_tenant.ok());
}

TEST(CredentialSetTest, RefusesFileAccessibleByOthers) {
  const std::string path = TempDir() + "/credentials.textproto";
  WriteFile(path, kTwoCredentials, 0644);
  auto set = CredentialSet::LoadFile(path);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(set.status().message()).find("chmod 600"),
            std::string::npos);
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  EXPECT_TRUE(CredentialSet::LoadFile(path).ok());
}

TEST(CredentialSetTest, CreatesPrivateDevFileOnce) {
  const std::string path = TempDir() + "/credentials.textproto";
  auto token = CredentialSet::CreateDevFile(path);
  ASSERT_TRUE(token.ok()) << token.status();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto set = CredentialSet::LoadFile(path);
  ASSERT_TRUE(set.ok()) << set.status();
  const config::Credential* c = set->FindByBearerToken(*token);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->tenant(), "dev");
  EXPECT_TRUE(CredentialSet::Allows(*c, "jobcontrol.jobs.submit"));
  // Never overwrites an existing file.
  EXPECT_FALSE(CredentialSet::CreateDevFile(path).ok());
}

TEST(ConstantTimeEqualsTest, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals("a", ""));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

}  // namespace
}  // namespace jobcontrol
