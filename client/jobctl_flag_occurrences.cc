#include "client/jobctl_flag_occurrences.h"

#include <algorithm>

#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace jobcontrol {

absl::StatusOr<FlagOccurrences> FlagOccurrences::Scan(
    int argc, char** argv,
    const std::function<bool(const absl::CommandLineFlag&)>& accepts) {
  FlagOccurrences scanned;
  if (argc > 0) scanned.canonical_arguments_.emplace_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") {
      scanned.canonical_arguments_.insert(scanned.canonical_arguments_.end(),
                                          argv + i, argv + argc);
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {  // positional
      scanned.canonical_arguments_.emplace_back(arg);
      continue;
    }
    if (arg == "--help" || arg == "-help" || arg == "-h") {
      scanned.help_requested_ = true;
      continue;
    }
    absl::string_view text = arg.substr(absl::StartsWith(arg, "--") ? 2 : 1);
    absl::string_view name = text;
    absl::string_view value;
    bool has_value = false;
    if (const size_t equals = text.find('='); equals != text.npos) {
      name = text.substr(0, equals);
      value = text.substr(equals + 1);
      has_value = true;
    }

    // Every jobctl flag is spelled with '_'; "--allow-running" means it too.
    std::string underscored(name);
    std::replace(underscored.begin(), underscored.end(), '-', '_');
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(underscored);
    bool negated = false;
    if ((flag == nullptr || !accepts(*flag)) &&
        absl::StartsWith(underscored, "no")) {
      absl::CommandLineFlag* positive =
          absl::FindCommandLineFlag(absl::string_view(underscored).substr(2));
      if (positive != nullptr && accepts(*positive) &&
          positive->IsOfType<bool>()) {
        flag = positive;
        negated = true;
      }
    }
    if (flag == nullptr || !accepts(*flag)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }

    std::string flag_value;
    if (negated) {
      if (has_value) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " takes no value"));
      }
      flag_value = "false";
    } else if (has_value) {
      flag_value = std::string(value);
    } else if (flag->IsOfType<bool>()) {
      flag_value = "true";
    } else if (i + 1 < argc) {
      flag_value = argv[++i];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " needs a value"));
    }

    std::string error;
    if (!flag->ParseFrom(flag_value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad value \"", flag_value, "\" for --", flag->Name(), ": ", error));
    }
    scanned.canonical_arguments_.push_back(
        absl::StrCat("--", flag->Name(), "=", flag_value));
    scanned.occurrences_.emplace_back(std::string(flag->Name()),
                                      std::move(flag_value));
  }
  return scanned;
}

bool FlagOccurrences::Contains(absl::string_view name) const {
  return std::any_of(occurrences_.begin(), occurrences_.end(),
                     [name](const auto& entry) { return entry.first == name; });
}

std::vector<std::string> FlagOccurrences::ValuesOf(
    absl::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [flag, value] : occurrences_) {
    if (flag == name) values.push_back(value);
  }
  return values;
}

std::vector<std::string> FlagOccurrences::Names() const {
  std::vector<std::string> names;
  for (const auto& entry : occurrences_) {
    if (std::find(names.begin(), names.end(), entry.first) == names.end()) {
      names.push_back(entry.first);
    }
  }
  return names;
}

}  // namespace jobcontrol
