// Runs a libFuzzer target (LLVMFuzzerTestOneInput) over every file of the
// corpus directories given as arguments, so fuzz targets also run as plain
// ctest tests with any compiler. A crash, sanitizer report or abort fails the
// test; building with -DJOBCONTROL_LIBFUZZER=ON (clang) fuzzes for real.
#include <dirent.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  int inputs = 0;
  for (int i = 1; i < argc; ++i) {
    DIR* dir = opendir(argv[i]);
    if (dir == nullptr) {
      std::fprintf(stderr, "cannot open corpus directory %s\n", argv[i]);
      return 1;
    }
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      const std::string path = std::string(argv[i]) + "/" + entry->d_name;
      std::ifstream in(path, std::ios::binary);
      std::stringstream content;
      content << in.rdbuf();
      const std::string bytes = content.str();
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                             bytes.size());
      ++inputs;
    }
    closedir(dir);
  }
  std::printf("ran %d corpus inputs\n", inputs);
  return inputs > 0 ? 0 : 1;
}
