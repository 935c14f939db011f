//! Making the one record per test: from an exemplar harness's finished test, from a test it
//! filtered out, or from a default-harness (libtest) test, with the file relative to the
//! package and the `file::name` reference the mission file's `signal:` uses.

use std::path::Path;

use exemplar_formats::events::{Plan, TestInfo};
use exemplar_formats::{Outcome, TestRecord};

use crate::build::TestBinary;
use crate::discover::MissionPackage;
use crate::execute::Finished;
use crate::execute::libtest::LibtestTest;

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

/// The record of a test that a default-harness (libtest) binary ran: untagged, its file the
/// target's source file.
pub(crate) fn untagged_record(
    bin: &TestBinary,
    pkg: &MissionPackage,
    root: &Path,
    t: LibtestTest,
) -> TestRecord {
    let outcome = t.outcome;
    let mut record = untagged_filtered(bin, pkg, root, t.name);
    record.plan = if outcome == Outcome::Ignored {
        Plan::Ignored
    } else {
        Plan::Run
    };
    record.outcome = Some(outcome);
    record.message = t.message;
    record.output = t.output;
    record
}

/// The record of a default-harness test that this run left out (`--design` selects linked
/// tests only).
pub(crate) fn untagged_filtered(
    bin: &TestBinary,
    pkg: &MissionPackage,
    root: &Path,
    name: String,
) -> TestRecord {
    let file = package_relative(&bin.src_path.to_string_lossy(), root, &pkg.dir);
    TestRecord {
        package: pkg.name.clone(),
        mission: pkg.mission.id.clone(),
        binary: bin.target.clone(),
        reference: format!("{file}::{name}"),
        name,
        file,
        plan: Plan::Filtered,
        ..TestRecord::default()
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
fn package_relative(file: &str, root: &Path, pkg_dir: &Path) -> String {
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
