// `leaktrack symbolize IN [-o OUT] [--all-frames] [--debug-dir D]... [--sysroot D]`: raw dump
// -> symbolized profile.
//
// Owns the command-line surface only; the work is symbolizer/profile_rewriter (through
// NameProfile, which also folds standard-library frames: symbolizer/runtime_frames.h).
// Warnings about single mappings (missing binary, build-ID mismatch) go to stderr, one line
// each, and do not change the exit code: the output is still written, with those addresses
// left raw.
#include <unistd.h>

#include <cstdio>

#include "symbolizer/gzip_io.h"
#include "tools/cli.h"
#include "tools/commands.h"
#include "tools/profile_view.h"

namespace leaktrack {
namespace {

const char kHelp[] =
    "usage: leaktrack symbolize IN [-o OUT] [--all-frames] [--debug-dir DIR]... [--sysroot DIR]\n"
    "\n"
    "Adds function names, source files, line numbers and inlined frames to the raw heap\n"
    "dump IN, using each mapping's binary (checked by build ID) and its DWARF, separate debug\n"
    "files (DIR/.build-id/xx/rest.debug, /usr/lib/debug, .gnu_debuglink, then the debuginfod\n"
    "servers of DEBUGINFOD_URLS when it is set) or, without DWARF, the ELF symbol table. The\n"
    "result opens in go tool pprof without the binaries.\n"
    "Allocations made through the standard libraries (std::vector, std::string, strdup, Rust's\n"
    "Vec, String, HashMap) are charged to the program's function that called them, as Go's\n"
    "profiles never show its runtime.\n"
    "\n"
    "  -o OUT           output file (default: IN with .pb.gz replaced by .sym.pb.gz; '-' = stdout)\n"
    "  --all-frames     keep the standard libraries' frames at the allocating end of stacks\n"
    "  --debug-dir DIR  extra debug-file root, searched before /usr/lib/debug (repeatable)\n"
    "  --sysroot DIR    the profiled process's root (a container's, unpacked): its binaries\n"
    "                   are read as DIR/<path>, debug files also from DIR/usr/lib/debug; a\n"
    "                   binary missing there is taken from / if its build ID matches\n"
    "\n"
    "Mappings that cannot be symbolized stay raw; each is reported on one stderr line.\n"
    "Exit codes: 0 written, 1 bad input or unwritable output, 2 usage error.\n";

std::string DefaultOutput(const std::string& in) {
  const std::string kSuffix = ".pb.gz";
  std::string base = in;
  if (base.size() > kSuffix.size() &&
      base.compare(base.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0)
    base.resize(base.size() - kSuffix.size());
  return base + ".sym.pb.gz";
}

}  // namespace

int SymbolizeCommand(int argc, char** argv, int first) {
  const std::string kCmd = "symbolize";
  if (HelpRequested(argc, argv, first)) {
    fputs(kHelp, stdout);
    return kExitOk;
  }
  std::string in, out, value;
  NamingSources sources;
  bool all_frames = false;
  ArgReader args(argc, argv, first);
  while (!args.done()) {
    bool missing = false;
    std::string error;
    int code = kExitOk;
    if (ReadNamingOption(&args, &sources, &error, &code)) {
      if (!error.empty()) return Fail(kCmd, error, code);
    } else if (args.Option("-o", &value, &missing) || args.Option("--output", &value, &missing)) {
      if (missing) return Fail(kCmd, "-o needs a file name", kExitUsage);
      out = value;
    } else if (args.Flag("--all-frames")) {
      all_frames = true;
    } else if (args.Peek()[0] == '-' && args.Peek()[1] != '\0') {
      return Fail(kCmd, std::string("unknown option ") + args.Peek(), kExitUsage);
    } else if (in.empty()) {
      in = args.Next();
    } else {
      return Fail(kCmd, "more than one input file", kExitUsage);
    }
  }
  if (in.empty()) return Fail(kCmd, "missing input file (see --help)", kExitUsage);
  if (out.empty()) out = DefaultOutput(in);

  Result<Profile> profile = LoadProfileFile(in);
  if (!profile.ok()) return Fail(kCmd, profile.error());
  NameProfile(kCmd, &profile.value(), sources.debug_dirs, sources.source, /*fold=*/!all_frames);

  if (out == "-") {
    std::string data = Gzip(EncodeProfile(profile.value()));
    if (fwrite(data.data(), 1, data.size(), stdout) != data.size() || fflush(stdout) != 0)
      return Fail(kCmd, "write to stdout failed");
    return kExitOk;
  }
  Status s = SaveProfileFile(out, profile.value());
  if (!s.ok()) return Fail(kCmd, s.error());
  printf("%s\n", out.c_str());
  return kExitOk;
}

}  // namespace leaktrack
