// The shim's configuration: LEAKTRACK_* environment variables, parsed once at start-up.
//
// The parsers are pure functions over C strings (no allocation, no libc locale), so they are
// unit-tested and fuzzed directly. A bad value is reported by the caller in one line and the
// default is kept: the target program must never fail because of our configuration.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace leaktrack {

struct Config {
  uint64_t rate = 524288;            // LEAKTRACK_RATE: mean bytes between samples; 1 = all, 0 = off
  int depth = 64;                    // LEAKTRACK_DEPTH: max frames kept per stack (1..256)
  int signal = 12;                   // LEAKTRACK_SIGNAL: dump signal number; 0 = none (SIGUSR2)
  char dir[512] = "";                // LEAKTRACK_DIR: dump directory; "" = working directory
  char fallback_dir[512] = "/tmp";   // $TMPDIR, else /tmp: where dumps go when dir is "" and
                                     // the working directory cannot take them
  uint64_t interval_ms = 0;          // LEAKTRACK_INTERVAL (seconds, fractions allowed); 0 = off
  bool at_exit = false;              // LEAKTRACK_AT_EXIT
  uint32_t keep = 100;               // LEAKTRACK_KEEP: dumps kept (dump_retention.h); 0 = all
  uint64_t max_live = 1u << 17;      // LEAKTRACK_MAX_LIVE: live sampled allocations (power of 2)
  uint64_t max_stacks = 1u << 14;    // LEAKTRACK_MAX_STACKS: distinct stacks (power of 2)
  bool follow_exec = true;           // LEAKTRACK_FOLLOW_EXEC: 0 = programs we exec do not load us
};

constexpr int kMaxDepth = 256;

// Each parser returns false (leaving *out untouched) when text is not a valid value.
// Sizes accept a decimal number with an optional K/M/G suffix (powers of 1024).
[[nodiscard]] bool ParseSize(const char* text, uint64_t min, uint64_t max, uint64_t* out);
// Signals accept a number, a name with or without "SIG" (USR1, USR2, HUP, ...), RTMIN+N,
// RTMAX-N, or 0 for none. SIGKILL/SIGSTOP and the synchronous fault signals are rejected.
[[nodiscard]] bool ParseSignal(const char* text, int* out);
// Seconds with an optional fraction ("0.1", "30"), at most one day, stored as milliseconds.
[[nodiscard]] bool ParseSeconds(const char* text, uint64_t* out_ms);
[[nodiscard]] bool ParseBool(const char* text, bool* out);

// Reads every LEAKTRACK_* variable through getenv (which does not allocate). Problems are logged
// one line each; the default stays. Not signal-safe; call during initialisation only.
// `overrides`, when not null, are settings that win over the environment's, as
// `leaktrack attach --rate ...` gives them (a running process's environment is not ours to
// change): "NAME=VALUE" entries, each ending in a NUL, the list ending in an empty one.
void LoadConfig(Config* config, const char* overrides = nullptr);

// Rounds v up to a power of two (v >= 1).
uint64_t RoundUpPow2(uint64_t v);

}  // namespace leaktrack
