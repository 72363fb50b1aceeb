// CLI plumbing shared by the subcommands (see cli.h).
#include "tools/cli.h"

#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace leaktrack {

int Fail(const std::string& command, const std::string& message, int code) {
  fprintf(stderr, "leaktrack %s: %s\n", command.c_str(), message.c_str());
  return code;
}

bool ArgReader::Option(const std::string& name, std::string* value, bool* missing) {
  if (done()) return false;
  std::string tok = argv_[i_];
  if (tok == name) {
    ++i_;
    if (done()) {
      *missing = true;
      return true;
    }
    *value = argv_[i_++];
    return true;
  }
  if (tok.rfind(name + "=", 0) == 0 && name.size() > 2) {
    ++i_;
    *value = tok.substr(name.size() + 1);
    return true;
  }
  return false;
}

bool ArgReader::Flag(const std::string& name) {
  if (done() || name != argv_[i_]) return false;
  ++i_;
  return true;
}

bool ParseUint(const std::string& s, uint64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

bool ParseSeconds(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  double v = strtod(s.c_str(), &end);
  if (*end != '\0' || !(v >= 0) || v > 1e7) return false;
  *out = v;
  return true;
}

bool ParseSignal(const std::string& in, int* signo) {
  std::string s = in.rfind("SIG", 0) == 0 ? in.substr(3) : in;
  uint64_t n;
  if (ParseUint(s, &n)) {
    if (n != 0 && (n >= static_cast<uint64_t>(NSIG) || n == SIGKILL || n == SIGSTOP)) return false;
    *signo = static_cast<int>(n);
    return true;
  }
  static const struct {
    const char* name;
    int signo;
  } kNames[] = {{"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"HUP", SIGHUP},
                {"PROF", SIGPROF}, {"URG", SIGURG},   {"WINCH", SIGWINCH}};
  for (const auto& e : kNames)
    if (s == e.name) {
      *signo = e.signo;
      return true;
    }
  if (s.rfind("RTMIN", 0) == 0) {
    uint64_t off = 0;
    if (s.size() > 5 && (s[5] != '+' || !ParseUint(s.substr(6), &off))) return false;
    if (SIGRTMIN + static_cast<int>(off) > SIGRTMAX || off > 64) return false;
    *signo = SIGRTMIN + static_cast<int>(off);
    return true;
  }
  return false;
}

std::string SignalName(int signo) {
  if (signo == SIGUSR1) return "SIGUSR1";
  if (signo == SIGUSR2) return "SIGUSR2";
  if (signo >= SIGRTMIN && signo <= SIGRTMAX)
    return "SIGRTMIN+" + std::to_string(signo - SIGRTMIN);
  const char* abbrev = sigabbrev_np(signo);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(signo);
}

bool HelpRequested(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    if (strcmp(argv[i], "--") == 0) return false;
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return true;
  }
  return false;
}

Result<std::string> SysrootArgument(const std::string& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return MakeError("--sysroot " + dir + " is not an existing directory");
  std::string root = dir;
  while (!root.empty() && root.back() == '/') root.pop_back();
  return root;
}

}  // namespace leaktrack
