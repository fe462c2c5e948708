// CommandTemplate: the command line `jobctl worker --exec` runs for each job,
// with placeholders such as {input} and {output} replaced by the job's fields.
//
// Job fields are untrusted (anyone who may submit a job chooses them), and
// the command is run by /bin/sh, so every substituted value is shell-quoted:
// it reaches the command as exactly one argument (or, for {inputs}, one
// argument per input), whatever characters it holds. A user_data of
// `'; rm -rf / #` is the literal argument `'; rm -rf / #`.
//
// Placeholders (docs/worker.md has the table with examples):
//   {job_id} {kind} {attempt} {user_data}
//   {input}      dna: the input URI or media ID; editing: the first input's
//   {inputs}     editing: every input's URI (or media ID), one argument
//                each; dna: the input, as {input}
//   {start}      editing: the first input's timeline_start in seconds ("0"
//                when unset); {end}: its timeline_end ("" when unset)
//   {output}     editing: output.uri joined with output.file_name ("/" added
//                unless output.uri ends with one); output.uri alone when no
//                file name
//   {output_uri} {output_file_name}  editing: the output location's fields
//   {db_id} {primary_key} {config_json} {template_id}  dna: the spec's fields
// A placeholder that does not apply to the job's kind is the empty argument
// ''. Write placeholders bare, not inside quotes: `cat {input}`, not
// `cat "{input}"` (which would pass the quotes along).
#ifndef JOBCONTROL_CLIENT_COMMAND_TEMPLATE_H_
#define JOBCONTROL_CLIENT_COMMAND_TEMPLATE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/duration.pb.h"
#include "jobcontrol/v1/job.pb.h"

namespace jobcontrol {

class CommandTemplate {
 public:
  // Parses `text`. `{name}` is a placeholder when `name` is one of those
  // listed above. Any other `{word}` (a lowercase letter, then lowercase
  // letters, digits or '_') is INVALID_ARGUMENT naming it, so that a typo
  // such as {inptu} is caught before any job runs; `${word}` (a shell
  // parameter) and every other brace, as in awk '{print $1}', are literal
  // text. Empty or all-blank text is INVALID_ARGUMENT.
  static absl::StatusOr<CommandTemplate> Parse(absl::string_view text);

  // The command to run for `job`, started for the `attempt`-th time (the
  // lease's attempt). INVALID_ARGUMENT if a value to substitute holds a NUL
  // byte, which no shell argument can.
  absl::StatusOr<std::string> Expand(const v1::Job& job, int attempt) const;

  // The text it was parsed from.
  const std::string& text() const { return text_; }

 private:
  // One part of the template: literal text, or a placeholder by name.
  struct Piece {
    bool is_placeholder = false;
    std::string text;  // the literal text, or the placeholder's name
  };

  std::string text_;
  std::vector<Piece> pieces_;
};

// `value` as one /bin/sh word: wrapped in single quotes, each ' written as
// '\'' ("it's" -> 'it'\''s'). The empty string is ''.
std::string ShellQuoted(absl::string_view value);

// Where an editing job's output goes: output.uri joined with
// output.file_name as {output} describes; "" for other kinds.
std::string OutputLocationOf(const v1::Job& job);

// A duration as decimal seconds, without trailing zeros: 10s -> "10",
// 10.5s -> "10.5", 250ms -> "0.25", -1.5s -> "-1.5".
std::string DecimalSeconds(const google::protobuf::Duration& duration);

}  // namespace jobcontrol

#endif  // JOBCONTROL_CLIENT_COMMAND_TEMPLATE_H_
