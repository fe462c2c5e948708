#include "server/gateway/form_decoding.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/gateway/percent_encoding.h"

namespace jobcontrol {
namespace gateway {

absl::StatusOr<ParamList> DecodeForm(absl::string_view encoded) {
  ParamList params;
  for (absl::string_view part : absl::StrSplit(encoded, '&')) {
    if (part.empty()) continue;
    const size_t equals = part.find('=');
    const absl::string_view raw_name = part.substr(0, equals);
    const absl::string_view raw_value = equals == absl::string_view::npos
                                            ? absl::string_view()
                                            : part.substr(equals + 1);
    auto name = PercentDecode(raw_name, /*plus_is_space=*/true);
    if (!name.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("a parameter name has ", name.status().message()));
    }
    if (name->empty()) {
      return absl::InvalidArgumentError("a parameter has an empty name");
    }
    if (!IsValidUtf8(*name)) {
      return absl::InvalidArgumentError("a parameter name is not valid UTF-8");
    }
    auto value = PercentDecode(raw_value, /*plus_is_space=*/true);
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter \"", *name, "\" has ", value.status().message()));
    }
    if (!IsValidUtf8(*value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter \"", *name, "\" is not valid UTF-8"));
    }
    params.emplace_back(*std::move(name), *std::move(value));
  }
  return params;
}

}  // namespace gateway
}  // namespace jobcontrol
