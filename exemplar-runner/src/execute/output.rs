//! What a test process printed, for people: its output without the harness's own lines and
//! the panic reports the events already carry, and how it ended, in words.

use std::process::ExitStatus;

/// The tests' own output from an exemplar harness's stdout, without what the harness
/// (libtest-mimic) printed around it: `running N tests`, each `test NAME ... ` prefix and
/// its `ok`/`FAILED`/`ignored`, and the closing failures section and `test result:` line,
/// which repeat what the events already said.
pub(crate) fn without_harness_lines(stdout: &str) -> String {
    let mut out = Vec::new();
    for line in stdout.lines() {
        if line == "failures:" || line.starts_with("test result: ") {
            break;
        }
        if line.starts_with("running ") && (line.ends_with(" tests") || line.ends_with(" test")) {
            continue;
        }
        let rest = match line
            .strip_prefix("test ")
            .and_then(|l| l.split_once(" ... "))
        {
            Some((_, rest)) => rest,
            None => line,
        };
        let verdict =
            |t: &str| matches!(t, "ok" | "FAILED" | "ignored") || t.starts_with("ignored, ");
        let rest = rest
            .rsplit_once(' ')
            .filter(|(_, last)| verdict(last) && line.starts_with("test "))
            .map_or(rest, |(before, _)| before);
        if !(rest.is_empty() || verdict(rest)) {
            out.push(rest);
        }
    }
    out.join("\n")
}

/// An exemplar harness's stderr without the panic reports Rust's panic hook wrote there
/// (`thread '…' panicked at …` and the message, which the events already carry), keeping a
/// backtrace when there is one.
pub(crate) fn without_panic_reports(stderr: &str) -> String {
    let mut out = Vec::new();
    let mut in_report = false;
    for line in stderr.lines() {
        if line.starts_with("thread '") && line.contains(" panicked at ") {
            in_report = true;
            continue;
        }
        if in_report {
            if line.starts_with("note: run with `RUST_BACKTRACE=1`") {
                in_report = false;
                continue;
            }
            if line == "stack backtrace:" {
                in_report = false;
            } else {
                continue;
            }
        }
        out.push(line);
    }
    out.join("\n")
}

/// How a process ended, in words.
pub fn describe_status(status: &ExitStatus, killed_by_us: bool) -> String {
    if killed_by_us {
        return "was killed after the timeout".to_owned();
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                4 => " (SIGILL)",
                6 => " (SIGABRT)",
                7 => " (SIGBUS)",
                8 => " (SIGFPE)",
                9 => " (SIGKILL)",
                11 => " (SIGSEGV)",
                15 => " (SIGTERM)",
                _ => "",
            };
            return format!("was killed by signal {sig}{name}");
        }
    }
    match status.code() {
        Some(c) => format!("exited with code {c}"),
        None => "ended".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_harness_lines;

    #[test]
    fn panic_reports_go_and_backtraces_and_other_output_stay() {
        let stderr = "warming up\nthread 'main' (42) panicked at tests/a.rs:3:5:\nboom\n  left: 1\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\nafter\nthread 'x' (7) panicked at b.rs:1:1:\nbang\nstack backtrace:\n   0: frame";
        assert_eq!(
            super::without_panic_reports(stderr),
            "warming up\nafter\nstack backtrace:\n   0: frame"
        );
    }

    #[test]
    fn the_harness_lines_go_and_the_tests_output_stay() {
        let stdout = "\nrunning 2 tests\ntest a ... ok\ntest empty_log ... opening an empty log\nFAILED\nmore output\ntest c ... ignored, slow\n\nfailures:\n\n---- empty_log ----\nboom\n\nfailures:\n    empty_log\n\ntest result: FAILED. 1 passed; 1 failed\n";
        assert_eq!(
            without_harness_lines(stdout),
            "opening an empty log\nmore output"
        );
    }
}
