//! Terminal colors that respect `--color`, `CARGO_TERM_COLOR` and `NO_COLOR`.

use std::io::IsTerminal;

/// When to color.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ColorChoice {
    /// Color when the stream is a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// The effective choice: the flag, else `CARGO_TERM_COLOR`, else auto.
    pub fn resolve(flag: Option<ColorChoice>) -> ColorChoice {
        flag.or_else(|| match std::env::var("CARGO_TERM_COLOR").ok().as_deref() {
            Some("always") => Some(ColorChoice::Always),
            Some("never") => Some(ColorChoice::Never),
            Some("auto") => Some(ColorChoice::Auto),
            _ => None,
        })
        .unwrap_or_default()
    }

    /// Whether to color stdout.
    pub fn for_stdout(self) -> Style {
        self.style(std::io::stdout().is_terminal())
    }

    /// Whether to color stderr.
    pub fn for_stderr(self) -> Style {
        self.style(std::io::stderr().is_terminal())
    }

    fn style(self, tty: bool) -> Style {
        let on = match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        };
        Style { on }
    }
}

/// Paints text when colors are on.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    /// No colors.
    pub const PLAIN: Style = Style { on: false };

    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Green.
    pub fn good(&self, t: &str) -> String {
        self.paint("32", t)
    }
    /// Bold red.
    pub fn bad(&self, t: &str) -> String {
        self.paint("1;31", t)
    }
    /// Yellow.
    pub fn warn(&self, t: &str) -> String {
        self.paint("33", t)
    }
    /// Bold.
    pub fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    /// Dim.
    pub fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }
}

/// How much a command says while it works (`-q`, default, `-v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// `-q`: nothing but the results and errors.
    Quiet,
    /// The progress bar (or `Running` lines) and each failure as it happens.
    #[default]
    Normal,
    /// Also a line for every test as it ends.
    Verbose,
}
