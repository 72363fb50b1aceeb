// Calling a function in a stopped thread of another process (see remote_call.h for the
// protocol and its limits).
#include "tools/remote_call.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "symbolizer/gzip_io.h"
#include "tools/cli.h"
#include "tools/process_maps.h"

namespace leaktrack {
namespace {

// A system call cut short by a signal or a ptrace stop returns -ERESTARTSYS (512),
// -ERESTARTNOINTR (513), -ERESTARTNOHAND (514) or -ERESTART_RESTARTBLOCK (516)
// (include/linux/errno.h, not exported to user space); the return to user mode turns them into
// a restart unless a handler runs (arch_do_signal_or_restart), so they never reach the program.
// The last restarts as restart_syscall(2), which runs the thread's kernel restart block.
constexpr long kErestartRestartBlock = 516;

constexpr unsigned long long kUserCs64 = 0x33;          // __USER_CS: a 64-bit process
constexpr unsigned long long kDirectionFlag = 1 << 10;  // EFLAGS.DF, clear at any call (ABI)
constexpr size_t kRedZone = 128;
// Larger than any XSAVE area (about 11 KB with AMX): GETREGSET shortens it to the real size,
// which SETREGSET then requires exactly.
constexpr size_t kXstateCapacity = 64 * 1024;

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string Errno(const char* what, int e) { return std::string(what) + ": " + strerror(e); }

// A /proc file's text, "" if unreadable.
std::string ReadProcFile(const std::string& path) {
  Result<std::string> text = ReadWholeFile(path);
  return text.ok() ? text.value() : "";
}

// The value after "<key>:" in a /proc status text, without leading blanks ("" if absent).
std::string StatusField(const std::string& status, const std::string& key) {
  const size_t at = status.find("\n" + key + ":");
  if (at == std::string::npos) return "";
  size_t from = at + key.size() + 2;
  while (from < status.size() && (status[from] == ' ' || status[from] == '\t')) ++from;
  return status.substr(from, status.find('\n', from) - from);
}

// Whether signal `signo` is set in a SigBlk/SigIgn-style hex mask.
bool MaskHas(const std::string& hex_mask, int signo) {
  return (strtoull(hex_mask.c_str(), nullptr, 16) >> (signo - 1)) & 1;
}

// /proc/PID/task/TID: the thread's own view of the process, which holds when the main thread
// (whose /proc/PID is) has exited.
std::string TaskDir(pid_t pid, pid_t tid) {
  return "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid);
}

// The path of the mapping that holds `addr` ("" if anonymous or not found), as thread `tid` of
// `pid` sees the process.
std::string MappingPath(pid_t pid, pid_t tid, uint64_t addr) {
  const std::vector<MapsLine> maps = ParseProcMaps(ReadProcFile(TaskDir(pid, tid) + "/maps"));
  const MapsLine* m = MappingAt(maps, addr);
  return m != nullptr ? m->path : "";
}

// A stop that ends the call: the signal a fault raises in the thread itself (si_code > 0 is
// the kernel's doing; kill, tgkill and sigqueue give <= 0). Continuing past it with signal 0
// would re-run the faulting instruction forever.
bool IsFault(int sig, const siginfo_t& si) {
  const bool synchronous = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
                           sig == SIGTRAP || sig == SIGSYS;
  return synchronous && si.si_code > 0;
}

pid_t WaitForThread(pid_t tid, int* status) {
  pid_t r;
  do r = waitpid(tid, status, __WALL);  // __WALL: a thread is not a child in waitpid's sense
  while (r < 0 && errno == EINTR);
  return r;
}

}  // namespace

std::unique_ptr<RemoteThread> RemoteThread::Stop(pid_t pid, pid_t tid,
                                                 const std::vector<long>& allowed_syscalls,
                                                 std::string* error, bool* retry) {
  *retry = false;
  const std::string task = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid);
  const std::string thread = "thread " + std::to_string(tid) + " of process " + std::to_string(pid);
  // The tid alone could name a thread of another process.
  if (access(task.c_str(), F_OK) != 0 && errno == ENOENT) {
    *error = "no such thread: " + thread;
    return nullptr;
  }
  if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
    const int e = errno;
    const std::string tracer = StatusField(ReadProcFile(task + "/status"), "TracerPid");
    if (e == ESRCH) {
      *error = "no such thread: " + thread;
    } else if (e == EPERM && !tracer.empty() && tracer != "0") {
      *error = thread + " is already traced by process " + tracer + " (a debugger?)";
    } else if (e == EPERM) {
      *error = "not permitted to ptrace " + thread + ": run as root (CAP_SYS_PTRACE), " +
               "or as its user with /proc/sys/kernel/yama/ptrace_scope set to 0";
    } else {
      *error = Errno(("ptrace(PTRACE_SEIZE) of " + thread).c_str(), e);
    }
    return nullptr;
  }
  // Seized: from here on every path that sees the thread stopped detaches it. INTERRUPT and
  // waitpid fail only for a thread already gone, which cannot be detached.
  if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
    *error = Errno(("ptrace(PTRACE_INTERRUPT) of " + thread).c_str(), errno);
    return nullptr;
  }
  int status = 0;
  if (WaitForThread(tid, &status) < 0) {
    *error = Errno(("waitpid for " + thread).c_str(), errno);
    return nullptr;
  }
  if (WIFEXITED(status) || WIFSIGNALED(status)) {
    *error = thread + " exited";
    return nullptr;
  }
  const int sig = WSTOPSIG(status);
  if (status >> 16 != PTRACE_EVENT_STOP) {
    // A signal-delivery-stop came before our interrupt: hand the signal over as if we had never
    // looked; its handler may be running for a while, so the caller tries again later.
    ptrace(PTRACE_DETACH, tid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
    *error = thread + " was taking " + SignalName(sig) + "; try again";
    *retry = true;
    return nullptr;
  }
  if (sig != SIGTRAP) {
    // A group-stop: detaching leaves the thread in it (__ptrace_unlink re-arms the stop).
    ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
    *error = "process " + std::to_string(pid) + " is stopped (" + SignalName(sig) +
             "): continue it first";
    *retry = true;
    return nullptr;
  }
  std::unique_ptr<RemoteThread> stopped(new RemoteThread(pid, tid));
  if (!stopped->Inspect(allowed_syscalls, error, retry)) {
    stopped->Release();  // nothing was changed: this only detaches
    return nullptr;
  }
  return stopped;
}

bool RemoteThread::Inspect(const std::vector<long>& allowed_syscalls, std::string* error,
                           bool* retry) {
  const std::string thread = "thread " + std::to_string(tid_);
  *retry = false;
  mem_fd_ = open((TaskDir(pid_, tid_) + "/mem").c_str(), O_RDWR | O_CLOEXEC);
  if (ptrace(PTRACE_GETREGS, tid_, nullptr, &saved_regs_) != 0) {
    *error = Errno(("ptrace(PTRACE_GETREGS) of " + thread).c_str(), errno);
    return false;
  }
  const user_regs_struct& regs = saved_regs_;
  if (regs.cs != kUserCs64) {
    *error = "process " + std::to_string(pid_) + " is not a 64-bit process";
    return false;
  }
  // orig_rax >= 0 only at a stop on the way out of a system call: any other kernel entry (an
  // interrupt, a fault) sets it to -1. The `syscall` before rip is what a restart re-runs.
  const long nr = static_cast<long>(regs.orig_rax);
  unsigned char insn[2] = {0, 0};
  const bool after_syscall = Read(regs.rip - 2, insn, 2) && insn[0] == 0x0f && insn[1] == 0x05;
  const bool allowed = nr >= 0 && std::find(allowed_syscalls.begin(), allowed_syscalls.end(), nr) !=
                                      allowed_syscalls.end();
  if (!allowed || !after_syscall) {
    *error = nr < 0 || !after_syscall
                 ? thread + " is running (at " + Hex(regs.rip) + "), not waiting in a system call"
                 : thread + " is in system call " + std::to_string(nr) + ", not an allowed one";
    *retry = true;
    return false;
  }
  const std::string code = MappingPath(pid_, tid_, regs.rip);
  if (code.substr(code.rfind('/') + 1).rfind("ld-linux", 0) == 0) {
    *error = thread + " is in the dynamic loader (" + code + "), which may hold its lock";
    *retry = true;
    return false;
  }
  const std::string status =
      ReadProcFile("/proc/" + std::to_string(pid_) + "/task/" + std::to_string(tid_) + "/status");
  if (MaskHas(StatusField(status, "SigBlk"), SIGSEGV) ||
      MaskHas(StatusField(status, "SigIgn"), SIGSEGV)) {
    *error = thread + " blocks or ignores SIGSEGV, which a call's return would reset";
    return false;
  }
  if (StatusField(status, "x86_Thread_features").find("shstk") != std::string::npos) {
    *error = thread + " has a shadow stack (CET), which calls into it do not support";
    return false;
  }
  xstate_.resize(kXstateCapacity);
  iovec iov{xstate_.data(), xstate_.size()};
  xstate_type_ = NT_X86_XSTATE;
  if (ptrace(PTRACE_GETREGSET, tid_, reinterpret_cast<void*>(NT_X86_XSTATE), &iov) != 0) {
    // No XSAVE (ENODEV): the FXSAVE area holds all the state there is.
    xstate_.resize(sizeof(user_fpregs_struct));
    iov = {xstate_.data(), xstate_.size()};
    xstate_type_ = NT_PRFPREG;
    if (ptrace(PTRACE_GETREGSET, tid_, reinterpret_cast<void*>(NT_PRFPREG), &iov) != 0) {
      *error = Errno(("cannot save the floating-point state of " + thread).c_str(), errno);
      return false;
    }
  }
  xstate_.resize(iov.iov_len);
  stack_top_ = regs.rsp - kRedZone;
  return true;
}

uint64_t RemoteThread::PushBytes(const void* data, size_t size) {
  const uint64_t red_zone_end = saved_regs_.rsp - kRedZone;
  if (!attached_ || gone_ || size > kMaxPushBytes) return 0;
  const uint64_t at = (stack_top_ - size) & ~uint64_t{15};
  if (red_zone_end - at > kMaxPushBytes || !Write(at, data, size)) return 0;
  stack_top_ = at;
  return at;
}

bool RemoteThread::Call(uint64_t fn, const std::vector<uint64_t>& args, uint64_t* result,
                        std::string* error) {
  if (!attached_ || gone_) {
    *error = "the thread is no longer stopped";
    return false;
  }
  if (broken_) {
    *error = "an earlier call faulted: no more calls";
    return false;
  }
  if (args.size() > 6) {
    *error = "more than 6 arguments";
    return false;
  }
  // At entry (rsp + 8) % 16 == 0, and [rsp] is the return address 0.
  const uint64_t sp = (stack_top_ & ~uint64_t{15}) - 8;
  const uint64_t zero = 0;
  if (!Write(sp, &zero, sizeof zero)) {
    *error = "cannot write the thread's stack at " + Hex(sp);
    return false;
  }
  user_regs_struct regs = saved_regs_;
  regs.rsp = sp;
  regs.rip = fn;
  regs.rax = 0;           // also the vector-register count of a variadic callee
  regs.orig_rax = ~0ULL;  // -1: not in a system call, so no restart is applied to our call
  regs.eflags &= ~kDirectionFlag;
  unsigned long long* const arg_regs[] = {&regs.rdi, &regs.rsi, &regs.rdx,
                                          &regs.rcx, &regs.r8,  &regs.r9};
  for (size_t i = 0; i < args.size(); ++i) *arg_regs[i] = args[i];
  modified_ = true;
  if (ptrace(PTRACE_SETREGS, tid_, nullptr, &regs) != 0 ||
      ptrace(PTRACE_CONT, tid_, nullptr, nullptr) != 0) {
    // ESRCH: killed since its last stop; its exit is waited for below. Anything else leaves
    // it stopped, and Release puts back what SETREGS may have changed.
    if (errno != ESRCH) {
      *error = Errno("ptrace(PTRACE_SETREGS/CONT)", errno);
      return false;
    }
  }
  return WaitForReturn(sp, result, error);
}

bool RemoteThread::WaitForReturn(uint64_t call_sp, uint64_t* result, std::string* error) {
  for (;;) {
    int status = 0;
    if (WaitForThread(tid_, &status) < 0) {
      gone_ = true;
      *error = Errno("lost the thread during the call: waitpid", errno);
      return false;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      gone_ = true;  // and reaped by that wait
      *error = WIFEXITED(status) ? "the thread exited during the call (status " +
                                       std::to_string(WEXITSTATUS(status)) + ")"
                                 : "the process was killed by " + SignalName(WTERMSIG(status)) +
                                       " during the call";
      return false;
    }
    if (!WIFSTOPPED(status)) continue;
    const int sig = WSTOPSIG(status);
    user_regs_struct regs;
    // GETREGS fails only if the thread was killed since it stopped; its exit comes next.
    if (ptrace(PTRACE_GETREGS, tid_, nullptr, &regs) != 0) continue;
    // One of the function's own system calls was cut short with a restart block: the block it
    // set replaced the thread's own (see remote_call.h).
    if (static_cast<long>(regs.orig_rax) >= 0 &&
        static_cast<long>(regs.rax) == -kErestartRestartBlock) {
      restart_block_clobbered_ = true;
    }
    if (status >> 16 == 0) {  // a signal-delivery-stop
      if (sig == SIGSEGV && regs.rip == 0 && regs.rsp == call_sp + 8) {
        *result = regs.rax;  // our return; the SIGSEGV is dropped by the next resume or detach
        return true;
      }
      siginfo_t si{};
      if (ptrace(PTRACE_GETSIGINFO, tid_, nullptr, &si) == 0 && IsFault(sig, si)) {
        broken_ = true;
        *error = "the called function got " + SignalName(sig) + " at " + Hex(regs.rip) +
                 " (address " + Hex(reinterpret_cast<uint64_t>(si.si_addr)) + ")";
        return false;
      }
      held_signals_.push_back(sig);  // its handler would run inside our call
    }
    // Otherwise a PTRACE_EVENT_STOP: a group-stop (SIGSTOP to the process) is continued
    // through rather than listened to, so the call can finish and release its locks; the
    // thread joins the stop when detached.
    ptrace(PTRACE_CONT, tid_, nullptr, nullptr);  // fails only if killed: its exit comes next
  }
}

bool RemoteThread::Read(uint64_t addr, void* out, size_t size) {
  if (!attached_ || gone_) return false;
  if (mem_fd_ >= 0 &&
      pread(mem_fd_, out, size, static_cast<off_t>(addr)) == static_cast<ssize_t>(size)) {
    return true;
  }
  iovec local{out, size};
  iovec remote{reinterpret_cast<void*>(addr), size};
  return process_vm_readv(pid_, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

bool RemoteThread::Write(uint64_t addr, const void* data, size_t size) {
  if (!attached_ || gone_) return false;
  if (mem_fd_ >= 0 &&
      pwrite(mem_fd_, data, size, static_cast<off_t>(addr)) == static_cast<ssize_t>(size)) {
    return true;
  }
  iovec local{const_cast<void*>(data), size};
  iovec remote{reinterpret_cast<void*>(addr), size};
  return process_vm_writev(pid_, &local, 1, &remote, 1, 0) == static_cast<ssize_t>(size);
}

void RemoteThread::Release() {
  if (!attached_) return;
  if (!gone_) {
    if (modified_) {
      user_regs_struct regs = saved_regs_;
      // A restart_syscall now would run the called function's restart block: EINTR instead,
      // which a sleep or poll may return anyway.
      if (restart_block_clobbered_ && static_cast<long>(regs.rax) == -kErestartRestartBlock) {
        regs.rax = static_cast<unsigned long long>(-EINTR);
      }
      iovec iov{xstate_.data(), xstate_.size()};
      ptrace(PTRACE_SETREGSET, tid_, reinterpret_cast<void*>(static_cast<long>(xstate_type_)),
             &iov);
      ptrace(PTRACE_SETREGS, tid_, nullptr, &regs);
    }
    // From a signal-delivery-stop (our SIGSEGV, or a fault) data 0 drops the signal. The
    // kernel then restarts the interrupted call from the restored rax/orig_rax/rip.
    if (ptrace(PTRACE_DETACH, tid_, nullptr, nullptr) == 0) {
      for (int sig : held_signals_) syscall(SYS_tgkill, pid_, tid_, sig);
    } else {
      // Killed since its last stop: reap it if it is done, so its process can finish exiting.
      int status;
      waitpid(tid_, &status, __WALL | WNOHANG);
    }
  }
  attached_ = false;
  held_signals_.clear();
  if (mem_fd_ >= 0) close(mem_fd_);
  mem_fd_ = -1;
}

RemoteThread::~RemoteThread() { Release(); }

BlockedTerminationSignals::BlockedTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
}

BlockedTerminationSignals::~BlockedTerminationSignals() {
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace leaktrack
