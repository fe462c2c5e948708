// JsonObject: builds one JSON object with keys in the order added, for the
// dialects' response bodies (vendor field order, integers as integers).
#ifndef JOBCONTROL_SERVER_GATEWAY_JSON_WRITER_H_
#define JOBCONTROL_SERVER_GATEWAY_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace jobcontrol {
namespace gateway {

// `text` as a JSON string literal: quotes, backslashes and control
// characters escaped; other bytes (UTF-8) passed through.
std::string JsonQuote(absl::string_view text);

class JsonObject {
 public:
  JsonObject& Add(absl::string_view key, absl::string_view value);
  JsonObject& AddInt(absl::string_view key, int64_t value);
  JsonObject& AddBool(absl::string_view key, bool value);
  JsonObject& AddObject(absl::string_view key, const JsonObject& value);
  JsonObject& AddArray(absl::string_view key,
                       const std::vector<JsonObject>& values);

  // "{...}"
  std::string Serialize() const;

 private:
  void AddRaw(absl::string_view key, absl::string_view json);
  std::string members_;
};

}  // namespace gateway
}  // namespace jobcontrol

#endif  // JOBCONTROL_SERVER_GATEWAY_JSON_WRITER_H_
