// ChildProcess: one command run by `/bin/sh -c` in a process group of its
// own, the way `jobctl worker` runs a job's command.
//
// The child gets /dev/null as stdin, the parent's environment and working
// directory, default signal handling and an empty signal mask. Its stdout and
// stderr go to pipes of which the last `tail_bytes` each are kept. Being its
// own process group, it does not get the terminal's Ctrl-C; the owner stops
// it with Terminate(), which signals the whole group (the shell and every
// command it started).
//
// Start() makes the calling process a child subreaper
// (prctl(PR_SET_CHILD_SUBREAPER)): processes the command leaves behind become
// its children when their parent dies, so that Wait() can wait for them. A
// process that leaves the command's process group (setsid, setpgid) escapes
// Terminate() and Wait(), and when it ends it stays a zombie of the caller
// until the caller exits.
//
// Linux only (PR_SET_CHILD_SUBREAPER, pidfd).
#ifndef JOBCONTROL_CLIENT_CHILD_PROCESS_H_
#define JOBCONTROL_CLIENT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace jobcontrol {

// How a child ended and what it last wrote.
struct ChildOutcome {
  bool exited = false;  // it exited (else a signal killed it)
  int exit_code = 0;    // when exited
  int signal = 0;       // when killed
  // The last bytes written to stdout / stderr, at most the tail size, as
  // valid UTF-8 (invalid sequences, such as a character cut in two at the
  // start of the tail, become U+FFFD) so they fit protobuf string fields.
  std::string stdout_tail;
  std::string stderr_tail;

  bool succeeded() const { return exited && exit_code == 0; }
  // "exited with status 3" or "killed by signal 15 (SIGTERM)".
  std::string Describe() const;
};

class ChildProcess {
 public:
  // Starts `/bin/sh -c command`. INTERNAL if a pipe, the fork or the pidfd
  // cannot be made; a command that does not exist is not an error here (the
  // shell exits 127).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::string& command, size_t tail_bytes = 4096);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // If Wait() has not returned, kills the process group with SIGKILL and
  // reaps it as Wait() does.
  ~ChildProcess();

  // The shell's pid, which is also the process group's ID.
  pid_t pid() const { return pid_; }

  // Blocks until the shell has exited, collecting its output meanwhile;
  // then kills (SIGKILL) whatever the command left running in its process
  // group, reaps the shell and those processes, and returns: the command
  // is over when it returns. Output written after the shell exited is not
  // waited for. Call it once, from one thread.
  ChildOutcome Wait();

  // Callable from any thread, also while Wait() runs: sends SIGTERM to the
  // process group now and SIGKILL once `grace` has passed if the shell has
  // not exited by then (sent by Wait(), so Wait() must be running or be
  // called). Does nothing after the first call or after Wait() reaped the
  // shell.
  void Terminate(absl::Duration grace);

 private:
  ChildProcess(pid_t pid, int pidfd, int stdout_fd, int stderr_fd,
               int wake_read_fd, int wake_write_fd, size_t tail_bytes);

  // Kills the process group, reaps the shell (its wait status into
  // `*shell_status`) and every other process of the group that is our child.
  void ReapGroup(int* shell_status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const pid_t pid_;
  const int pidfd_;
  int stdout_fd_;  // -1 once at end of file
  int stderr_fd_;
  const int wake_read_fd_;   // Terminate() writes to wake_write_fd_ to
  const int wake_write_fd_;  // make Wait() look at kill_deadline_ again
  const size_t tail_bytes_;

  absl::Mutex mutex_;
  bool terminating_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Time kill_deadline_ ABSL_GUARDED_BY(mutex_) = absl::InfiniteFuture();
  bool reaped_ ABSL_GUARDED_BY(mutex_) = false;
};

// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string ValidUtf8(absl::string_view text);

}  // namespace jobcontrol

#endif  // JOBCONTROL_CLIENT_CHILD_PROCESS_H_
