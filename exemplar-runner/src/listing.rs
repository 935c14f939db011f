//! Listing tests without running them: the `exemplar-list` document for a [`ListPlan`].
//!
//! Nothing runs, and neither the mission files nor the journal are touched.

use exemplar_formats::events::TestInfo;
use exemplar_formats::list::{ListDocument, ListedBinary, ListedTest};

use crate::build::{self, TestBinary};
use crate::discover::{self, Discovery};
use crate::errors::Error;
use crate::execute::{self, ExecOptions, Listing};
use crate::partition::Deal;
use crate::plan::{ListPlan, Selection};
use crate::records::package_relative;
use crate::session::design_filter;

/// Build the selected packages' tests and list them.
pub fn list(plan: &ListPlan) -> Result<ListDocument, Error> {
    let discovery = discover::discover(&plan.selection)?;
    let design = design_filter(&discovery, &plan.design)?;
    let binaries = build::build(&plan.selection, &discovery.packages)?;
    let scratch = execute::scratch_dir()?;
    let mut listings = Vec::new();
    for bin in &binaries {
        let Some(pkg) = discovery.packages.iter().find(|p| p.name == bin.package) else {
            continue;
        };
        let opts = ExecOptions {
            design: design.clone(),
            ..ExecOptions::for_package(&pkg.dir, &pkg.name, scratch.path())
        };
        let listing =
            execute::list_binary(&bin.path, &bin.src_path, &opts, &plan.harness_args, false)?;
        listings.push((bin, pkg, listing));
    }
    if let Some(partition) = &plan.partition {
        let mut deals: Vec<Deal<'_>> = listings
            .iter_mut()
            .filter_map(|(bin, _, listing)| match listing {
                Listing::Listed(inventory) => Some(Deal::of(bin, &mut inventory.tests)),
                Listing::Failed { .. } => None,
            })
            .collect();
        partition.deal(&mut deals);
    }
    let mut listed = Vec::new();
    for (bin, pkg, listing) in listings {
        let relative = |file: &str| package_relative(file, &discovery.root, &pkg.dir);
        listed.push(listed_binary(bin, listing, &relative));
    }
    Ok(ListDocument {
        format: "exemplar-list".into(),
        version: 1,
        binaries: listed,
        not_run: discovery
            .packages
            .iter()
            .flat_map(|p| p.not_run.iter().cloned())
            .collect(),
    })
}

/// Discover and build, and return the test binaries (for a caller that wants to start one
/// itself, as `run -- --help` does).
pub fn test_binaries(selection: &Selection) -> Result<(Discovery, Vec<TestBinary>), Error> {
    let discovery = discover::discover(selection)?;
    let binaries = build::build(selection, &discovery.packages)?;
    Ok((discovery, binaries))
}

/// A binary's listing, its files relative to its package.
fn listed_binary(
    bin: &TestBinary,
    listing: Listing,
    relative: &dyn Fn(&str) -> String,
) -> ListedBinary {
    let listed = |t: TestInfo| ListedTest {
        name: t.name,
        ids: t.ids,
        file: Some(relative(&t.file)),
        line: (t.line > 0).then_some(t.line),
        plan: t.plan,
    };
    let (harness, tests, stranded, error) = match listing {
        Listing::Listed(inventory) => (
            inventory.harness.as_str(),
            inventory.tests.into_iter().map(listed).collect(),
            inventory.stranded.into_iter().map(listed).collect(),
            None,
        ),
        Listing::Failed { status, output } => (
            "unknown",
            Vec::new(),
            Vec::new(),
            Some(format!(
                "the binary {status} when asked for its tests:\n{output}"
            )),
        ),
    };
    ListedBinary {
        package: bin.package.clone(),
        target: bin.target.clone(),
        kind: bin.kind.clone(),
        harness: harness.into(),
        tests,
        stranded,
        error,
    }
}
