//! `cargo exemplar run`: hand the plan to the runner, show the run as it happens, and render
//! its session as a table or JSON.

use exemplar_runner::listing;

use crate::cli::{RunArgs, RunFormat};
use crate::errors::{Error, ExitCode};
use crate::progress::Progress;
use crate::render;
use crate::style::ColorChoice;

/// `cargo exemplar run`. `-- --list` lists the tests instead (as `cargo exemplar list`), and
/// `-- --help` shows the harness's options; neither runs a test.
pub fn command(args: &RunArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    if asks_for(&args.harness_args, &["--list"]) {
        return crate::list::command(&args.into(), color);
    }
    if asks_for(&args.harness_args, &["--help", "-h"]) {
        return harness_help(args);
    }
    let plan = args.plan()?;
    if args.message_format == RunFormat::JsonStream && plan.no_capture {
        return Err(Error::Usage(
            "--message-format json-stream and --no-capture both want stdout: tests' own output \
             would break the stream (each test-finished record carries its output)"
                .into(),
        ));
    }
    let mut progress = Progress::new(
        color.for_stderr(),
        !plan.no_capture,
        args.selection.verbosity(),
    );
    let session = match args.message_format {
        RunFormat::JsonStream => {
            let mut stream = render::stream::Stream::start(&mut progress);
            let session = exemplar_runner::run(&plan, &mut stream)?;
            stream.finish(&session);
            session
        }
        RunFormat::Human | RunFormat::Json => exemplar_runner::run(&plan, &mut progress)?,
    };
    match args.message_format {
        RunFormat::Human => print!("{}", render::table::render(&session, color.for_stdout())),
        RunFormat::Json => println!("{}", render::json::render(&session)),
        RunFormat::JsonStream => {}
    }
    Ok(ExitCode::of_run(&session))
}

fn asks_for(harness_args: &[String], flags: &[&str]) -> bool {
    harness_args.iter().any(|a| flags.contains(&a.as_str()))
}

/// `run -- --help`: the options of the test harness, from a test binary itself.
fn harness_help(args: &RunArgs) -> Result<ExitCode, Error> {
    let (_, binaries) = listing::test_binaries(&(&args.selection).into())?;
    let Some(bin) = binaries
        .iter()
        .find(|b| b.kind == "test")
        .or(binaries.first())
    else {
        return Err(exemplar_runner::Error::NoTestBinary.into());
    };
    println!(
        "Options of the test harness, given after `--` (cargo exemplar's own: `cargo exemplar run --help`):\n"
    );
    std::process::Command::new(&bin.path)
        .arg("--help")
        .stdin(std::process::Stdio::null())
        .status()
        .map_err(|source| Error::Io {
            action: "start",
            path: bin.path.clone(),
            source,
        })?;
    Ok(ExitCode::Ok)
}
