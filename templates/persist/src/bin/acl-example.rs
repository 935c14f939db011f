//! The ACL example: an access-control list migrated from an in-memory map to persist.
//!
//! Grants and revokes are events in the stream `acl`; the current set is a projection kept as a
//! materialized view (an O(1) check); the audit trail is a time-window query; grants survive a
//! restart because every run of this program is a new process over the same folder.
//!
//! ```text
//! acl-example DIR grant USER PERM     acl-example DIR check USER PERM   (prints yes / no)
//! acl-example DIR revoke USER PERM    acl-example DIR list
//! acl-example DIR audit               (every grant and revoke, oldest first)
//! ```

use std::collections::BTreeSet;
use std::sync::Arc;

use persist::{DiskBackend, Event, Hub, NewEvent, Store, View};
use serde_json::json;

fn fold(mut set: BTreeSet<String>, e: &Event) -> BTreeSet<String> {
    let key = format!(
        "{}:{}",
        e.data["user"].as_str().unwrap_or(""),
        e.data["perm"].as_str().unwrap_or("")
    );
    match e.kind.as_str() {
        "Granted" => {
            set.insert(key);
        }
        "Revoked" => {
            set.remove(&key);
        }
        _ => {}
    }
    set
}

fn main() {
    if let Err(e) = run(std::env::args().skip(1).collect()) {
        eprintln!("acl-example: {e}");
        std::process::exit(1);
    }
}

fn run(args: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: acl-example DIR (grant|revoke|check) USER PERM | list | audit";
    let dir = args.first().ok_or(usage)?;
    let store = Arc::new(Store::new(DiskBackend::open(dir)?));
    let view = Arc::new(View::new(&store, "acl", "acl-view", BTreeSet::new(), fold)?);
    let hub = Hub::new(store.clone());
    hub.attach(view.clone());
    let arg = |i: usize| args.get(i).map(String::as_str).ok_or(usage);
    match arg(1)? {
        cmd @ ("grant" | "revoke") => {
            let kind = if cmd == "grant" { "Granted" } else { "Revoked" };
            hub.publish(
                "acl",
                vec![NewEvent::new(
                    kind,
                    json!({"user": arg(2)?, "perm": arg(3)?}),
                )],
            )?;
            // Keep the view's snapshot close behind, so a restart folds a short tail.
            store.checkpoint("acl-view", "acl", BTreeSet::new(), fold)?;
        }
        "check" => {
            let allowed = view
                .peek()
                .value
                .contains(&format!("{}:{}", arg(2)?, arg(3)?));
            println!("{}", if allowed { "yes" } else { "no" });
        }
        "list" => {
            for g in view.value(&store)?.value {
                println!("{g}");
            }
        }
        "audit" => {
            for e in store.read_window("acl", 0, i64::MAX)? {
                println!(
                    "{} {} {} {}",
                    e.seq,
                    e.kind,
                    e.data["user"].as_str().unwrap_or(""),
                    e.data["perm"].as_str().unwrap_or("")
                );
            }
        }
        _ => return Err(usage.into()),
    }
    Ok(())
}
