//! Progress of a long run, shown as a bar only when a person watches: `scorekeeper run` on a
//! terminal. Under the daemon, cron, systemd or a pipe it draws nothing (the run's end is
//! logged anyway), so log files never fill with bar redraws.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar that may be hidden. Cheap to update either way.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `total` steps labelled `what` (e.g. `"leads scored"`), drawn on stderr when
    /// `show` is set and stderr is a terminal.
    pub fn new(total: u64, what: &str, show: bool) -> Progress {
        let target = if show && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let template = "{elapsed_precise} [{wide_bar}] {pos}/{len} {msg} ({eta} left)";
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        bar.enable_steady_tick(Duration::from_millis(250));
        Progress { bar }
    }

    /// A bar that never draws.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    pub fn inc(&self, steps: u64) {
        self.bar.inc(steps);
    }

    pub fn position(&self) -> u64 {
        self.bar.position()
    }

    pub fn is_hidden(&self) -> bool {
        self.bar.is_hidden()
    }

    /// Removes the bar from the terminal (the run's summary is logged or printed instead).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_unless_asked_and_on_a_terminal() {
        // Test output is captured, never a terminal.
        let p = Progress::new(10, "leads scored", true);
        assert!(p.is_hidden());
        p.inc(4);
        p.inc(3);
        assert_eq!(p.position(), 7);
        p.finish();
        let p = Progress::new(10, "leads scored", false);
        assert!(p.is_hidden());
        assert_eq!(Progress::hidden().position(), 0);
    }
}
