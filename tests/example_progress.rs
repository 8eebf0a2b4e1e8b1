//! The examples' progress reporter (`examples/common/progress.rs`): its
//! unit tests, and `seed` run under a pseudo-terminal (util-linux `script`)
//! to see the bar move, and through a pipe to see one summary line.

#[allow(dead_code)]
#[path = "../examples/common/progress.rs"]
mod progress;

#[cfg(feature = "sqlite")]
mod seed {
    use std::path::PathBuf;
    use std::process::Command;

    fn seed_binary() -> PathBuf {
        let exe = std::env::current_exe().unwrap();
        let path = exe
            .parent()
            .and_then(|deps| deps.parent())
            .unwrap()
            .join("examples")
            .join(format!("seed{}", std::env::consts::EXE_SUFFIX));
        assert!(
            path.exists(),
            "{} is missing: build the examples first (`cargo build --examples`, or plain `cargo test`)",
            path.display()
        );
        path
    }

    fn scratch(name: &str) -> (PathBuf, String) {
        let dir = std::env::temp_dir().join(format!("fd-progress-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("seed.db").display());
        (dir, url)
    }

    const ARGS: &str =
        "--merchants 2 --tickets-per-merchant 15000 --seed 7 --anchor 2026-11-01T00:00:00Z";

    #[test]
    fn seed_on_a_terminal_shows_a_moving_bar() {
        if !std::path::Path::new("/usr/bin/script").exists() {
            println!("skipped: util-linux `script` is not installed (no pseudo-terminal)");
            return;
        }
        let seed = seed_binary();
        let (dir, url) = scratch("tty");
        // `script` runs the command on a pseudo-terminal and copies what it
        // printed (stdout and stderr both) to our stdout.
        let out = Command::new("script")
            .args([
                "-qec",
                &format!("{} --database-url '{url}' {ARGS}", seed.display()),
                "/dev/null",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}");
        let frames: Vec<&str> = text
            .split('\r')
            .filter(|f| f.starts_with("seeding ["))
            .collect();
        let percents: Vec<u64> = frames
            .iter()
            .map(|f| {
                let pct = f.split(']').nth(1).unwrap().trim_start();
                pct.split('%').next().unwrap().trim().parse().unwrap()
            })
            .collect();
        // 30,000 tickets in batches of 5,000: the bar is drawn several times
        // and only ever moves forward, ending full.
        assert!(percents.len() >= 2, "{text:?}");
        assert!(percents.windows(2).all(|w| w[0] <= w[1]), "{percents:?}");
        assert!(percents.iter().any(|p| *p < 100), "{percents:?}");
        assert_eq!(percents.last(), Some(&100), "{text:?}");
        let last = frames.last().unwrap();
        assert!(
            last.contains("30000/30000 tickets") && last.contains("/s  ETA"),
            "{last}"
        );
        assert!(text.contains("seeded merchants 1..=2"), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn seed_through_a_pipe_prints_one_summary_line() {
        let seed = seed_binary();
        let (dir, url) = scratch("pipe");
        let out = Command::new(seed)
            .args(["--database-url", &url])
            .args(ARGS.split(' '))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{stderr:?}");
        assert!(
            lines[0].starts_with("seeding: 30000 tickets in "),
            "{stderr:?}"
        );
        assert!(
            !stderr.contains('\r') && !stderr.contains('\x1b'),
            "{stderr:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
