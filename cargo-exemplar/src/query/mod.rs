//! The commands that read the journal: `status`, `next`, `explain`, `history`, `show`,
//! `diff`, `flaky` and `journal verify|repair|rebuild-index`. Each prints a table, or with
//! `--message-format json` one typed document of [`exemplar_formats::journal`].

mod at;
mod convergence;
mod diff;
mod history;
mod maintain;
mod next;
mod runs;
mod show;
mod status;

pub use at::{parse_at, parse_time};
pub use diff::{diff, flaky};
pub use history::history;
pub use maintain::journal;
pub use next::{explain, next};
pub use runs::{emit, open_index, open_with_workspace, time};
pub use show::show;
pub use status::status;
