// jobctl: the command-line client of jobcontrold. `jobctl --help` lists the
// subcommands and flags; docs/jobctl.md is the reference.
//
// Exit codes: 0 success, 1 the server (or the connection to it) returned an
// error, 2 usage error (unknown subcommand or flag, missing argument, bad flag
// value, no bearer token to be found); watch, wait and worker --once: 3 the
// job ended FAILED or CANCELED; wait: 4 the job was not done in time.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "client/jobcontrol_client.h"
#include "client/jobctl_commands.h"
#include "client/jobctl_flag_occurrences.h"
#include "client/jobctl_token.h"

// Global flags.
ABSL_FLAG(std::string, server, "127.0.0.1:50051",
          "host:port of jobcontrold (plaintext gRPC)");
ABSL_FLAG(std::string, token, "",
          "bearer token; default $JOBCTL_TOKEN, else the first credential of "
          "--credentials");
ABSL_FLAG(std::string, credentials, "./var/credentials.textproto",
          "credentials textproto (jobcontrol.config.CredentialsFile) whose "
          "first bearer_token is used when neither --token nor $JOBCTL_TOKEN "
          "is set");
ABSL_FLAG(bool, json, false,
          "print the response message as one line of JSON instead of a table");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(30),
          "deadline of each call; wait: how long to wait for the job");

namespace jobcontrol {
namespace {

// `text` wrapped at spaces to lines of at most `width` columns, the later
// lines indented by `indent` spaces.
std::string Wrapped(const std::string& text, size_t width, size_t indent) {
  std::string wrapped;
  size_t line_length = 0;
  for (absl::string_view word : absl::StrSplit(text, ' ')) {
    if (line_length > indent && line_length + 1 + word.size() > width) {
      absl::StrAppend(&wrapped, "\n", std::string(indent, ' '));
      line_length = indent;
    } else if (!wrapped.empty()) {
      wrapped += ' ';
      ++line_length;
    }
    absl::StrAppend(&wrapped, word);
    line_length += word.size();
  }
  return wrapped;
}

// What `jobctl` prints without arguments: every command's synopsis and the
// rules common to all.
std::string Usage() {
  std::string jobs;
  std::string pipelines;
  std::string workers;
  for (const Command& command : Commands()) {
    std::string* section = command.words[0] == "pipelines" ? &pipelines
                           : command.words[0] == "worker"  ? &workers
                                                           : &jobs;
    // Two columns of indent on the first line: 80 in all.
    absl::StrAppend(section, "  ", Wrapped(command.synopsis, 78, 8), "\n");
  }
  return absl::StrCat(
      "jobctl: the command-line client of jobcontrold.\n\n"
      "Usage: jobctl [global flags] <command> [arguments] [flags]\n\n"
      "Jobs:\n",
      jobs, "\nPipelines:\n", pipelines, "\nWorkers:\n", workers,
      "\nGlobal flags: --server=HOST:PORT --token=T --credentials=FILE --json "
      "--timeout=D\n"
      "Token: --token, else $JOBCTL_TOKEN, else the first token in "
      "--credentials.\n"
      "Exit codes: 0 success, 1 error from the server, 2 usage error;\n"
      "watch, wait and worker --once: 3 the job ended FAILED or CANCELED;\n"
      "wait: 4 the job was not done in --timeout.\n");
}

// Flags every command takes (defined above).
constexpr const char* kGlobalFlags[] = {"server", "token", "credentials",
                                        "json", "timeout"};

// Flags defined in jobctl's own files: the only ones jobctl accepts.
bool IsJobctlFlag(const absl::CommandLineFlag& flag) {
  const std::string file = flag.Filename();
  const size_t slash = file.rfind('/');
  return absl::StartsWith(
      slash == std::string::npos ? file : file.substr(slash + 1), "jobctl");
}

int UsageError(const std::string& message, const std::string& synopsis) {
  std::fprintf(stderr, "jobctl: %s\nusage: %s\n", message.c_str(),
               synopsis.c_str());
  return kExitUsage;
}

// The synopses of the commands starting with `group` ("pipelines"), or of
// all commands if none does.
std::string SynopsesOf(const std::string& group) {
  std::vector<std::string> lines;
  for (const Command& command : Commands()) {
    if (command.words[0] == group) lines.push_back(command.synopsis);
  }
  if (lines.empty()) {
    for (const Command& command : Commands()) lines.push_back(command.synopsis);
  }
  return absl::StrJoin(lines, "\n       ");
}

// Usage() and every flag jobctl accepts with its default and help.
std::string Help() {
  std::map<std::string, const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (IsJobctlFlag(*flag)) flags.emplace(std::string(name), flag);
  }
  std::string help = absl::StrCat(Usage(), "\nFlags:\n");
  for (const auto& [name, flag] : flags) {
    const std::string default_value =
        flag->IsOfType<std::string>()
            ? absl::StrCat("\"", flag->DefaultValue(), "\"")
            : flag->DefaultValue();
    absl::StrAppend(&help, "  --", name, " (default ", default_value, ")\n",
                    std::string(6, ' '), Wrapped(flag->Help(), 74, 6), "\n");
  }
  absl::StrAppend(&help, "\nReference: docs/jobctl.md\n");
  return help;
}

int Run(int argc, char** argv) {
  absl::StatusOr<FlagOccurrences> flags =
      FlagOccurrences::Scan(argc, argv, IsJobctlFlag);
  if (!flags.ok()) {
    return UsageError(std::string(flags.status().message()),
                      "jobctl [global flags] <command> [arguments] [flags]; "
                      "see jobctl --help");
  }
  if (flags->help_requested()) {
    std::fputs(Help().c_str(), stdout);
    return kExitOk;
  }
  // absl parses the canonical spelling, which it understands in full.
  std::vector<std::string> canonical = flags->canonical_arguments();
  std::vector<char*> canonical_argv;
  for (std::string& argument : canonical) {
    canonical_argv.push_back(argument.data());
  }
  canonical_argv.push_back(nullptr);
  const std::vector<char*> parsed = absl::ParseCommandLine(
      static_cast<int>(canonical.size()), canonical_argv.data());
  const std::vector<std::string> positional(parsed.begin() + 1, parsed.end());
  if (positional.empty()) {
    std::fputs(Usage().c_str(), stderr);
    return kExitUsage;
  }
  if (positional[0] == "help") {
    std::fputs(Help().c_str(), stdout);
    return kExitOk;
  }

  const Command* command = FindCommand(positional);
  if (command == nullptr) {
    const bool is_group =
        positional[0] == "submit" || positional[0] == "pipelines";
    const std::string named =
        is_group && positional.size() > 1
            ? absl::StrCat(positional[0], " ", positional[1])
            : positional[0];
    return UsageError(
        is_group && positional.size() == 1
            ? absl::StrCat("'", positional[0], "' needs a subcommand")
            : absl::StrCat("unknown command '", named, "'"),
        SynopsesOf(positional[0]));
  }
  const std::string command_name = absl::StrJoin(command->words, " ");
  std::vector<std::string> arguments(
      positional.begin() + static_cast<ptrdiff_t>(command->words.size()),
      positional.end());
  if (static_cast<int>(arguments.size()) != command->arguments) {
    return UsageError(arguments.size() < static_cast<size_t>(command->arguments)
                          ? absl::StrCat(command_name, " needs an ID argument")
                          : absl::StrCat("unexpected argument '",
                                         arguments[command->arguments],
                                         "' for ", command_name),
                      command->synopsis);
  }
  for (const std::string& name : flags->Names()) {
    if (std::find(std::begin(kGlobalFlags), std::end(kGlobalFlags), name) ==
            std::end(kGlobalFlags) &&
        std::find(command->flags.begin(), command->flags.end(), name) ==
            command->flags.end()) {
      return UsageError(
          absl::StrCat("--", name, " does not apply to ", command_name),
          command->synopsis);
    }
  }
  absl::StatusOr<Action> action = command->prepare(
      Invocation{*flags, std::move(arguments), absl::GetFlag(FLAGS_json),
                 absl::GetFlag(FLAGS_timeout)});
  if (!action.ok()) {
    return UsageError(std::string(action.status().message()),
                      command->synopsis);
  }

  const char* token_env = std::getenv("JOBCTL_TOKEN");
  absl::StatusOr<std::string> token = ResolveBearerToken(
      absl::GetFlag(FLAGS_token), token_env == nullptr ? "" : token_env,
      absl::GetFlag(FLAGS_credentials));
  if (!token.ok()) {
    std::fprintf(stderr, "jobctl: %s\n",
                 std::string(token.status().message()).c_str());
    return kExitUsage;
  }
  ClientOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  options.bearer_token = *token;
  options.timeout = absl::GetFlag(FLAGS_timeout);
  JobControlClient client(options);
  return (*action)(client);
}

}  // namespace
}  // namespace jobcontrol

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("the command-line client of jobcontrold");
  return jobcontrol::Run(argc, argv);
}
