#include "client/table_printer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace jobcontrol {
namespace {

// Width of `text` on a terminal, counted as UTF-8 code points (every byte
// that is not a continuation byte).
size_t DisplayWidth(const std::string& text) {
  return std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
}

}  // namespace

std::string EscapeControlCharacters(const std::string& cell) {
  const bool has_control = std::any_of(cell.begin(), cell.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (!has_control) return cell;
  std::string escaped;
  for (char c : cell) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      escaped += absl::CEscape(absl::string_view(&c, 1));
    } else {
      escaped += c;
    }
  }
  return escaped;
}

TablePrinter::TablePrinter(std::vector<std::string> header) {
  if (!header.empty()) AddRow(std::move(header));
}

void TablePrinter::AddRow(std::vector<std::string> cells) {
  for (std::string& cell : cells) cell = EscapeControlCharacters(cell);
  lines_.push_back(std::move(cells));
}

std::string TablePrinter::Render() const {
  std::vector<size_t> widths;
  for (const std::vector<std::string>& line : lines_) {
    if (line.size() > widths.size()) widths.resize(line.size(), 0);
    for (size_t column = 0; column < line.size(); ++column) {
      widths[column] = std::max(widths[column], DisplayWidth(line[column]));
    }
  }
  static const std::string kEmptyCell;
  std::string out;
  for (const std::vector<std::string>& line : lines_) {
    std::string text;
    for (size_t column = 0; column < widths.size(); ++column) {
      const std::string& cell =
          column < line.size() ? line[column] : kEmptyCell;
      text += cell;
      if (column + 1 < widths.size()) {
        text.append(widths[column] - DisplayWidth(cell) + 2, ' ');
      }
    }
    // Trailing empty cells would leave trailing blanks.
    text.erase(text.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, text, "\n");
  }
  return out;
}

}  // namespace jobcontrol
