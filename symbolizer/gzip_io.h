// File and gzip I/O for profiles: read a whole file, gunzip, gzip, and replace a file atomically.
//
// Owns the "never a half-written output" rule: WriteFileAtomic writes a temp file in the target
// directory, fsyncs it and renames it over the destination, removing the temp on any failure.
// Also owns LoadProfileFile/SaveProfileFile, the one way tools read and write profiles.
#ifndef LEAKTRACK_SYMBOLIZER_GZIP_IO_H_
#define LEAKTRACK_SYMBOLIZER_GZIP_IO_H_

#include <string>
#include <string_view>

#include "symbolizer/profile.h"
#include "symbolizer/result.h"

namespace leaktrack {

Result<std::string> ReadWholeFile(const std::string& path);

bool LooksGzipped(std::string_view data);

// Inflates a complete gzip stream (concatenated members allowed). A stream that ends early is
// an error ("truncated gzip data"), never a silently short result. `max_output` bounds memory.
Result<std::string> Gunzip(std::string_view data, size_t max_output = size_t{4} << 30);

std::string Gzip(std::string_view data);

// Writes `data` to `path` via a temp file + rename. `mode` is applied to the new file.
Status WriteFileAtomic(const std::string& path, std::string_view data, unsigned mode = 0644);

// Reads a gzipped or plain profile.proto file; errors are prefixed with the path.
Result<Profile> LoadProfileFile(const std::string& path);

// Gzips and atomically writes `profile` to `path`.
Status SaveProfileFile(const std::string& path, const Profile& profile);

}  // namespace leaktrack

#endif  // LEAKTRACK_SYMBOLIZER_GZIP_IO_H_
