// lt_make_raw_profile FIXTURE_OUTPUT OUT.pb.gz: writes the raw (recipe (a)) profile of a
// symbolizer fixture run, for the shell tests. Test-only.
#include <cstdio>

#include "symbolizer/gzip_io.h"
#include "tests/symbolizer/fixture_support.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: lt_make_raw_profile FIXTURE_OUTPUT OUT.pb.gz\n");
    return 2;
  }
  leaktrack::Result<leaktrack::FixtureOutput> out = leaktrack::ParseFixtureOutput(argv[1]);
  if (!out.ok()) {
    fprintf(stderr, "lt_make_raw_profile: %s\n", out.error().c_str());
    return 1;
  }
  leaktrack::Status s = leaktrack::SaveProfileFile(argv[2], leaktrack::BuildRawProfile(out.value()));
  if (!s.ok()) {
    fprintf(stderr, "lt_make_raw_profile: %s\n", s.error().c_str());
    return 1;
  }
  return 0;
}
