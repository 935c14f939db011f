//! A writer process for restart tests: `persist-writer DIR COUNT` appends `COUNT` events to the
//! stream `orders` (in the global order), prints `acked N` after each append returns, then
//! waits to be killed.

use std::io::Write;

use persist::{DiskBackend, NewEvent, Store};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(count)) = (args.get(1), args.get(2).and_then(|c| c.parse::<u64>().ok()))
    else {
        eprintln!("usage: persist-writer DIR COUNT");
        std::process::exit(2);
    };
    let store = match DiskBackend::open(dir) {
        Ok(b) => Store::new(b),
        Err(e) => {
            eprintln!("persist-writer: {e}");
            std::process::exit(1);
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    for i in 0..count {
        let ev = NewEvent::new("Placed", serde_json::json!({ "n": i }));
        match store.gappend("orders", vec![ev]) {
            Ok(e) => {
                let _ = writeln!(out, "acked {}", e[0].seq);
                let _ = out.flush();
            }
            Err(e) => {
                eprintln!("persist-writer: {e}");
                std::process::exit(1);
            }
        }
    }
    let _ = writeln!(out, "done");
    let _ = out.flush();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}
