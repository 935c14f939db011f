//! `cargo exemplar`: parse the command line, run the command, map the result to an exit code
//! (0 ok, 1 tests failed, 2 usage, 3 build failed, 4 mission invalid, 5 journal damaged; see
//! [`cargo_exemplar::ExitCode`]).

use std::process::ExitCode;

use cargo_exemplar::cli::{Cli, Command, HookAction};
use cargo_exemplar::query;
use cargo_exemplar::style::ColorChoice;
use clap::Parser;

fn main() -> ExitCode {
    // As a cargo subcommand we are started as `cargo-exemplar exemplar ...`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "exemplar") {
        args.remove(1);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let color = ColorChoice::resolve(cli.color);
    let out = color.for_stdout();
    let result = match &cli.command {
        Command::Run(args) => cargo_exemplar::run::command(args, color),
        Command::List(args) => cargo_exemplar::list::command(args, color),
        Command::Check(args) => cargo_exemplar::check::command(args, color),
        Command::Report(args) => cargo_exemplar::report::command(args),
        Command::Hook(cmd) => match &cmd.action {
            HookAction::Install(args) => cargo_exemplar::hook::command(args),
        },
        Command::Status(args) => query::status(args, out),
        Command::Next(args) => query::next(args, out),
        Command::Explain(args) => query::explain(args, out),
        Command::History(args) => query::history(args),
        Command::Show(args) => query::show(args, out),
        Command::Diff(args) => query::diff(args, out),
        Command::Flaky(args) => query::flaky(args),
        Command::Journal(cmd) => query::journal(cmd),
        Command::Merge(args) => cargo_exemplar::merge::command(args, color),
        Command::Ingest(args) => cargo_exemplar::ingest::command(args, color),
        Command::MergeDriver(args) => cargo_exemplar::merge_driver::command(args),
        Command::New(args) => cargo_exemplar::new::command(args),
        Command::Init(args) => cargo_exemplar::init::command(args),
        Command::Schema => cargo_exemplar::schema::command(),
        Command::Design(cmd) => cargo_exemplar::design::command(cmd),
        Command::Mcp(args) => cargo_exemplar::mcp::command(args),
        Command::Watch(args) => cargo_exemplar::watch::command(args),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            let style = color.for_stderr();
            eprintln!("{} {e}", style.bad("error:"));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
