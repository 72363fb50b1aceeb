// libFuzzer target for the profile reader: gunzip (when the input looks gzipped) and decode.
// Any input must produce either a valid profile or an error message, never a crash, and a
// decoded profile must re-encode to something that decodes again.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "symbolizer/gzip_io.h"
#include "symbolizer/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (leaktrack::LooksGzipped(bytes)) {
    leaktrack::Result<std::string> raw = leaktrack::Gunzip(bytes, size_t{64} << 20);
    if (!raw.ok()) return 0;
    bytes = std::move(raw).value();
  }
  leaktrack::Result<leaktrack::Profile> p = leaktrack::DecodeProfile(bytes);
  if (!p.ok()) return 0;
  if (!leaktrack::ValidateProfile(p.value()).ok()) abort();
  if (!leaktrack::DecodeProfile(leaktrack::EncodeProfile(p.value())).ok()) abort();
  return 0;
}
