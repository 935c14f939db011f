//! A writer process for crash tests: `kv-writer DIR COUNT` writes `k0=v0`, `k1=v1`, ... and
//! prints `acked N` after each write returns, then waits to be killed.

use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(count)) = (
        args.get(1),
        args.get(2).and_then(|c| c.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: kv-writer DIR COUNT");
        std::process::exit(2);
    };
    let store = match kv::KvStore::open(dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kv-writer: {e}");
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        if let Err(e) = store.write(format!("k{i}"), format!("v{i}")) {
            eprintln!("kv-writer: {e}");
            std::process::exit(1);
        }
        let _ = writeln!(out, "acked {i}");
        let _ = out.flush();
    }
    let _ = writeln!(out, "done");
    let _ = out.flush();
    // Wait to be killed: the crash must come from outside, with nothing closed cleanly.
    loop {
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}
