// H1: a Rust program under the shim (built with rustc directly, no cargo, no crates). Rust std
// allocates with malloc/realloc/free, over-aligned types with posix_memalign/aligned_alloc,
// unwinds panics through libgcc_s, spawns children with posix_spawn or fork+exec, and installs
// SIGSEGV/SIGBUS handlers on a sigaltstack to report stack overflows. The program runs:
//   - Vec/String churn in 8 threads, each also catching a panic (catch_unwind) per round;
//   - a Box of a #[repr(align(4096))] type (and a Vec of them) - alignment checked;
//   - std::process::Command running /bin/true 100 times;
//   - itself as a child with "overflow": unbounded recursion must still end with Rust's
//     "has overflowed its stack" message and SIGABRT, exactly as in the baseline.
// Output is deterministic (counts and checksums only; the panic hook is silenced so stderr
// carries no thread-ordered panic messages). Expected: identical output and exit status.
use std::os::unix::process::ExitStatusExt;
use std::panic;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

static PANICS_SEEN: AtomicUsize = AtomicUsize::new(0);

#[repr(align(4096))]
struct Page {
    bytes: [u8; 4096],
}

// Keeps a value observable so the optimiser cannot drop the allocation.
fn sink<T>(v: &T) -> u8 {
    unsafe { std::ptr::read_volatile(v as *const T as *const u8) }
}

fn churn(id: usize) -> (u64, usize) {
    let mut sum: u64 = 0;
    let mut caught = 0;
    for round in 0..200 {
        let mut v: Vec<u64> = Vec::new();
        for i in 0..(round % 50 + 1) * 20 {
            v.push((i * id) as u64);
        }
        v.shrink_to_fit();
        let mut s = String::new();
        for i in 0..round % 30 {
            s.push_str(&format!("{}-{};", id, i));
        }
        let words: Vec<String> = s.split(';').map(|w| w.to_uppercase()).collect();
        sum += v.iter().sum::<u64>() + words.iter().map(|w| w.len() as u64).sum::<u64>();
        sum += sink(&v) as u64 * 0;
        let r = panic::catch_unwind(|| {
            let b = vec![round as u8; 100 + round];
            if round % 10 == 0 {
                panic!("thread {} round {}: {}", id, round, b.len());
            }
            b.len()
        });
        match r {
            Ok(n) => sum += n as u64,
            Err(_) => caught += 1,
        }
    }
    (sum, caught)
}

// Allocates every 64 levels, so the shim also samples (and unwinds) close to the guard page.
#[allow(unconditional_recursion)]
fn overflow(depth: u64) -> u64 {
    let buf = [depth as u8; 1024];
    if depth % 64 == 0 {
        let b = Box::new(depth);
        sink(&*b);
    }
    sink(&buf) as u64 + overflow(depth + 1) + 1
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() > 1 && args[1] == "overflow" {
        println!("{}", overflow(0));
        return;
    }
    panic::set_hook(Box::new(|_| {
        PANICS_SEEN.fetch_add(1, Ordering::SeqCst);
    }));

    let handles: Vec<_> = (0..8).map(|id| thread::spawn(move || churn(id + 1))).collect();
    let mut total: u64 = 0;
    let mut caught = 0;
    for h in handles {
        let (s, c) = h.join().expect("worker thread");
        total += s;
        caught += c;
    }
    println!("8 threads: checksum {}, {} panics caught, hook saw {}", total, caught,
             PANICS_SEEN.load(Ordering::SeqCst));

    let mut page = Box::new(Page { bytes: [7u8; 4096] });
    page.bytes[4095] = 9;
    let addr = &*page as *const Page as usize;
    let pages: Vec<Page> = (0..16).map(|i| Page { bytes: [i as u8; 4096] }).collect();
    let vaddr = pages.as_ptr() as usize;
    println!("Box<align(4096)>: aligned {}, Vec<align(4096)> x16: aligned {}, bytes {} {}",
             addr % 4096 == 0, vaddr % 4096 == 0, page.bytes[0] + page.bytes[4095],
             pages[15].bytes[100]);
    drop(pages);
    drop(page);

    let mut ok = 0;
    for _ in 0..100 {
        let st = Command::new("/bin/true").status().expect("spawn /bin/true");
        if st.success() {
            ok += 1;
        }
    }
    println!("Command /bin/true x100: {} succeeded", ok);

    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe).arg("overflow").output().expect("spawn overflow child");
    let err = String::from_utf8_lossy(&out.stderr);
    println!("stack overflow child: signal {:?}, code {:?}, message {}, stdout empty {}",
             out.status.signal(), out.status.code(), err.contains("has overflowed its stack"),
             out.stdout.is_empty());
}
