//! Progress bar on stderr (indicatif): hidden with `--no-progress` or when stderr is not a
//! terminal, so logs and CI output stay clean.

use super::report::Counters;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// What the bar measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// No bar.
    Hidden,
    /// Events sent out of this many.
    Events(u64),
    /// Seconds elapsed out of this many.
    Seconds(u64),
}

/// A progress bar, or nothing.
#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
    seconds: bool,
}

impl Progress {
    /// Shows a bar unless hidden or stderr is not a terminal.
    pub fn start(mode: &ProgressMode) -> Progress {
        let (len, seconds) = match *mode {
            ProgressMode::Events(n) => (n, false),
            ProgressMode::Seconds(n) => (n, true),
            ProgressMode::Hidden => return Progress::none(),
        };
        if !std::io::stderr().is_terminal() {
            return Progress::none();
        }
        let unit = if seconds { "s" } else { "events" };
        let template = format!("{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {unit}  {{msg}}");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr_with_hz(5))
            .with_style(style);
        Progress {
            bar: Some(bar),
            seconds,
        }
    }

    fn none() -> Progress {
        Progress {
            bar: None,
            seconds: false,
        }
    }

    /// Redraws from the live counters.
    pub fn update(&self, counters: &Counters, elapsed: Duration) {
        let Some(bar) = &self.bar else { return };
        let events = counters.events.load(Relaxed);
        let sent = counters.sent.load(Relaxed);
        let ok = counters.ok.load(Relaxed);
        bar.set_position(if self.seconds {
            elapsed.as_secs()
        } else {
            events
        });
        let secs = elapsed.as_secs_f64().max(1e-3);
        bar.set_message(format!(
            "{:.0} req/s, {:.0} events/s, {} not 2xx",
            sent as f64 / secs,
            events as f64 / secs,
            sent - ok
        ));
    }

    /// Removes the bar (the report follows on stdout).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
