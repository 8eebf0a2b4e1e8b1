//! Progress of long work on stderr, for the examples that write a lot
//! (`seed`, `ingest`).
//!
//! On a terminal: one line redrawn in place, at most ten times a second,
//! with a bar, the count, the rate and the time left:
//!
//! ```text
//! seeding [##############>---------------]  48%  480000/1000000 tickets  11.9k/s  ETA 0:43
//! ```
//!
//! Anywhere else (a pipe, a file, CI): nothing while it runs and one summary
//! line at the end (`seeding: 1000000 tickets in 1:24 (11.9k/s)`).
//!
//! The drawing is a pure function of the counts and the elapsed time
//! ([`render_bar`], [`render_summary`]), so it is tested without a terminal
//! or a clock.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Characters of the bar between its brackets.
pub const BAR_WIDTH: usize = 30;

/// How often a terminal line is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);

/// A progress reporter for `total` units of work (`unit`: "tickets").
pub struct Progress {
    label: String,
    unit: &'static str,
    total: u64,
    done: u64,
    started: Instant,
    last_draw: Option<Instant>,
    terminal: bool,
    out: Box<dyn Write + Send>,
}

impl Progress {
    /// Reports on stderr: a bar when stderr is a terminal, else one summary
    /// line at [`Progress::finish`].
    pub fn stderr(label: impl Into<String>, total: u64, unit: &'static str) -> Self {
        let terminal = std::io::stderr().is_terminal();
        Self::to_writer(label, total, unit, terminal, Box::new(std::io::stderr()))
    }

    /// Reports on any writer, as a terminal (`terminal`: redrawn bar) or not.
    pub fn to_writer(
        label: impl Into<String>,
        total: u64,
        unit: &'static str,
        terminal: bool,
        out: Box<dyn Write + Send>,
    ) -> Self {
        Self {
            label: label.into(),
            unit,
            total,
            done: 0,
            started: Instant::now(),
            last_draw: None,
            terminal,
            out,
        }
    }

    /// Sets the units done so far, redrawing the bar on a terminal when the
    /// last draw is older than a tenth of a second.
    pub fn set(&mut self, done: u64) {
        self.done = done;
        if !self.terminal {
            return;
        }
        let now = Instant::now();
        if self.last_draw.is_some_and(|t| now - t < REDRAW) && done < self.total {
            return;
        }
        self.last_draw = Some(now);
        let line = render_bar(
            &self.label,
            self.unit,
            self.done,
            self.total,
            now - self.started,
        );
        // `\r` back to the start of the line, `\x1b[K` clears what is left.
        let _ = write!(self.out, "\r{line}\x1b[K");
        let _ = self.out.flush();
    }

    /// Ends the report: the final bar and a newline on a terminal, the
    /// summary line elsewhere.
    pub fn finish(mut self) {
        let elapsed = self.started.elapsed();
        if self.terminal {
            let line = render_bar(&self.label, self.unit, self.done, self.total, elapsed);
            let _ = writeln!(self.out, "\r{line}\x1b[K");
        } else {
            let line = render_summary(&self.label, self.unit, self.done, elapsed);
            let _ = writeln!(self.out, "{line}");
        }
        let _ = self.out.flush();
    }
}

/// The terminal line for `done` of `total` after `elapsed`.
pub fn render_bar(label: &str, unit: &str, done: u64, total: u64, elapsed: Duration) -> String {
    let fraction = if total == 0 {
        1.0
    } else {
        (done.min(total) as f64) / (total as f64)
    };
    let filled = ((fraction * BAR_WIDTH as f64).floor() as usize).min(BAR_WIDTH);
    let mut bar = "#".repeat(filled);
    if filled < BAR_WIDTH {
        bar.push('>');
        bar.push_str(&"-".repeat(BAR_WIDTH - filled - 1));
    }
    let rate = rate(done, elapsed);
    let eta = match rate {
        Some(r) if r > 0.0 && done < total => clock(Duration::from_secs_f64(
            ((total - done) as f64 / r).min(359_999.0),
        )),
        _ if done >= total => "0:00".to_owned(),
        _ => "?".to_owned(),
    };
    format!(
        "{label} [{bar}] {pct:>3}%  {done}/{total} {unit}  {rate}  ETA {eta}",
        pct = (fraction * 100.0).floor() as u64,
        rate = rate.map_or_else(|| "-/s".to_owned(), |r| format!("{}/s", si(r))),
    )
}

/// The one line printed when the output is not a terminal.
pub fn render_summary(label: &str, unit: &str, done: u64, elapsed: Duration) -> String {
    let rate = rate(done, elapsed).map_or_else(|| "-/s".to_owned(), |r| format!("{}/s", si(r)));
    format!("{label}: {done} {unit} in {} ({rate})", clock(elapsed))
}

/// Units per second, when enough time has passed to say.
fn rate(done: u64, elapsed: Duration) -> Option<f64> {
    let secs = elapsed.as_secs_f64();
    (secs >= 0.001).then(|| done as f64 / secs)
}

/// `950`, `11.9k`, `2.4M`.
fn si(value: f64) -> String {
    if value >= 999_950.0 {
        format!("{:.1}M", value / 1_000_000.0)
    } else if value >= 999.95 {
        format!("{:.1}k", value / 1_000.0)
    } else {
        format!("{value:.0}")
    }
}

/// `m:ss`, or `h:mm:ss` from an hour on.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{sec:02}")
    } else {
        format!("{m}:{sec:02}")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn the_bar_moves_with_the_counts() {
        let line = |done| {
            render_bar(
                "seeding",
                "tickets",
                done,
                1_000_000,
                Duration::from_secs(40),
            )
        };
        assert_eq!(
            line(0),
            "seeding [>-----------------------------]   0%  0/1000000 tickets  0/s  ETA ?"
        );
        assert_eq!(
            line(480_000),
            "seeding [##############>---------------]  48%  480000/1000000 tickets  12.0k/s  ETA 0:43"
        );
        assert_eq!(
            line(1_000_000),
            "seeding [##############################] 100%  1000000/1000000 tickets  25.0k/s  ETA 0:00"
        );
        // Every step forward fills at least as much of the bar.
        let filled = |done| line(done).matches('#').count();
        let steps: Vec<usize> = (0..=10).map(|i| filled(i * 100_000)).collect();
        assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
        assert_eq!((steps[0], steps[5], steps[10]), (0, 15, BAR_WIDTH));
    }

    #[test]
    fn rate_and_eta_read_like_a_person_would() {
        assert_eq!(
            render_bar("x", "rows", 0, 10, Duration::ZERO),
            "x [>-----------------------------]   0%  0/10 rows  -/s  ETA ?"
        );
        let line = render_bar("x", "rows", 1, 3_601, Duration::from_secs(1));
        assert!(line.ends_with("1/s  ETA 1:00:00"), "{line}");
        let line = render_bar("x", "rows", 2_500_000, 5_000_000, Duration::from_secs(1));
        assert!(line.contains("2.5M/s"), "{line}");
        // Nothing to do is done.
        assert!(render_bar("x", "rows", 0, 0, Duration::from_secs(1)).contains("100%"));
        assert_eq!(
            render_summary("seeding", "tickets", 1_000_000, Duration::from_secs(84)),
            "seeding: 1000000 tickets in 1:24 (11.9k/s)"
        );
    }

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_terminal_gets_a_redrawn_bar_and_a_pipe_one_line() {
        let out = Shared::default();
        let mut p = Progress::to_writer("seeding", 100, "tickets", true, Box::new(out.clone()));
        for done in [10, 50, 100] {
            p.set(done);
            // Past the redraw interval, so each step is drawn.
            p.last_draw = p.last_draw.map(|t| t - REDRAW);
        }
        p.finish();
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let frames: Vec<&str> = text.split('\r').filter(|f| !f.is_empty()).collect();
        assert_eq!(frames.len(), 4, "{text:?}");
        assert!(frames[0].contains(" 10%  10/100"), "{frames:?}");
        assert!(frames[1].contains(" 50%  50/100"), "{frames:?}");
        assert!(frames[2].contains("100%  100/100"), "{frames:?}");
        assert!(frames[3].ends_with("\x1b[K\n"), "{frames:?}");
        // The bar grows frame by frame.
        let hashes: Vec<usize> = frames.iter().map(|f| f.matches('#').count()).collect();
        assert_eq!(hashes, vec![3, 15, 30, 30]);

        let out = Shared::default();
        let mut p = Progress::to_writer("seeding", 100, "tickets", false, Box::new(out.clone()));
        p.set(40);
        p.set(100);
        p.finish();
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text:?}");
        assert!(
            text.starts_with("seeding: 100 tickets in 0:00 ("),
            "{text:?}"
        );
        assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
    }
}
