// Calling a function in one thread of another running process, as a debugger's "call f(x)"
// does (x86-64 Linux, ptrace). `leaktrack attach PID` uses it to make a service dlopen() the shim.
//
// Owns one ptrace attachment to one thread: only that thread stops; the process's other
// threads keep running. It must never leave the thread traced or with registers other than
// those it had when stopped, on any path, and it must never interrupt a call it started (a
// dlopen cut short would leave the loader lock held). Not thread-safe: ptrace belongs to the
// tracer thread, so Stop, Call and Release must all run on the same thread of ours.
//
// The protocol, and why each step is so:
//  - Stop: PTRACE_SEIZE (no signal of ours is ever sent) + PTRACE_INTERRUPT. A thread blocked in
//    a system call leaves it through the kernel's signal path with rax = -ERESTART*, and stops
//    before the restart logic runs (arch_do_signal_or_restart). Only such a thread, in one of
//    the caller's calls, is known to hold no lock a called function could need; the caller
//    picks calls made outside libc's and the program's locks (a read on a pipe, a poll).
//  - Call: fresh registers from the saved ones, with orig_rax = -1 and rax = 0, so the
//    kernel's restart logic, which is still to run when the thread resumes, leaves our call
//    alone (it acts on orig_rax >= 0 with rax = -ERESTART*: it would re-run the system call at
//    fn - 2); return address 0. The return faults at address 0; the SIGSEGV is seen as a
//    signal-delivery-stop and never delivered. Any other signal that arrives meanwhile is held
//    back (its handler would run in the middle of our call) and sent again by Release.
//  - Release: the saved registers and extended state go back, so the kernel's restart logic
//    sees the interrupted system call as it left it and re-runs it (restart_syscall for a
//    sleep or poll with a timeout, which keeps its deadline): the program sees nothing.
//
// Known limits, all refused or reported rather than risked:
//  - Returning to 0 needs SIGSEGV neither blocked in the thread nor ignored: the kernel forces
//    a fault signal through by resetting the process's disposition to SIG_DFL and unblocking it
//    (force_sig_info_to_task), a change we could not undo. Stop refuses such a thread, and one
//    with a CET shadow stack (its `ret` to 0 would not match the shadow stack).
//  - A held-back signal is sent again with tgkill: the handler sees SI_TKILL and our PID, not
//    the original sender's siginfo.
//  - The thread's kernel restart block cannot be saved. If a sleep of the called function is
//    itself interrupted during the call (seen at a stop), an interrupted sleep or poll of the
//    thread returns EINTR after Release instead of resuming; a called function that sleeps
//    (nanosleep) makes it return EINTR too, unnoticed. Calls like epoll_wait and sigtimedwait
//    return EINTR after any stop, ours included (signal(7)), as after `strace -p`.
//  - The called function may change the thread's errno and dlerror state; a caller that cares
//    saves errno itself (call __errno_location, then Read and Write).
//  - If the tracer dies during a call (SIGKILL cannot be blocked), the thread returns to 0 and
//    the process gets SIGSEGV. BlockedTerminationSignals covers the signals that can be.
#ifndef LEAKTRACK_TOOLS_REMOTE_CALL_H_
#define LEAKTRACK_TOOLS_REMOTE_CALL_H_

#include <signal.h>
#include <sys/types.h>
#include <sys/user.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace leaktrack {

// A thread of another process, stopped by ptrace inside a system call, in which we can run calls.
class RemoteThread {
 public:
  // PTRACE_SEIZE + PTRACE_INTERRUPT on thread `tid` of process `pid`, then waits for the stop
  // (no timeout: a thread in uninterruptible sleep, e.g. a vfork parent, stops when that ends).
  // Succeeds only if the thread is stopped inside, or right at the return of, one of
  // `allowed_syscalls` (orig_rax, with a `syscall` instruction just before rip), outside the
  // dynamic loader's code (mapping basename "ld-linux*": its lock may be held), in a 64-bit
  // process, with SIGSEGV usable (see above). Otherwise it detaches, having changed nothing, and
  // returns nullptr with *error set to a one-line reason and *retry to whether trying again later
  // may succeed (the thread was running, in another call, or had a signal to take first) or
  // not (no such thread; no permission, where the reason names CAP_SYS_PTRACE and
  // /proc/sys/kernel/yama/ptrace_scope; already traced; a 32-bit process).
  // A process of our own cannot be stopped (ptrace refuses its own thread group).
  static std::unique_ptr<RemoteThread> Stop(pid_t pid, pid_t tid,
                                            const std::vector<long>& allowed_syscalls,
                                            std::string* error, bool* retry);

  // Writes `size` bytes into the thread's stack below its 128-byte red zone and below anything
  // pushed before, 16-byte aligned; returns their address in the target (for a string
  // argument), or 0 on failure. At most kMaxPushBytes in all, to leave the stack to the call.
  uint64_t PushBytes(const void* data, size_t size);
  static constexpr size_t kMaxPushBytes = 16 * 1024;

  // Calls fn(args...) (up to 6 integer or pointer arguments, System V ABI) in the thread and
  // waits for it to return, however long that takes (no timeout: interrupting dlopen would leave
  // the loader lock held); *result = rax. Group-stops (SIGSTOP to the process) during the call
  // are continued through, so the call finishes and releases its locks; the thread joins the
  // stop at Release. Returns false with *error if the thread or process exits meanwhile (then
  // nothing else is possible), or if the function faults (then no further Call is allowed and
  // Release still restores the thread: what the function changed, e.g. a lock it took, stays).
  bool Call(uint64_t fn, const std::vector<uint64_t>& args, uint64_t* result, std::string* error);

  // Reads (or writes) memory of the process through /proc/PID/mem, else process_vm_readv
  // (writev). False unless all `size` bytes were transferred.
  bool Read(uint64_t addr, void* out, size_t size);
  bool Write(uint64_t addr, const void* data, size_t size);

  // Restores the general registers and the full extended state (NT_X86_XSTATE, else
  // NT_PRFPREG) saved at Stop, detaches, then sends the held-back signals again. Idempotent;
  // the destructor calls it. Does nothing but close files if the thread is gone.
  void Release();
  ~RemoteThread();

  RemoteThread(const RemoteThread&) = delete;
  RemoteThread& operator=(const RemoteThread&) = delete;

  pid_t pid() const { return pid_; }
  pid_t tid() const { return tid_; }
  // The registers at Stop: orig_rax is the interrupted call, rax its -ERESTART* code or result.
  const user_regs_struct& saved_regs() const { return saved_regs_; }

 private:
  RemoteThread(pid_t pid, pid_t tid) : pid_(pid), tid_(tid) {}
  // Checks the stopped thread and saves its state; on refusal fills *error and *retry.
  bool Inspect(const std::vector<long>& allowed_syscalls, std::string* error, bool* retry);
  // Resumes the thread until our return address faults; see Call.
  bool WaitForReturn(uint64_t call_sp, uint64_t* result, std::string* error);

  pid_t pid_;
  pid_t tid_;
  int mem_fd_ = -1;
  bool attached_ = true;   // traced by us; Release clears it
  bool gone_ = false;      // the thread exited or was lost while traced: no ptrace possible
  bool modified_ = false;  // registers or extended state were changed since Stop
  bool broken_ = false;    // a call faulted: no more calls
  bool restart_block_clobbered_ = false;  // see "restart block" above
  user_regs_struct saved_regs_{};
  int xstate_type_ = 0;  // NT_X86_XSTATE or NT_PRFPREG
  std::vector<uint8_t> xstate_;
  uint64_t stack_top_ = 0;  // lowest byte pushed so far (initially the red zone's end)
  std::vector<int> held_signals_;
};

// Blocks the signals that would kill us from a terminal, a service manager or a pipeline
// (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE) in the calling thread for its lifetime, so that
// the tracer is not killed between Stop and Release; the previous mask comes back at
// destruction and signals that came meanwhile are then delivered. Protects a single-threaded
// tracer only (another thread of ours could still take them).
class BlockedTerminationSignals {
 public:
  BlockedTerminationSignals();
  ~BlockedTerminationSignals();
  BlockedTerminationSignals(const BlockedTerminationSignals&) = delete;
  BlockedTerminationSignals& operator=(const BlockedTerminationSignals&) = delete;

 private:
  sigset_t old_mask_;
};

}  // namespace leaktrack

#endif  // LEAKTRACK_TOOLS_REMOTE_CALL_H_
