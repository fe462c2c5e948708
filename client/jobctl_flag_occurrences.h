// FlagOccurrences: every flag given on a jobctl command line, in order, with
// its text value.
//
// absl flags keep only the last value of a flag and cannot tell a flag given
// with its default value from one not given. jobctl needs both: --input and
// --setting repeat, `pipelines update` builds its update mask from the flags
// given, and a flag that does not apply to a subcommand is a usage error.
// Scanning also checks every flag before absl::ParseCommandLine sees it, so an
// unknown flag or a bad value becomes a jobctl usage error (exit code 2)
// instead of absl's own exit.
#ifndef JOBCONTROL_CLIENT_JOBCTL_FLAG_OCCURRENCES_H_
#define JOBCONTROL_CLIENT_JOBCTL_FLAG_OCCURRENCES_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jobcontrol {

class FlagOccurrences {
 public:
  // Scans argv[1..argc) with absl's syntax: "--name=value", "--name value"
  // (flags that are not bool), "--name" and "--noname" (bool flags), "-name"
  // as "--name"; "--" ends the flags; other arguments are positional and
  // skipped. "--help", "-help" and "-h" are not flags: they set
  // help_requested(). A name may also be spelled with '-' for '_'
  // (--allow-running is --allow_running).
  //
  // `accepts(flag)` says which registered flags the program takes; any other
  // flag is INVALID_ARGUMENT ("unknown flag --x"), as are a missing value and
  // a value the flag's type cannot parse. Checking a value sets the flag to
  // it, which absl::ParseCommandLine does again afterwards.
  static absl::StatusOr<FlagOccurrences> Scan(
      int argc, char** argv,
      const std::function<bool(const absl::CommandLineFlag&)>& accepts);

  bool help_requested() const { return help_requested_; }

  // Whether flag `name` (without dashes) was given at least once.
  bool Contains(absl::string_view name) const;

  // The values `name` was given, in command-line order ("true"/"false" for
  // bool flags).
  std::vector<std::string> ValuesOf(absl::string_view name) const;

  // The distinct flags given, in order of first appearance.
  std::vector<std::string> Names() const;

  // The scanned command line with every flag rewritten as "--name=value"
  // under its registered name (so "--allow-running" is
  // "--allow_running=true"), positional arguments and everything from "--"
  // on unchanged, argv[0] first: what absl::ParseCommandLine is given.
  const std::vector<std::string>& canonical_arguments() const {
    return canonical_arguments_;
  }

 private:
  bool help_requested_ = false;
  std::vector<std::string> canonical_arguments_;
  std::vector<std::pair<std::string, std::string>> occurrences_;
};

}  // namespace jobcontrol

#endif  // JOBCONTROL_CLIENT_JOBCTL_FLAG_OCCURRENCES_H_
