//! What a newcomer sees when an example cannot get going: every example,
//! run as the program people run, ends with exactly one `error: …` line on
//! stderr that names the cause and the fix, and exit code 2.
//!
//! The examples are the binaries `cargo test` (or `cargo build --examples`)
//! built beside this test, with the same features. A URL whose driver is
//! not compiled in needs a build without that backend's feature, so that
//! case runs in CI's single-feature builds
//! (`--no-default-features --features postgres`, …); with every driver
//! compiled in the test says so and checks the rest.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The examples and how each is given a database URL.
const EXAMPLES: [&str; 5] = ["migrate", "seed", "report", "quickstart", "ingest"];

fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/example_errors-<hash> → target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>")
        .join("examples");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: build the examples with the same features first \
         (`cargo build --examples` with this test's --features, or plain `cargo test`)",
        path.display()
    );
    path
}

fn run_example(name: &str, url: &str) -> Output {
    let mut cmd = Command::new(example(name));
    cmd.env_remove("DATABASE_URL");
    match name {
        // quickstart reads only DATABASE_URL.
        "quickstart" => {
            cmd.env("DATABASE_URL", url);
        }
        "report" => {
            cmd.args(["--database-url", url, "--merchant", "1"]);
        }
        "ingest" => {
            let file = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/freshdesk/agents.json"
            );
            cmd.args(["--database-url", url, "--merchant", "1", file]);
        }
        _ => {
            cmd.args(["--database-url", url]);
        }
    }
    cmd.output().expect("the example runs")
}

/// The one `error: …` line of a failed run.
fn one_error_line(name: &str, url: &str) -> String {
    let out = run_example(name, url);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{name} with {url}: expected exit code 2; stderr: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{name} with {url}: not one line: {stderr}");
    let line = lines[0];
    assert!(line.starts_with("error: "), "{name}: {line}");
    assert!(
        !line.contains("panicked") && !line.contains("DbErr"),
        "{name}: {line}"
    );
    line.to_owned()
}

/// Backends whose driver this build leaves out, with a URL for each.
fn missing_drivers() -> Vec<(&'static str, &'static str)> {
    let mut missing = Vec::new();
    if !cfg!(feature = "postgres") {
        missing.push(("postgres", "postgres://root@127.0.0.1:5432/fd_example"));
        missing.push(("postgres", "postgresql://root@127.0.0.1:5432/fd_example"));
    }
    if !cfg!(feature = "mysql") {
        missing.push(("mysql", "mysql://user:secret@127.0.0.1:3306/fd_example"));
    }
    if !cfg!(feature = "sqlite") {
        missing.push(("sqlite", "sqlite::memory:"));
    }
    missing
}

#[test]
fn a_missing_driver_names_the_cargo_feature_in_every_example() {
    let missing = missing_drivers();
    if missing.is_empty() {
        println!(
            "every backend's driver is compiled in: the missing-driver case runs in the \
             single-feature builds (cargo test --no-default-features --features postgres, …)"
        );
        return;
    }
    for name in EXAMPLES {
        for (feature, url) in &missing {
            let line = one_error_line(name, url);
            assert!(
                line.contains(&format!("the `{feature}` cargo feature")),
                "{name} with {url}: {line}"
            );
            assert!(
                line.contains(&format!("--features {feature}")),
                "{name} with {url}: {line}"
            );
            assert!(
                !line.contains("secret"),
                "{name} leaks the password: {line}"
            );
        }
    }
}

#[cfg(not(feature = "sqlite"))]
#[test]
fn report_without_a_url_says_the_demo_needs_sqlite() {
    let out = Command::new(example("report"))
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("the embedded demo database needs the `sqlite` cargo feature")
            && stderr.contains("--database-url"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_scheme_names_the_supported_ones_in_every_example() {
    for name in EXAMPLES {
        for url in [
            "mongodb://user:secret@127.0.0.1/fd",
            "mariadb://u@127.0.0.1/fd",
        ] {
            let line = one_error_line(name, url);
            for supported in ["postgres://", "mysql://", "sqlite:"] {
                assert!(line.contains(supported), "{name} with {url}: {line}");
            }
            assert!(
                !line.contains("secret"),
                "{name} leaks the password: {line}"
            );
        }
    }
}

#[test]
fn an_unreachable_server_says_to_start_it() {
    // The pool retries a refused connection until its acquire timeout: 1 s.
    let url = if cfg!(feature = "postgres") {
        "postgres://root@127.0.0.1:1/fd_example?acquire_timeout=1"
    } else if cfg!(feature = "mysql") {
        "mysql://user:secret@127.0.0.1:1/fd_example?acquire_timeout=1"
    } else {
        println!("skipped: no server driver compiled in (sqlite only)");
        return;
    };
    for name in EXAMPLES {
        let line = one_error_line(name, url);
        assert!(
            line.starts_with("error: cannot reach the database server at 127.0.0.1:1 ("),
            "{name}: {line}"
        );
        assert!(line.contains("start the server"), "{name}: {line}");
        assert!(
            line.contains("within the 1 s acquire timeout"),
            "{name}: {line}"
        );
    }
}

#[cfg(feature = "sqlite")]
#[test]
fn an_unmigrated_database_says_to_run_the_migrations() {
    let dir = std::env::temp_dir().join(format!("fd-example-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("empty.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    // report reads only: on a database without the schema it says what to do.
    let line = one_error_line("report", &url);
    assert!(
        line.starts_with("error: table `freshdesk_"),
        "report on an empty database: {line}"
    );
    assert!(
        line.contains("run the migrations") && line.contains("cargo run --example migrate"),
        "{line}"
    );
    // A file that does not exist (no `mode=rwc`): check the path.
    let missing = format!("sqlite://{}", dir.join("nope/none.db").display());
    let line = one_error_line("report", &missing);
    assert!(line.contains("cannot open the SQLite database"), "{line}");
    assert!(line.contains("mode=rwc"), "{line}");
    std::fs::remove_dir_all(&dir).unwrap();
}
