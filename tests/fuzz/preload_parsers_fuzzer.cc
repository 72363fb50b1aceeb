// libFuzzer target for every parser in preload/ that reads outside input: LEAKTRACK_* values
// (config.h), /proc/self/maps lines and ELF notes (proc_maps.h). The first byte picks the parser;
// the rest is its input. Each must terminate, stay in bounds and keep its output untouched on
// failure — the sanitizers check the first two, the asserts below the third.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <string>

#include "config.h"
#include "proc_maps.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 6;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);  // may hold NULs
  const char* s = text.c_str();
  using namespace leaktrack;
  switch (which) {
    case 0: {
      uint64_t v = 12345;
      if (!ParseSize(s, 1, 1ull << 40, &v) && v != 12345) abort();
      if (v < 1 || v > (1ull << 40)) abort();
      break;
    }
    case 1: {
      int sig = -7;
      if (ParseSignal(s, &sig) ? (sig < 0 || sig >= 65) : sig != -7) abort();
      break;
    }
    case 2: {
      uint64_t ms = 99;
      if (ParseSeconds(s, &ms) ? ms > 86400ull * 1000 : ms != 99) abort();
      break;
    }
    case 3: {
      bool b = true;
      (void)ParseBool(s, &b);
      break;
    }
    case 4: {
      MapsEntry e;
      if (ParseMapsLine(text.data(), text.size(), &e)) {
        if (e.limit < e.start) abort();
        if (e.path < text.data() || e.path + e.path_len > text.data() + text.size()) abort();
      }
      break;
    }
    case 5: {
      char hex[65];
      if (FindBuildIdInNotes(data + 1, size - 1, hex, sizeof(hex)) && strlen(hex) % 2 != 0) abort();
      break;
    }
  }
  return 0;
}
