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
    write_whole(&p, text).map_err(|source| Error::Io {
        action: "write",
        path: p.clone(),
        source,
    })?;
    eprintln!("wrote {}", p.display());
    Ok(())
}

/// Write `text` to `path` whole or not at all: through a temporary file beside it, renamed
/// over it once written, so a full disk leaves the previous report (or none) and no partial
/// page or temporary file behind.
fn write_whole(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".exemplar-report.").suffix(".tmp");
    // As `fs::write` would make it: readable by all, less what the umask takes away.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(dir)?;
    // Through the file itself: the error is then the system's, without the temporary path.
    tmp.as_file_mut().write_all(text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
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
