//! The harness behind `exemplar::main!()`: libtest-mimic over the registered `#[design]` tests,
//! plus the event stream for `cargo exemplar`.
//!
//! Without `EXEMPLAR_EVENTS` the binary is a plain libtest-style test binary. With it, every
//! test's start and end are appended to the events file as they happen (see [`crate::events`]).

use std::cell::RefCell;
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Instant;

use libtest_mimic::{Arguments, Failed, Trial};

use crate::Outcome;
use crate::events::{self, Event, Plan, TestInfo};
use crate::registry::{self, Ignore, ShouldPanic, TestCase};

/// Run the registered tests with the process's command line; the `main!` entry point.
pub fn run() -> ExitCode {
    run_with(Arguments::from_args())
}

/// Run the registered tests with the given arguments.
pub fn run_with(args: Arguments) -> ExitCode {
    let cases = registry::all();
    let inventory_only = std::env::var_os(events::ENV_INVENTORY_ONLY).is_some_and(|v| v == "1");
    // `--list` prints the listing as libtest does; only a runner asking for the inventory
    // alone hears of it as an event.
    let emitter = if args.list && !inventory_only {
        None
    } else {
        Emitter::from_env().map(Arc::new)
    };
    let only = read_only_list();
    let design: Option<HashSet<String>> = std::env::var(events::ENV_DESIGN).ok().map(|v| {
        v.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    });
    install_panic_hook();

    let mut infos = Vec::with_capacity(cases.len());
    let mut trials = Vec::with_capacity(cases.len());
    for case in cases {
        let name = case.test_name();
        let trial = trial(case, name.clone(), emitter.clone());
        let selected = only.as_ref().is_none_or(|o| o.contains(&name))
            && design
                .as_ref()
                .is_none_or(|d| case.ids.iter().any(|id| d.contains(*id)));
        let plan = if !selected || args.is_filtered_out(&trial) {
            Plan::Filtered
        } else if args.is_ignored(&trial) {
            Plan::Ignored
        } else {
            Plan::Run
        };
        infos.push(TestInfo {
            name,
            ids: case.ids.iter().map(|s| (*s).to_owned()).collect(),
            module_path: case.module_path.to_owned(),
            file: case.file.to_owned(),
            line: case.line,
            ignored: case.ignore != Ignore::No,
            ignore_reason: match case.ignore {
                Ignore::Because(r) => Some(r.to_owned()),
                _ => None,
            },
            should_panic: case.should_panic != ShouldPanic::No,
            plan,
        });
        if selected {
            trials.push(trial);
        }
    }
    if let Some(e) = &emitter {
        e.emit(&Event::Inventory {
            protocol: events::PROTOCOL,
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            tests: infos,
        });
    }
    if emitter.is_some() && inventory_only {
        return ExitCode::SUCCESS;
    }
    libtest_mimic::run(&args, trials).exit_code()
}

fn trial(case: &'static TestCase, name: String, emitter: Option<Arc<Emitter>>) -> Trial {
    let ignored = case.ignore != Ignore::No;
    let event_name = name.clone();
    Trial::test(name, move || {
        if let Some(e) = &emitter {
            e.emit(&Event::Started {
                name: event_name.clone(),
            });
        }
        let start = Instant::now();
        let result = run_case(case);
        if let Some(e) = &emitter {
            e.emit(&Event::Finished {
                name: event_name,
                outcome: if result.is_ok() {
                    Outcome::Passed
                } else {
                    Outcome::Failed
                },
                duration: start.elapsed().as_secs_f64(),
                message: result.as_ref().err().cloned(),
            });
        }
        result.map_err(Failed::from)
    })
    .with_ignored_flag(ignored)
}

thread_local! {
    /// The last panic on this thread: (payload text, "file:line:col").
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "Box<dyn Any>".to_owned());
            let loc = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_default();
            LAST_PANIC.with(|p| *p.borrow_mut() = Some((msg, loc)));
            previous(info);
        }));
    });
}

/// Run one test body and apply `#[should_panic]`, as libtest does.
fn run_case(case: &TestCase) -> Result<(), String> {
    LAST_PANIC.with(|p| p.borrow_mut().take());
    let result = catch_unwind(AssertUnwindSafe(case.run));
    let panic = match &result {
        Ok(_) => None,
        Err(payload) => Some(
            LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .unwrap_or_else(|| {
                    let msg = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_else(|| "Box<dyn Any>".to_owned());
                    (msg, String::new())
                }),
        ),
    };
    match (case.should_panic, result, panic) {
        (ShouldPanic::No, Ok(r), _) => r,
        (ShouldPanic::No, Err(_), Some((msg, loc))) => Err(if loc.is_empty() {
            format!("test panicked: {msg}")
        } else {
            format!("test panicked at {loc}:\n{msg}")
        }),
        (ShouldPanic::Yes | ShouldPanic::Expected(_), Ok(_), _) => {
            Err("test did not panic as expected".to_owned())
        }
        (ShouldPanic::Yes, Err(_), _) => Ok(()),
        (ShouldPanic::Expected(expected), Err(_), Some((msg, _))) => {
            if msg.contains(expected) {
                Ok(())
            } else {
                Err(format!(
                    "panic did not contain expected string\n      panic message: {msg:?}\n expected substring: {expected:?}"
                ))
            }
        }
        (_, Err(_), None) => Err("test panicked".to_owned()),
    }
}

/// Appends events to the file named by `EXEMPLAR_EVENTS`, one whole line per write.
struct Emitter {
    file: Mutex<File>,
    broken: AtomicBool,
}

impl Emitter {
    fn from_env() -> Option<Emitter> {
        let path = std::env::var_os(events::ENV_EVENTS)?;
        match OpenOptions::new().append(true).create(true).open(&path) {
            Ok(file) => Some(Emitter {
                file: Mutex::new(file),
                broken: AtomicBool::new(false),
            }),
            Err(e) => {
                eprintln!(
                    "exemplar: cannot open the events file {}: {e}; events are not reported",
                    std::path::Path::new(&path).display()
                );
                None
            }
        }
    }

    fn emit(&self, event: &Event) {
        let Ok(mut line) = serde_json::to_string(event) else {
            return;
        };
        line.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = f.write_all(line.as_bytes())
            && !self.broken.swap(true, Ordering::Relaxed)
        {
            eprintln!("exemplar: cannot write the events file: {e}");
        }
    }
}

fn read_only_list() -> Option<HashSet<String>> {
    let path = std::env::var_os(events::ENV_ONLY)?;
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            text.lines()
                .map(str::to_owned)
                .filter(|l| !l.is_empty())
                .collect(),
        ),
        Err(e) => {
            eprintln!(
                "exemplar: cannot read {}: {e}; running nothing",
                std::path::Path::new(&path).display()
            );
            Some(HashSet::new())
        }
    }
}
