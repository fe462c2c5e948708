#include "client/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace jobcontrol {
namespace {

std::unique_ptr<ChildProcess> StartOrDie(const std::string& command,
                                         size_t tail_bytes = 4096) {
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(command, tail_bytes);
  EXPECT_TRUE(child.ok()) << child.status();
  return child.ok() ? *std::move(child) : nullptr;
}

// Whether process `pid` is gone: no such process, or a zombie nobody reaped
// yet (in a container, the reaper of orphans may be slow or absent).
bool ProcessIsGone(pid_t pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return true;
  const size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() &&
         (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

class TempDirectory {
 public:
  TempDirectory() {
    char path[] = "/tmp/child_process_test.XXXXXX";
    EXPECT_NE(mkdtemp(path), nullptr);
    path_ = path;
  }
  ~TempDirectory() {
    const std::string command = absl::StrCat("rm -rf '", path_, "'");
    EXPECT_EQ(system(command.c_str()), 0);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Blocks until the command writes a line into the FIFO `path`, and returns
// it: how a test learns, without sleeping, that the command got that far.
std::string ReadLineFromFifo(const std::string& path) {
  std::ifstream fifo(path);
  std::string line;
  std::getline(fifo, line);
  return line;
}

TEST(ChildProcessTest, ReportsExitStatusAndOutput) {
  std::unique_ptr<ChildProcess> child =
      StartOrDie("echo out; echo err >&2; exit 3");
  ASSERT_NE(child, nullptr);
  const ChildOutcome outcome = child->Wait();
  EXPECT_TRUE(outcome.exited);
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_FALSE(outcome.succeeded());
  EXPECT_EQ(outcome.stdout_tail, "out\n");
  EXPECT_EQ(outcome.stderr_tail, "err\n");
  EXPECT_EQ(outcome.Describe(), "exited with status 3");
}

TEST(ChildProcessTest, SucceedsWithStatusZeroAndEmptyStdin) {
  std::unique_ptr<ChildProcess> child = StartOrDie("cat; echo done");
  ASSERT_NE(child, nullptr);
  const ChildOutcome outcome = child->Wait();
  EXPECT_TRUE(outcome.succeeded());
  EXPECT_EQ(outcome.stdout_tail, "done\n");
}

TEST(ChildProcessTest, KeepsOnlyTheTailOfLongOutput) {
  // 100000 lines "1".."100000": far more than the pipe and the tail hold.
  std::unique_ptr<ChildProcess> child = StartOrDie("seq 100000", 16);
  ASSERT_NE(child, nullptr);
  const ChildOutcome outcome = child->Wait();
  EXPECT_TRUE(outcome.succeeded());
  EXPECT_EQ(outcome.stdout_tail, "98\n99999\n100000\n");
}

TEST(ChildProcessTest, ReplacesInvalidUtf8InTails) {
  std::unique_ptr<ChildProcess> child =
      StartOrDie(R"(printf 'a\377b\303\251' >&2)");
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->Wait().stderr_tail,
            "a\xEF\xBF\xBD"
            "b\xC3\xA9");
}

TEST(ChildProcessTest, DescribesDeathBySignal) {
  std::unique_ptr<ChildProcess> child = StartOrDie("kill -KILL $$");
  ASSERT_NE(child, nullptr);
  const ChildOutcome outcome = child->Wait();
  EXPECT_FALSE(outcome.exited);
  EXPECT_EQ(outcome.signal, SIGKILL);
  EXPECT_EQ(outcome.Describe(), "killed by signal 9 (SIGKILL)");
}

TEST(ChildProcessTest, RunsInItsOwnProcessGroup) {
  std::unique_ptr<ChildProcess> child =
      StartOrDie("cut -d ' ' -f 5 /proc/$$/stat");
  ASSERT_NE(child, nullptr);
  const ChildOutcome outcome = child->Wait();
  int pgid = 0;
  ASSERT_TRUE(
      absl::SimpleAtoi(absl::StripAsciiWhitespace(outcome.stdout_tail), &pgid))
      << outcome.stdout_tail;
  EXPECT_EQ(pgid, child->pid());
  EXPECT_NE(pgid, getpgrp());
}

TEST(ChildProcessTest, TerminateStopsTheWholeGroup) {
  TempDirectory directory;
  const std::string fifo = directory.path() + "/ready";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // The shell starts a background sleep, reports its pid, and waits.
  std::unique_ptr<ChildProcess> child =
      StartOrDie(absl::StrCat("sleep 60 & echo $! > '", fifo, "'; wait"));
  ASSERT_NE(child, nullptr);
  int sleep_pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(ReadLineFromFifo(fifo), &sleep_pid));
  child->Terminate(absl::Seconds(60));
  const ChildOutcome outcome = child->Wait();
  EXPECT_FALSE(outcome.exited) << outcome.Describe();
  EXPECT_EQ(outcome.signal, SIGTERM) << outcome.Describe();
  EXPECT_TRUE(ProcessIsGone(sleep_pid));
}

TEST(ChildProcessTest, TerminateEscalatesToKillAfterTheGrace) {
  TempDirectory directory;
  const std::string fifo = directory.path() + "/ready";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // SIGTERM is ignored (by the shell and, inherited, by sleep).
  std::unique_ptr<ChildProcess> child = StartOrDie(
      absl::StrCat("trap '' TERM; echo ready > '", fifo, "'; sleep 60"));
  ASSERT_NE(child, nullptr);
  ASSERT_EQ(ReadLineFromFifo(fifo), "ready");
  // From another thread, while Wait() is blocked.
  std::thread terminator(
      [&child] { child->Terminate(absl::Milliseconds(100)); });
  const ChildOutcome outcome = child->Wait();
  terminator.join();
  EXPECT_FALSE(outcome.exited) << outcome.Describe();
  EXPECT_EQ(outcome.signal, SIGKILL) << outcome.Describe();
}

TEST(ChildProcessTest, WaitDoesNotWaitForProcessesLeftBehind) {
  // The background sleep holds stdout open; Wait() must still return when
  // the shell exits, and the sleep must be killed with it.
  std::unique_ptr<ChildProcess> child = StartOrDie("sleep 60 & echo $!");
  ASSERT_NE(child, nullptr);
  const ChildOutcome outcome = child->Wait();
  EXPECT_TRUE(outcome.succeeded()) << outcome.Describe();
  int sleep_pid = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(outcome.stdout_tail),
                               &sleep_pid))
      << outcome.stdout_tail;
  EXPECT_TRUE(ProcessIsGone(sleep_pid));
}

TEST(ChildProcessTest, DestructorKillsARunningChild) {
  pid_t pid = 0;
  {
    std::unique_ptr<ChildProcess> child = StartOrDie("sleep 60");
    ASSERT_NE(child, nullptr);
    pid = child->pid();
  }
  EXPECT_TRUE(ProcessIsGone(pid));
}

TEST(ValidUtf8Test, KeepsValidTextAndReplacesInvalidBytes) {
  EXPECT_EQ(ValidUtf8("plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string replacement = "\xEF\xBF\xBD";
  EXPECT_EQ(ValidUtf8("\x80"), replacement);  // lone continuation
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), replacement + replacement);  // overlong
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"),                          // surrogate
            replacement + replacement + replacement);
  EXPECT_EQ(ValidUtf8("a\xE2\x82"), "a" + replacement + replacement);  // cut
  EXPECT_EQ(ValidUtf8("\xF4\x90\x80\x80"),  // above U+10FFFF
            replacement + replacement + replacement + replacement);
}

}  // namespace
}  // namespace jobcontrol
