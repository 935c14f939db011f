//! The book stays true to the tool: every page in SUMMARY.md exists, and the CLI reference
//! documents every option the command line accepts.

use clap::CommandFactory;

use crate::support::repo_root;

#[test]
fn every_summary_link_exists() {
    let src = repo_root().join("book/src");
    let summary = std::fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    let mut n = 0;
    for part in summary.split("](").skip(1) {
        let target = part.split(')').next().unwrap();
        assert!(
            src.join(target).is_file(),
            "SUMMARY.md links to missing {target}"
        );
        n += 1;
    }
    assert!(n >= 9, "{n} pages");
}

#[test]
fn the_cli_reference_documents_every_option() {
    let page = std::fs::read_to_string(repo_root().join("book/src/reference/cli.md")).unwrap();
    let cli = cargo_exemplar::cli::Cli::command();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        assert!(
            page.contains(&format!("`cargo exemplar {name}")),
            "subcommand {name} undocumented"
        );
        for arg in sub.get_arguments() {
            if let Some(long) = arg.get_long() {
                if long == "help" || long == "color" {
                    continue;
                }
                assert!(
                    page.contains(&format!("--{long}")),
                    "`{name} --{long}` is undocumented"
                );
            }
        }
    }
}

#[test]
fn the_pre_commit_framework_hook_is_valid_yaml_running_check() {
    let text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let hook = &hooks[0];
    assert_eq!(hook["id"].as_str(), Some("cargo-exemplar-check"));
    assert_eq!(hook["entry"].as_str(), Some("cargo exemplar check"));
    assert_eq!(hook["language"].as_str(), Some("system"));
    assert_eq!(hook["pass_filenames"].as_bool(), Some(false));
}
