// The executable mappings of this process, with their build IDs, for the profile's Mapping table.
//
// Read from /proc/self/maps with raw open/read into caller-owned memory (an Arena), and build IDs
// read from each file with pread (from /proc/self/mem for a file deleted since it was mapped) —
// never by touching the mapped images, which another thread may dlclose meanwhile, and never
// through dl_iterate_phdr, whose loader lock a signal may have interrupted. Everything here is async-signal-safe and allocation-free. The line and note
// parsers are pure functions, fuzzed separately.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "internal_alloc.h"

namespace leaktrack {

struct MapsEntry {
  uint64_t start = 0;
  uint64_t limit = 0;
  uint64_t offset = 0;
  bool executable = false;
  const char* path = nullptr;  // points into the parsed text; not NUL-terminated
  size_t path_len = 0;         // " (deleted)" already stripped
  bool deleted = false;
};

// Parses one line of /proc/PID/maps (without the newline). False if it is malformed.
[[nodiscard]] bool ParseMapsLine(const char* line, size_t len, MapsEntry* out);

// Finds an NT_GNU_BUILD_ID note in a PT_NOTE segment's bytes and writes it as lowercase hex
// (NUL-terminated) into hex. False if there is none or hex is too small.
[[nodiscard]] bool FindBuildIdInNotes(const uint8_t* notes, size_t len, char* hex, size_t hex_cap);

struct Mapping {
  uint64_t start;
  uint64_t limit;
  uint64_t offset;
  char* path;      // NUL-terminated, in the arena
  char build_id[65];  // lowercase hex, "" when unknown
};

// Reads the executable mappings. The main executable's mappings come first (pprof shows
// mapping[0] as the profiled binary; PPROF.md §3); the rest are sorted by start address.
// Returns the count, or -1 on failure (with errno set).
int ReadExecutableMappings(Arena* arena, Mapping** out);

// Whether the page holding `address` is writable now: 1 yes, 0 no, -1 unknown (unmapped, or
// /proc/self/maps unreadable). Streams the file through 600 bytes of stack: no allocation.
int AddressWritable(uint64_t address);

// Reads the build ID of the ELF file at path into hex. Async-signal-safe.
bool ReadBuildIdFromFile(const char* path, char* hex, size_t hex_cap);

// Reads the build ID of the ELF image loaded with its offset-0 segment at `base`, from this
// process's memory through /proc/self/mem: for files deleted or replaced since they were
// mapped, whose path names another file or none (the symbolizer must not mistake the new
// binary for the old). An image unmapped meanwhile is a failed read, not a fault.
// Async-signal-safe.
bool ReadBuildIdFromMemory(uint64_t base, char* hex, size_t hex_cap);

}  // namespace leaktrack
