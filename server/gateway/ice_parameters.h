// IceParameters: the parameters of one ICE RPC-style request, from the URL
// query and, for POST, an application/x-www-form-urlencoded body, merged.
#ifndef JOBCONTROL_SERVER_GATEWAY_ICE_PARAMETERS_H_
#define JOBCONTROL_SERVER_GATEWAY_ICE_PARAMETERS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "server/gateway/form_decoding.h"
#include "server/gateway/http_message.h"
#include "server/gateway/ice_errors.h"

namespace jobcontrol {
namespace gateway {

class IceParameters {
 public:
  // Decodes `request`'s parameters into `*out`, or returns the error to
  // answer: InvalidParameter for malformed percent-encoding, invalid UTF-8, a
  // parameter given twice (also once in the query and once in the body) or a
  // body on GET; UnsupportedMediaType (415) for a non-empty body of another
  // content type.
  static std::optional<IceError> Decode(const HttpRequest& request,
                                        IceParameters* out);

  // The value of `name`, or nullptr.
  const std::string* Find(absl::string_view name) const;
  // Query and body parameters together (what signature V1 signs).
  const ParamList& all() const { return all_; }
  // The query parameters only (what signature V3 signs).
  const ParamList& query() const { return query_; }

 private:
  ParamList all_;
  ParamList query_;
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_ICE_PARAMETERS_H_
