// See config.h.
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "dump_retention.h"
#include "raw_log.h"

namespace leaktrack {
namespace {

bool EqualsIgnoreCase(const char* a, const char* b) {
  for (; *a && *b; ++a, ++b) {
    char x = (*a >= 'a' && *a <= 'z') ? *a - 32 : *a;
    char y = (*b >= 'a' && *b <= 'z') ? *b - 32 : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

// Parses a plain decimal number; stops at the first non-digit, returned in *end.
bool ParseDecimal(const char* text, uint64_t* out, const char** end) {
  uint64_t v = 0;
  const char* p = text;
  if (*p < '0' || *p > '9') return false;
  for (; *p >= '0' && *p <= '9'; ++p) {
    uint64_t digit = static_cast<uint64_t>(*p - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  *end = p;
  return true;
}

struct NamedSignal {
  const char* name;
  int number;
};
constexpr NamedSignal kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"XCPU", SIGXCPU}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},  {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

bool Acceptable(int sig) {
  // Fault signals and the uncatchable ones can never carry a dump request.
  switch (sig) {
    case SIGKILL: case SIGSTOP: case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE:
    case SIGABRT: case SIGTRAP:
      return false;
    default:
      return sig > 0 && sig < NSIG;
  }
}

constexpr size_t kDumpNameRoom = 64;  // "/.leaktrack.<pid>.<seq>.tmp" after the directory

// Copies a non-empty directory path that leaves room for a dump's name into `out`.
bool CopyDir(const char* path, char (&out)[512]) {
  size_t len = 0;
  while (path[len] != '\0') ++len;
  if (len == 0 || len >= sizeof(out) - kDumpNameRoom) return false;
  for (size_t i = 0; i <= len; ++i) out[i] = path[i];
  return true;
}

// The value of the setting `name`: from overrides when they list it, else from the environment.
const char* Setting(const char* overrides, const char* name) {
  const size_t length = strlen(name);
  for (const char* e = overrides; e != nullptr && *e != '\0'; e += strlen(e) + 1) {
    if (strncmp(e, name, length) == 0 && e[length] == '=') return e + length + 1;
  }
  return getenv(name);
}

}  // namespace

uint64_t RoundUpPow2(uint64_t v) {
  uint64_t p = 1;
  while (p < v && p < (1ull << 62)) p <<= 1;
  return p;
}

bool ParseSize(const char* text, uint64_t min, uint64_t max, uint64_t* out) {
  if (text == nullptr) return false;
  uint64_t v;
  const char* end;
  if (!ParseDecimal(text, &v, &end)) return false;
  uint64_t mult = 1;
  if (*end == 'k' || *end == 'K') mult = 1ull << 10, ++end;
  else if (*end == 'm' || *end == 'M') mult = 1ull << 20, ++end;
  else if (*end == 'g' || *end == 'G') mult = 1ull << 30, ++end;
  if (*end != '\0') return false;
  if (v != 0 && mult > UINT64_MAX / v) return false;
  v *= mult;
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

bool ParseSignal(const char* text, int* out) {
  if (text == nullptr || *text == '\0') return false;
  uint64_t n;
  const char* end;
  if (ParseDecimal(text, &n, &end)) {
    if (*end != '\0') return false;
    if (n == 0) return *out = 0, true;
    if (n >= NSIG || !Acceptable(static_cast<int>(n))) return false;
    *out = static_cast<int>(n);
    return true;
  }
  const char* name = text;
  if ((name[0] == 'S' || name[0] == 's') && (name[1] == 'I' || name[1] == 'i') &&
      (name[2] == 'G' || name[2] == 'g')) {
    name += 3;
  }
  for (const NamedSignal& s : kSignals) {
    if (EqualsIgnoreCase(name, s.name)) {
      if (!Acceptable(s.number)) return false;
      *out = s.number;
      return true;
    }
  }
  // RTMIN+N / RTMAX-N (and bare RTMIN / RTMAX).
  const bool is_min = (name[0] == 'R' || name[0] == 'r') && EqualsIgnoreCase(name, "RTMIN");
  const bool is_max = (name[0] == 'R' || name[0] == 'r') && EqualsIgnoreCase(name, "RTMAX");
  if (is_min || is_max) return *out = is_min ? SIGRTMIN : SIGRTMAX, true;
  char prefix[6];
  for (int i = 0; i < 5; ++i) {
    if (name[i] == '\0') return false;
    prefix[i] = name[i];
  }
  prefix[5] = '\0';
  const char sign = name[5];
  if (!ParseDecimal(name + 6, &n, &end) || *end != '\0') return false;
  int sig;
  if (EqualsIgnoreCase(prefix, "RTMIN") && sign == '+') sig = SIGRTMIN + static_cast<int>(n);
  else if (EqualsIgnoreCase(prefix, "RTMAX") && sign == '-') sig = SIGRTMAX - static_cast<int>(n);
  else return false;
  if (n > 64 || sig < SIGRTMIN || sig > SIGRTMAX) return false;
  *out = sig;
  return true;
}

bool ParseSeconds(const char* text, uint64_t* out_ms) {
  if (text == nullptr) return false;
  uint64_t whole;
  const char* end;
  if (!ParseDecimal(text, &whole, &end)) return false;
  uint64_t frac_ms = 0;
  if (*end == '.') {
    ++end;
    uint64_t scale = 100;
    if (*end < '0' || *end > '9') return false;
    for (; *end >= '0' && *end <= '9'; ++end) {
      frac_ms += static_cast<uint64_t>(*end - '0') * scale;
      scale /= 10;
    }
  }
  if (*end != '\0' || whole > 86400) return false;
  uint64_t ms = whole * 1000 + frac_ms;
  if (ms > 86400ull * 1000) return false;
  *out_ms = ms;
  return true;
}

bool ParseBool(const char* text, bool* out) {
  if (text == nullptr) return false;
  if (EqualsIgnoreCase(text, "1") || EqualsIgnoreCase(text, "true") ||
      EqualsIgnoreCase(text, "yes") || EqualsIgnoreCase(text, "on")) {
    return *out = true, true;
  }
  if (EqualsIgnoreCase(text, "0") || EqualsIgnoreCase(text, "false") ||
      EqualsIgnoreCase(text, "no") || EqualsIgnoreCase(text, "off")) {
    return *out = false, true;
  }
  return false;
}

void LoadConfig(Config* c, const char* overrides) {
  const char* v;
  uint64_t n;
  if ((v = Setting(overrides, "LEAKTRACK_RATE")) != nullptr) {
    if (ParseSize(v, 0, 1ull << 40, &n)) c->rate = n;
    else RawLog("invalid LEAKTRACK_RATE=\"%s\" (want bytes, e.g. 524288 or 512K); using %lu", v,
                static_cast<unsigned long>(c->rate));
  }
  if ((v = Setting(overrides, "LEAKTRACK_DEPTH")) != nullptr) {
    if (ParseSize(v, 1, kMaxDepth, &n)) c->depth = static_cast<int>(n);
    else RawLog("invalid LEAKTRACK_DEPTH=\"%s\" (want 1..%d); using %d", v, kMaxDepth, c->depth);
  }
  if ((v = Setting(overrides, "LEAKTRACK_SIGNAL")) != nullptr) {
    int sig;
    if (ParseSignal(v, &sig)) c->signal = sig;
    else RawLog("invalid LEAKTRACK_SIGNAL=\"%s\" (want e.g. USR2, RTMIN+3 or 0); using %d", v,
                c->signal);
  }
  if ((v = Setting(overrides, "LEAKTRACK_DIR")) != nullptr && !CopyDir(v, c->dir)) {
    RawLog("invalid LEAKTRACK_DIR (empty or longer than %zu bytes); using the working directory",
           sizeof(c->dir) - kDumpNameRoom);
  }
  // An odd TMPDIR (relative, too long) leaves /tmp, silently: it is not ours to judge.
  if ((v = Setting(overrides, "TMPDIR")) != nullptr && v[0] == '/') {
    (void)CopyDir(v, c->fallback_dir);
  }
  if ((v = Setting(overrides, "LEAKTRACK_INTERVAL")) != nullptr) {
    uint64_t ms;
    if (ParseSeconds(v, &ms) && (ms == 0 || ms >= 10)) c->interval_ms = ms;
    else RawLog("invalid LEAKTRACK_INTERVAL=\"%s\" (want seconds >= 0.01, e.g. 30 or 0.5); off", v);
  }
  if ((v = Setting(overrides, "LEAKTRACK_AT_EXIT")) != nullptr) {
    bool b;
    if (ParseBool(v, &b)) c->at_exit = b;
    else RawLog("invalid LEAKTRACK_AT_EXIT=\"%s\" (want 1 or 0); using 0", v);
  }
  if ((v = Setting(overrides, "LEAKTRACK_KEEP")) != nullptr) {
    // 1 would keep the first dump alone and remove each new one as soon as it is written.
    if (ParseSize(v, 0, kMaxKeptDumps, &n) && n != 1) c->keep = static_cast<uint32_t>(n);
    else RawLog("invalid LEAKTRACK_KEEP=\"%s\" (want 0 = all, or 2..%u); using %u", v,
                kMaxKeptDumps, c->keep);
  }
  if ((v = Setting(overrides, "LEAKTRACK_FOLLOW_EXEC")) != nullptr) {
    bool b;
    if (ParseBool(v, &b)) c->follow_exec = b;
    else RawLog("invalid LEAKTRACK_FOLLOW_EXEC=\"%s\" (want 1 or 0); using 1", v);
  }
  if ((v = Setting(overrides, "LEAKTRACK_MAX_LIVE")) != nullptr) {
    if (ParseSize(v, 1024, 1ull << 26, &n)) c->max_live = RoundUpPow2(n);
    else RawLog("invalid LEAKTRACK_MAX_LIVE=\"%s\" (want 1024..67108864); using %lu", v,
                static_cast<unsigned long>(c->max_live));
  }
  if ((v = Setting(overrides, "LEAKTRACK_MAX_STACKS")) != nullptr) {
    if (ParseSize(v, 256, 1ull << 19, &n)) c->max_stacks = RoundUpPow2(n);
    else RawLog("invalid LEAKTRACK_MAX_STACKS=\"%s\" (want 256..524288); using %lu", v,
                static_cast<unsigned long>(c->max_stacks));
  }
}

}  // namespace leaktrack
