//! `cargo exemplar report`: write the requested formats from the journal.

use std::path::{Path, PathBuf};

use super::{data, html, json, junit, markdown};
use exemplar_runner::{JournalChoice, discover};

use crate::cli::ReportArgs;
use crate::errors::{Error, ExitCode};

fn write(path: &str, text: &str) -> Result<(), Error> {
    if path == "-" {
        print!("{text}");
        return Ok(());
    }
    let p = PathBuf::from(path);
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            action: "create",
            path: dir.to_owned(),
            source,
        })?;
    }
    std::fs::write(&p, text).map_err(|source| Error::Io {
        action: "write",
        path: p.clone(),
        source,
    })?;
    eprintln!("wrote {}", p.display());
    Ok(())
}

/// `cargo exemplar report`.
pub fn command(args: &ReportArgs) -> Result<ExitCode, Error> {
    if args.html.is_none() && args.junit.is_none() && args.json.is_none() && args.markdown.is_none()
    {
        return Err(Error::Usage(
            "say what to write: --html PATH, --junit PATH, --json [PATH], --markdown [PATH]".into(),
        ));
    }
    let mut selection: exemplar_runner::Selection = (&args.selection).into();
    selection.mission = args.mission.clone();
    let discovery = discover::discover(&selection)?;
    let choice = match &args.journal {
        Some(dir) => JournalChoice::At(dir.clone()),
        None => JournalChoice::Default,
    };
    let dir = exemplar_runner::journal::location(&choice, &discovery.root)
        .expect("a chosen journal has a folder");
    let ix = crate::query::open_index(&dir)?;
    let d = data::gather(Path::new(&dir), &ix, &discovery.packages)?;
    if let Some(p) = &args.html {
        write(&p.to_string_lossy(), &html::render(&d))?;
    }
    if let Some(p) = &args.junit {
        write(&p.to_string_lossy(), &junit::render(&d)?)?;
    }
    if let Some(p) = &args.json {
        let text = serde_json::to_string_pretty(&json::document(&d))
            .expect("the report serializes")
            + "\n";
        write(p, &text)?;
    }
    if let Some(p) = &args.markdown {
        write(p, &markdown::render(&d))?;
    }
    Ok(ExitCode::Ok)
}
