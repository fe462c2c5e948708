#include "client/command_template.h"

#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/child_process.h"
#include "gtest/gtest.h"

namespace jobcontrol {
namespace {

google::protobuf::Duration ProtoSeconds(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Duration duration;
  duration.set_seconds(seconds);
  duration.set_nanos(nanos);
  return duration;
}

v1::Job EditingJob() {
  v1::Job job;
  job.set_id("0123456789abcdef0123456789abcdef");
  job.set_kind(v1::JOB_KIND_EDITING);
  job.set_user_data("nightly");
  v1::EditingSpec& editing = *job.mutable_editing();
  v1::EditingInput& first = *editing.add_inputs();
  first.mutable_media()->set_uri("/media/in a.mp4");
  *first.mutable_timeline_start() = ProtoSeconds(10, 500000000);
  *first.mutable_timeline_end() = ProtoSeconds(90);
  editing.add_inputs()->mutable_media()->set_media_id("media-2");
  editing.mutable_output()->set_uri("/media/out/");
  editing.mutable_output()->set_file_name("clip.mp4");
  return job;
}

v1::Job DnaJob() {
  v1::Job job;
  job.set_id("fedcba9876543210fedcba9876543210");
  job.set_kind(v1::JOB_KIND_DNA_ANALYSIS);
  v1::DnaAnalysisSpec& dna = *job.mutable_dna_analysis();
  dna.set_db_id("db-1");
  dna.set_primary_key("video-1");
  dna.mutable_input()->set_uri("oss://bucket/a.mp4");
  dna.set_config_json(R"({"SaveType":"save"})");
  dna.set_template_id("tpl-1");
  return job;
}

std::string Expanded(absl::string_view text, const v1::Job& job,
                     int attempt = 1) {
  absl::StatusOr<CommandTemplate> parsed = CommandTemplate::Parse(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return "";
  absl::StatusOr<std::string> command = parsed->Expand(job, attempt);
  EXPECT_TRUE(command.ok()) << command.status();
  return command.ok() ? *command : "";
}

// What /bin/sh writes to stdout when it runs `command`.
std::string ShellOutput(const std::string& command) {
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(command, 1 << 16);
  EXPECT_TRUE(child.ok()) << child.status();
  if (!child.ok()) return "";
  const ChildOutcome outcome = (*child)->Wait();
  EXPECT_TRUE(outcome.succeeded())
      << command << ": " << outcome.Describe() << ": " << outcome.stderr_tail;
  return outcome.stdout_tail;
}

TEST(ShellQuotedTest, WrapsInSingleQuotesAndEscapesThem) {
  EXPECT_EQ(ShellQuoted(""), "''");
  EXPECT_EQ(ShellQuoted("plain"), "'plain'");
  EXPECT_EQ(ShellQuoted("it's"), R"('it'\''s')");
  EXPECT_EQ(ShellQuoted("''"), R"(''\'''\''')");
  EXPECT_EQ(ShellQuoted("$HOME `id` \\ \"x\""), "'$HOME `id` \\ \"x\"'");
}

TEST(CommandTemplateTest, SubstitutesEveryEditingPlaceholderQuoted) {
  const v1::Job job = EditingJob();
  EXPECT_EQ(Expanded("run {job_id} {kind} {attempt} {user_data}", job, 2),
            "run '0123456789abcdef0123456789abcdef' 'editing' '2' 'nightly'");
  EXPECT_EQ(
      Expanded("ffmpeg -ss {start} -to {end} -i {input} -c copy {output}", job),
      "ffmpeg -ss '10.5' -to '90' -i '/media/in a.mp4' -c copy "
      "'/media/out/clip.mp4'");
  EXPECT_EQ(Expanded("cat {inputs}", job), "cat '/media/in a.mp4' 'media-2'");
  EXPECT_EQ(Expanded("{output_uri} {output_file_name}", job),
            "'/media/out/' 'clip.mp4'");
  // dna-only placeholders are empty arguments for an editing job.
  EXPECT_EQ(
      Expanded("x {db_id} {primary_key} {config_json} {template_id}", job),
      "x '' '' '' ''");
}

TEST(CommandTemplateTest, SubstitutesEveryDnaPlaceholderQuoted) {
  const v1::Job job = DnaJob();
  EXPECT_EQ(Expanded("fpcalc -json {input} {inputs} {kind}", job),
            "fpcalc -json 'oss://bucket/a.mp4' 'oss://bucket/a.mp4' 'dna'");
  EXPECT_EQ(Expanded("{db_id} {primary_key} {config_json} {template_id}", job),
            R"('db-1' 'video-1' '{"SaveType":"save"}' 'tpl-1')");
  EXPECT_EQ(Expanded("{start}{end}{output}{output_uri}{output_file_name}", job),
            "''''''''''");
}

TEST(CommandTemplateTest, UnsetTimelineIsZeroToEmpty) {
  v1::Job job = EditingJob();
  job.mutable_editing()->mutable_inputs(0)->clear_timeline_start();
  job.mutable_editing()->mutable_inputs(0)->clear_timeline_end();
  EXPECT_EQ(Expanded("{start} {end}", job), "'0' ''");
}

TEST(CommandTemplateTest, LeavesOtherBracesAlone) {
  const v1::Job job = DnaJob();
  EXPECT_EQ(Expanded("awk '{print $1}' {input}", job),
            "awk '{print $1}' 'oss://bucket/a.mp4'");
  EXPECT_EQ(Expanded("echo ${HOME} ${input} {HOME} { } {", job),
            "echo ${HOME} ${input} {HOME} { } {");
  EXPECT_EQ(Expanded("f() { echo {kind}; }; f", job), "f() { echo 'dna'; }; f");
}

TEST(CommandTemplateTest, RejectsUnknownPlaceholdersAndEmptyText) {
  absl::StatusOr<CommandTemplate> typo =
      CommandTemplate::Parse("cp {inptu} {output}");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(typo.status().message(), "{inptu}"))
      << typo.status();
  EXPECT_EQ(CommandTemplate::Parse("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CommandTemplate::Parse(" \t\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CommandTemplateTest, RejectsValuesWithNulBytes) {
  v1::Job job = DnaJob();
  job.set_user_data(std::string("a\0b", 3));
  absl::StatusOr<CommandTemplate> parsed =
      CommandTemplate::Parse("echo {user_data}");
  ASSERT_TRUE(parsed.ok());
  absl::StatusOr<std::string> command = parsed->Expand(job, 1);
  ASSERT_FALSE(command.ok());
  EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(command.status().message(), "{user_data}"));
  // A template not using the field is fine.
  EXPECT_TRUE(CommandTemplate::Parse("echo {kind}")->Expand(job, 1).ok());
}

// The point of the quoting: hostile job fields reach the command as literal
// arguments when a real /bin/sh runs it, and nothing in them is executed.
TEST(CommandTemplateTest, HostileValuesArriveLiterallyThroughTheShell) {
  char directory_template[] = "/tmp/command_template_test.XXXXXX";
  ASSERT_NE(mkdtemp(directory_template), nullptr);
  const std::string directory = directory_template;
  const std::string marker = absl::StrCat(directory, "/pwned");
  const std::string hostile_values[] = {
      "'; rm -rf / #",
      absl::StrCat("$(touch ", marker, ")"),
      absl::StrCat("`touch ", marker, "`"),
      absl::StrCat("'$(touch ", marker, ")'"),
      absl::StrCat("x'; touch ", marker, "; echo '"),
      "a\nb\tc \"d\" \\e * ? [f] ~ !g & | ; < > {h} $i ${j}",
      "'''",
      "-n",
      "",
  };
  for (const std::string& value : hostile_values) {
    v1::Job job = DnaJob();
    job.set_user_data(value);
    // printf gets exactly one argument: the value, bracketed.
    EXPECT_EQ(ShellOutput(Expanded("printf '<%s>' {user_data}", job)),
              absl::StrCat("<", value, ">"))
        << value;
    EXPECT_NE(access(marker.c_str(), F_OK), 0)
        << "the value ran a command: " << value;
  }
  rmdir(directory.c_str());
}

TEST(CommandTemplateTest, InputsAreOneArgumentEach) {
  v1::Job job = EditingJob();
  job.mutable_editing()->add_inputs()->mutable_media()->set_uri("it's here");
  EXPECT_EQ(ShellOutput(Expanded("printf '<%s>' {inputs}", job)),
            "</media/in a.mp4><media-2><it's here>");
}

TEST(OutputLocationOfTest, JoinsUriAndFileName) {
  v1::Job job = EditingJob();
  EXPECT_EQ(OutputLocationOf(job), "/media/out/clip.mp4");
  job.mutable_editing()->mutable_output()->set_uri("obs://bucket/out");
  EXPECT_EQ(OutputLocationOf(job), "obs://bucket/out/clip.mp4");
  job.mutable_editing()->mutable_output()->clear_file_name();
  EXPECT_EQ(OutputLocationOf(job), "obs://bucket/out");
  EXPECT_EQ(OutputLocationOf(DnaJob()), "");
}

TEST(DecimalSecondsTest, PrintsSecondsWithoutTrailingZeros) {
  EXPECT_EQ(DecimalSeconds(ProtoSeconds(0)), "0");
  EXPECT_EQ(DecimalSeconds(ProtoSeconds(10)), "10");
  EXPECT_EQ(DecimalSeconds(ProtoSeconds(10, 500000000)), "10.5");
  EXPECT_EQ(DecimalSeconds(ProtoSeconds(0, 250000000)), "0.25");
  EXPECT_EQ(DecimalSeconds(ProtoSeconds(3600, 1)), "3600.000000001");
  EXPECT_EQ(DecimalSeconds(ProtoSeconds(-1, -500000000)), "-1.5");
}

}  // namespace
}  // namespace jobcontrol
