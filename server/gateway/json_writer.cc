#include "server/gateway/json_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace jobcontrol {
namespace gateway {

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

void JsonObject::AddRaw(absl::string_view key, absl::string_view json) {
  if (!members_.empty()) members_.push_back(',');
  absl::StrAppend(&members_, JsonQuote(key), ":", json);
}

JsonObject& JsonObject::Add(absl::string_view key, absl::string_view value) {
  AddRaw(key, JsonQuote(value));
  return *this;
}

JsonObject& JsonObject::AddInt(absl::string_view key, int64_t value) {
  AddRaw(key, absl::StrCat(value));
  return *this;
}

JsonObject& JsonObject::AddBool(absl::string_view key, bool value) {
  AddRaw(key, value ? "true" : "false");
  return *this;
}

JsonObject& JsonObject::AddObject(absl::string_view key,
                                  const JsonObject& value) {
  AddRaw(key, value.Serialize());
  return *this;
}

JsonObject& JsonObject::AddArray(absl::string_view key,
                                 const std::vector<JsonObject>& values) {
  std::string array = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) array.push_back(',');
    array += values[i].Serialize();
  }
  array.push_back(']');
  AddRaw(key, array);
  return *this;
}

std::string JsonObject::Serialize() const {
  return absl::StrCat("{", members_, "}");
}

}  // namespace gateway
}  // namespace jobcontrol
