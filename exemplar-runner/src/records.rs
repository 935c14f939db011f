//! Making the one record per test, whichever harness ran it: from a finished test, or from a
//! test the run filtered out, with the file relative to the package and the `file::name`
//! reference the mission file's `signal:` uses.

use std::path::Path;

use exemplar_formats::TestRecord;
use exemplar_formats::events::{Plan, TestInfo};

use crate::build::TestBinary;
use crate::discover::MissionPackage;
use crate::execute::Finished;

/// The record of a test that ended.
pub(crate) fn test_record(
    bin: &TestBinary,
    pkg: &MissionPackage,
    root: &Path,
    info: Option<&TestInfo>,
    f: &Finished,
) -> TestRecord {
    let file = info
        .map(|i| package_relative(&i.file, root, &pkg.dir))
        .unwrap_or_default();
    TestRecord {
        package: pkg.name.clone(),
        mission: pkg.mission.id.clone(),
        binary: bin.target.clone(),
        name: f.name.clone(),
        reference: format!("{file}::{}", f.name),
        file,
        line: info.map(|i| i.line).unwrap_or(0),
        ids: info.map(|i| i.ids.clone()).unwrap_or_default(),
        plan: info.map(|i| i.plan).unwrap_or(Plan::Run),
        outcome: Some(f.outcome),
        duration: f.duration,
        message: f.message.clone(),
        output: f.output.clone(),
    }
}

/// The record of a test this run filtered out.
pub(crate) fn filtered_record(
    bin: &TestBinary,
    pkg: &MissionPackage,
    root: &Path,
    info: &TestInfo,
) -> TestRecord {
    let file = package_relative(&info.file, root, &pkg.dir);
    TestRecord {
        package: pkg.name.clone(),
        mission: pkg.mission.id.clone(),
        binary: bin.target.clone(),
        name: info.name.clone(),
        reference: format!("{file}::{}", info.name),
        file,
        line: info.line,
        ids: info.ids.clone(),
        plan: Plan::Filtered,
        ..TestRecord::default()
    }
}

/// `file!()` is relative to the workspace root (where cargo runs rustc) or absolute; the
/// signal shows it relative to the package.
pub(crate) fn package_relative(file: &str, root: &Path, pkg_dir: &Path) -> String {
    let p = Path::new(file);
    let abs = if p.is_absolute() {
        p.to_owned()
    } else {
        root.join(p)
    };
    abs.strip_prefix(pkg_dir)
        .map(|r| r.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| file.to_owned())
}
