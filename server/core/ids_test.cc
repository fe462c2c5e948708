#include "server/core/ids.h"

#include <set>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace jobcontrol {
namespace {

TEST(NewResourceIdTest, IsValidAndStartsWithTheCreationTimeInMilliseconds) {
  // 2026-12-04T00:00:00.123Z = 1796342400123 ms = 0x1a23e59c47b.
  const absl::Time created = absl::FromUnixMillis(1796342400123);
  const std::string id = NewResourceId(created);
  EXPECT_TRUE(IsValidResourceId(id)) << id;
  EXPECT_EQ(id.substr(0, 12), "01a23e59c47b");
}

TEST(NewResourceIdTest, LaterIdsSortLater) {
  const absl::Time t = absl::FromUnixMillis(1796342400123);
  for (int i = 0; i < 100; ++i) {
    EXPECT_LT(NewResourceId(t), NewResourceId(t + absl::Milliseconds(1)));
  }
}

TEST(NewResourceIdTest, IdsOfTheSameMillisecondDifferInTheRandomPart) {
  const absl::Time t = absl::FromUnixMillis(1796342400123);
  std::set<std::string> random_parts;
  for (int i = 0; i < 1000; ++i) random_parts.insert(NewResourceId(t).substr(12));
  EXPECT_EQ(random_parts.size(), 1000u);
}

TEST(NewResourceIdTest, TimesBeforeTheEpochGiveTheSmallestPrefix) {
  const std::string id = NewResourceId(absl::FromUnixMillis(-5));
  EXPECT_TRUE(IsValidResourceId(id));
  EXPECT_EQ(id.substr(0, 12), "000000000000");
}

TEST(IsValidResourceIdTest, AcceptsOnly32LowercaseHexCharacters) {
  EXPECT_TRUE(IsValidResourceId(std::string(32, 'a')));
  EXPECT_FALSE(IsValidResourceId(std::string(31, 'a')));
  EXPECT_FALSE(IsValidResourceId(std::string(33, 'a')));
  EXPECT_FALSE(IsValidResourceId(std::string(32, 'A')));
  EXPECT_FALSE(IsValidResourceId(std::string(31, 'a') + "g"));
}

}  // namespace
}  // namespace jobcontrol
