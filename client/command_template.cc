#include "client/command_template.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace jobcontrol {
namespace {

constexpr const char* kPlaceholderNames[] = {
    "job_id",           "kind",  "attempt",     "user_data",   "input",
    "inputs",           "start", "end",         "output",      "output_uri",
    "output_file_name", "db_id", "primary_key", "config_json", "template_id"};

bool IsPlaceholderName(absl::string_view name) {
  return std::find(std::begin(kPlaceholderNames), std::end(kPlaceholderNames),
                   name) != std::end(kPlaceholderNames);
}

// Whether `name` looks like a placeholder: [a-z][a-z0-9_]*.
bool IsPlaceholderLike(absl::string_view name) {
  if (name.empty() || !absl::ascii_islower(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

std::string MediaText(const v1::MediaReference& media) {
  return media.source_case() == v1::MediaReference::kMediaId ? media.media_id()
                                                             : media.uri();
}

std::string KindText(v1::JobKind kind) {
  switch (kind) {
    case v1::JOB_KIND_DNA_ANALYSIS:
      return "dna";
    case v1::JOB_KIND_EDITING:
      return "editing";
    default:
      return "";
  }
}

// The unquoted values `name` stands for in `job`: one, except for {inputs}.
std::vector<std::string> ValuesOf(absl::string_view name, const v1::Job& job,
                                  int attempt) {
  const bool is_dna = job.has_dna_analysis();
  const bool is_editing = job.has_editing();
  const v1::EditingInput* first_input =
      is_editing && job.editing().inputs_size() > 0 ? &job.editing().inputs(0)
                                                    : nullptr;
  if (name == "job_id") return {job.id()};
  if (name == "kind") {
    return {KindText(is_dna       ? v1::JOB_KIND_DNA_ANALYSIS
                     : is_editing ? v1::JOB_KIND_EDITING
                                  : job.kind())};
  }
  if (name == "attempt") return {absl::StrCat(attempt)};
  if (name == "user_data") return {job.user_data()};
  if (name == "input") {
    if (is_dna) return {MediaText(job.dna_analysis().input())};
    return {first_input != nullptr ? MediaText(first_input->media()) : ""};
  }
  if (name == "inputs") {
    if (is_dna) return {MediaText(job.dna_analysis().input())};
    std::vector<std::string> inputs;
    if (is_editing) {
      for (const v1::EditingInput& input : job.editing().inputs()) {
        inputs.push_back(MediaText(input.media()));
      }
    }
    return inputs;
  }
  if (name == "start") {
    if (first_input == nullptr) return {""};
    return {first_input->has_timeline_start()
                ? DecimalSeconds(first_input->timeline_start())
                : "0"};
  }
  if (name == "end") {
    return {first_input != nullptr && first_input->has_timeline_end()
                ? DecimalSeconds(first_input->timeline_end())
                : ""};
  }
  if (name == "output") return {OutputLocationOf(job)};
  if (name == "output_uri") {
    return {is_editing ? job.editing().output().uri() : ""};
  }
  if (name == "output_file_name") {
    return {is_editing ? job.editing().output().file_name() : ""};
  }
  if (name == "db_id") return {is_dna ? job.dna_analysis().db_id() : ""};
  if (name == "primary_key") {
    return {is_dna ? job.dna_analysis().primary_key() : ""};
  }
  if (name == "config_json") {
    return {is_dna ? job.dna_analysis().config_json() : ""};
  }
  if (name == "template_id") {
    return {is_dna ? job.dna_analysis().template_id() : ""};
  }
  return {""};  // unreachable: Parse() admits only the names above
}

}  // namespace

absl::StatusOr<CommandTemplate> CommandTemplate::Parse(absl::string_view text) {
  if (absl::StripAsciiWhitespace(text).empty()) {
    return absl::InvalidArgumentError("the command template is empty");
  }
  CommandTemplate parsed;
  parsed.text_ = std::string(text);
  std::string literal;
  size_t position = 0;
  while (position < text.size()) {
    const size_t open = text.find('{', position);
    if (open == text.npos) {
      absl::StrAppend(&literal, text.substr(position));
      break;
    }
    const size_t close = text.find('}', open + 1);
    const absl::string_view name =
        close == text.npos ? absl::string_view()
                           : text.substr(open + 1, close - open - 1);
    const bool after_dollar = open > 0 && text[open - 1] == '$';
    if (after_dollar || !IsPlaceholderLike(name)) {
      absl::StrAppend(&literal, text.substr(position, open + 1 - position));
      position = open + 1;
      continue;
    }
    if (!IsPlaceholderName(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown placeholder {", name, "} in the command template; known: {",
          absl::StrJoin(kPlaceholderNames, "} {"), "}"));
    }
    absl::StrAppend(&literal, text.substr(position, open - position));
    if (!literal.empty()) {
      parsed.pieces_.push_back(Piece{false, std::move(literal)});
      literal.clear();
    }
    parsed.pieces_.push_back(Piece{true, std::string(name)});
    position = close + 1;
  }
  if (!literal.empty()) parsed.pieces_.push_back(Piece{false, literal});
  return parsed;
}

absl::StatusOr<std::string> CommandTemplate::Expand(const v1::Job& job,
                                                    int attempt) const {
  std::string command;
  for (const Piece& piece : pieces_) {
    if (!piece.is_placeholder) {
      command += piece.text;
      continue;
    }
    std::vector<std::string> quoted;
    for (const std::string& value : ValuesOf(piece.text, job, attempt)) {
      if (value.find('\0') != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("the value of {", piece.text,
                         "} holds a NUL byte, which no shell argument can"));
      }
      quoted.push_back(ShellQuoted(value));
    }
    absl::StrAppend(&command, absl::StrJoin(quoted, " "));
  }
  return command;
}

std::string ShellQuoted(absl::string_view value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  quoted += '\'';
  return quoted;
}

std::string OutputLocationOf(const v1::Job& job) {
  if (!job.has_editing()) return "";
  const v1::OutputLocation& output = job.editing().output();
  if (output.file_name().empty()) return output.uri();
  if (output.uri().empty() || absl::EndsWith(output.uri(), "/")) {
    return absl::StrCat(output.uri(), output.file_name());
  }
  return absl::StrCat(output.uri(), "/", output.file_name());
}

std::string DecimalSeconds(const google::protobuf::Duration& duration) {
  // Seconds and nanos have the same sign in a valid Duration; take the
  // magnitudes so that a malformed one still prints something sensible.
  const bool negative = duration.seconds() < 0 || duration.nanos() < 0;
  const uint64_t seconds =
      duration.seconds() < 0
          ? static_cast<uint64_t>(-(duration.seconds() + 1)) + 1
          : static_cast<uint64_t>(duration.seconds());
  const int32_t nanos = std::abs(duration.nanos());
  std::string text = absl::StrCat(negative ? "-" : "", seconds);
  if (nanos != 0) {
    std::string fraction = absl::StrFormat("%09d", nanos);
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    absl::StrAppend(&text, ".", fraction);
  }
  return text;
}

}  // namespace jobcontrol
