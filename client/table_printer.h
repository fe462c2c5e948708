// TablePrinter: renders rows of text cells as left-aligned columns whose
// widths come from their content, the way `jobctl list` prints jobs.
#ifndef JOBCONTROL_CLIENT_TABLE_PRINTER_H_
#define JOBCONTROL_CLIENT_TABLE_PRINTER_H_

#include <string>
#include <vector>

namespace jobcontrol {

// Usage:
//   TablePrinter table({"ID", "STATE"});
//   table.AddRow({"5f2c...", "QUEUED"});
//   std::cout << table.Render();
//
// Each column is as wide as its widest cell (header included), measured in
// UTF-8 code points; columns are separated by two spaces and the last column
// is not padded. Control characters in cells are shown escaped (\n, \t, \x01)
// so that one row is always one line. Not thread-safe.
class TablePrinter {
 public:
  // `header` is the first line; an empty header prints no header line (a
  // key/value view is a headerless two-column table).
  explicit TablePrinter(std::vector<std::string> header);

  // Adds a row. Rows shorter than the widest row are padded with empty
  // cells.
  void AddRow(std::vector<std::string> cells);

  // The header and rows, one line each, every line ending in '\n'. Empty if
  // there is neither a header nor a row.
  std::string Render() const;

 private:
  std::vector<std::vector<std::string>> lines_;  // header first, if any
};

// `text` with every ASCII control character C-escaped ("a\nb" -> "a\\nb"),
// so that it prints as one line.
std::string EscapeControlCharacters(const std::string& text);

}  // namespace jobcontrol

#endif  // JOBCONTROL_CLIENT_TABLE_PRINTER_H_
