//! The commands that read the journal: `status`, `history`, `show`, `diff`, `flaky` and
//! `journal verify|repair|rebuild-index`. Each prints a table, or with
//! `--message-format json` one typed document of [`exemplar_formats::journal`].

mod at;
mod diff;
mod history;
mod maintain;
mod runs;
mod show;
mod status;

pub use at::{parse_at, parse_time};
pub use diff::{diff, flaky};
pub use history::history;
pub use maintain::journal;
pub use runs::{open_index, time};
pub use show::show;
pub use status::status;
