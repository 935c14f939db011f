//! Retries (`--retries N`): a test that failed, crashed or timed out runs again, alone in a
//! fresh process, up to N times. One that then passes is *flaky*: its record is amended to
//! that outcome, with what happened the first time. One that fails every time keeps its
//! outcome. Flaky is never clean evidence for a directive (the loss counts it as failing);
//! whether it fails the run is the `--flaky-result` policy's.

use exemplar_formats::Outcome;

use crate::errors::Error;
use crate::execute::binary::{BinaryRun, Progress};

impl BinaryRun<'_> {
    /// Run each failing test among `results[from..]` again, up to `opts.retries` times; amend
    /// those that pass to `flaky`.
    pub(crate) fn retry_failures(&mut self, from: usize) -> Result<(), Error> {
        let retries = self.retries;
        if retries == 0 {
            return Ok(());
        }
        let failing: Vec<usize> = (from..self.results.len())
            .filter(|i| {
                matches!(
                    self.results[*i].outcome,
                    Outcome::Failed | Outcome::Crashed | Outcome::Timeout
                )
            })
            .collect();
        for i in failing {
            let name = self.results[i].name.clone();
            for attempt in 1..=retries {
                if self.attempt(&name)? != Outcome::Passed {
                    continue;
                }
                let f = &mut self.results[i];
                let first = match f.message.take() {
                    Some(m) => format!(":\n{m}"),
                    None => String::new(),
                };
                f.message = Some(format!(
                    "{} at first, then passed on retry {attempt} of {retries}{first}",
                    f.outcome
                ));
                f.outcome = Outcome::Flaky;
                (self.on)(Progress::Amended(&self.results[i]));
                break;
            }
        }
        Ok(())
    }

    /// One run of test `name` alone in a fresh process: how it ended.
    fn attempt(&mut self, name: &str) -> Result<Outcome, Error> {
        let (proc, ended) = self.spawn_alone(name, &mut |_| {})?;
        let outcome = ended.iter().find(|r| r.name == name).map(|r| r.outcome);
        Ok(outcome.unwrap_or(if proc.timed_out.is_some() {
            Outcome::Timeout
        } else {
            Outcome::Crashed
        }))
    }
}
