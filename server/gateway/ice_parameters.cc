#include "server/gateway/ice_parameters.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace jobcontrol {
namespace gateway {

std::optional<IceError> IceParameters::Decode(const HttpRequest& request,
                                              IceParameters* out) {
  auto query = DecodeForm(request.Query());
  if (!query.ok()) return IceMalformedRequest(query.status().message());
  ParamList body;
  if (!request.body.empty()) {
    if (request.method != "POST") {
      return IceMalformedRequest("a GET request must not have a body");
    }
    const std::string* type = request.FindHeader("content-type");
    if (type == nullptr ||
        !absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(*type),
                                    "application/x-www-form-urlencoded")) {
      return IceUnsupportedContentType(type == nullptr ? "" : *type);
    }
    auto decoded = DecodeForm(request.body);
    if (!decoded.ok()) return IceMalformedRequest(decoded.status().message());
    body = *std::move(decoded);
  }
  absl::flat_hash_set<std::string> seen;
  IceParameters params;
  params.query_ = *query;
  for (ParamList* list : {&*query, &body}) {
    for (auto& param : *list) {
      if (!seen.insert(param.first).second) {
        return IceInvalidParameter(param.first, "It is given more than once.");
      }
      params.all_.push_back(std::move(param));
    }
  }
  *out = std::move(params);
  return std::nullopt;
}

const std::string* IceParameters::Find(absl::string_view name) const {
  for (const auto& [key, value] : all_) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace gateway
}  // namespace jobcontrol
