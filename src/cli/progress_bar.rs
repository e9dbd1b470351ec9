//! Progress bars on the terminal of `scorekeeper plan` and `run` (indicatif): one bar per
//! phase a run reports (`scoring: rule searches`, `scoring: leads read`, `<job>: changes
//! applied`), on stderr, and only when stderr is a terminal. Redirected to a file, a pipe or
//! journald nothing is drawn, so logs never fill with redraws or escape codes; the daemon
//! never draws.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::{PhaseSink, Progress, ProgressSink};

/// How often a bar redraws while nothing advances (elapsed time, spinner).
const TICK: Duration = Duration::from_millis(200);

/// The bars of one command.
struct TerminalBars {
    multi: MultiProgress,
}

/// Bars on stderr when a person watches it; hidden progress otherwise.
pub(super) fn terminal_progress() -> Progress {
    if std::io::stderr().is_terminal() {
        Progress::to(Arc::new(TerminalBars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
        }))
    } else {
        Progress::hidden()
    }
}

impl ProgressSink for TerminalBars {
    fn start(&self, what: &str, total: Option<u64>) -> Box<dyn PhaseSink> {
        let (bar, template) = match total {
            Some(n) => (
                ProgressBar::new(n),
                "{msg:30} [{wide_bar}] {human_pos}/{human_len} ({elapsed}, {eta} left)",
            ),
            None => (
                ProgressBar::new_spinner(),
                "{msg:30} {spinner} {human_pos} ({elapsed})",
            ),
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        let bar = self.multi.add(bar);
        bar.set_message(what.to_owned());
        bar.enable_steady_tick(TICK);
        Box::new(Bar(bar))
    }
}

struct Bar(ProgressBar);

impl PhaseSink for Bar {
    fn advance(&self, steps: u64) {
        self.0.inc(steps);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
