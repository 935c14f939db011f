//! Reading the link records a test binary carries (see [`exemplar_formats::links`]): which of
//! its tests verify which directives, read from the executable file without running it.
//!
//! The file is read lazily through `object`'s read cache: only its headers and the link
//! section are read, however large the binary.

use std::fs::File;
use std::path::Path;

use exemplar_formats::links::{self, Link};
use object::read::ReadCache;
use object::{Object, ObjectSection};

use crate::errors::Error;

/// The section's name in each object format (Mach-O names the section without its segment).
const SECTION_NAMES: &[&str] = &["exemplar_links", "__exemplar", ".exlinks"];

/// Every link record of `exe`, in section order; none for a binary without the section.
pub fn read_links(exe: &Path) -> Result<Vec<Link>, Error> {
    let bad = |problem: String| Error::BadLinks {
        binary: exe.to_owned(),
        problem,
    };
    let file = File::open(exe).map_err(|source| Error::Io {
        action: "open",
        path: exe.to_owned(),
        source,
    })?;
    let cache = ReadCache::new(file);
    let object = object::File::parse(&cache).map_err(|e| bad(e.to_string()))?;
    let mut found = Vec::new();
    for section in object.sections() {
        let Ok(name) = section.name() else { continue };
        if !SECTION_NAMES.contains(&name) {
            continue;
        }
        let data = section.data().map_err(|e| bad(e.to_string()))?;
        found.extend(links::parse_section(data).map_err(|e| bad(e.to_string()))?);
    }
    Ok(found)
}
