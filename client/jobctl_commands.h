// The subcommands of jobctl: what each is called, which arguments and flags
// it takes, and what it does.
//
// A command runs in two steps so that every usage error is reported before
// jobctl looks for a token or talks to the server: Prepare() checks the
// command line and builds the request, and the Action it returns sends the
// request and prints the response.
#ifndef JOBCONTROL_CLIENT_JOBCTL_COMMANDS_H_
#define JOBCONTROL_CLIENT_JOBCTL_COMMANDS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/jobcontrol_client.h"
#include "client/jobctl_flag_occurrences.h"

namespace jobcontrol {

// Exit codes of jobctl.
inline constexpr int kExitOk = 0;
inline constexpr int kExitServerError = 1;  // an error from the server
inline constexpr int kExitUsage = 2;        // a bad command line
// watch, wait, worker --once: the job ended FAILED or CANCELED (or, for the
// worker, was not completed).
inline constexpr int kExitJobUnsuccessful = 3;
inline constexpr int kExitWaitTimedOut = 4;  // wait: the job is not done yet

// What a command is prepared from.
struct Invocation {
  const FlagOccurrences& flags;        // every flag given
  std::vector<std::string> arguments;  // positional, after the command words
  bool json = false;                   // --json: print responses as JSON
  absl::Duration timeout = absl::Seconds(30);  // --timeout
};

// Sends a prepared request through `client`, prints the response on stdout
// (or the error on stderr) and returns the exit code.
using Action = std::function<int(JobControlClient& client)>;

struct Command {
  std::vector<std::string> words;  // e.g. {"pipelines", "pause"}
  int arguments = 0;               // how many positional arguments (IDs)
  std::vector<std::string> flags;  // flags it takes besides the global ones
  std::string synopsis;            // one line: "jobctl get <job_id>"
  // Checks the flag values and builds the request; INVALID_ARGUMENT with a
  // message for the user on a usage error. Called with `arguments` checked
  // and only the command's own and global flags given.
  absl::StatusOr<Action> (*prepare)(const Invocation& invocation);
};

// Every command, in the order the usage lists them.
const std::vector<Command>& Commands();

// The command whose words begin `positional`, or null.
const Command* FindCommand(const std::vector<std::string>& positional);

}  // namespace jobcontrol

#endif  // JOBCONTROL_CLIENT_JOBCTL_COMMANDS_H_
