//! The layering of DESIGN.md, checked by reading the source files:
//! entities import nothing from the layers above them, and the repository
//! and analytics layers never connect, never begin a top-level transaction
//! and never commit or roll back the caller's transaction (the one
//! savepoint helper may release or roll back its own savepoint).

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The code lines of a file: comments (and so doc examples) removed.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let code = match line.find("//") {
                // A `//` inside a string literal (a URL) is rare enough here;
                // cutting it only hides code, never invents a violation.
                Some(at) => &line[..at],
                None => line,
            };
            (i + 1, code.to_owned())
        })
        .filter(|(_, code)| !code.trim().is_empty())
        .collect()
}

fn src(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir)
}

/// Lines of the files under `dirs` that contain any of `needles`, except in
/// `allowed` (file name, needle) pairs.
fn violations(dirs: &[&str], needles: &[&str], allowed: &[(&str, &str)]) -> Vec<String> {
    let mut found = Vec::new();
    for dir in dirs {
        for file in rust_files(&src(dir)) {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            for (line_no, code) in code_lines(&file) {
                for needle in needles {
                    if code.contains(needle)
                        && !allowed.iter().any(|(f, n)| *f == name && n == needle)
                    {
                        found.push(format!(
                            "{}:{line_no}: `{needle}` in `{}`",
                            file.display(),
                            code.trim()
                        ));
                    }
                }
            }
        }
    }
    found
}

/// `src/entity` imports nothing from repositories or analytics.
#[test]
fn entities_import_nothing_from_the_layers_above() {
    let found = violations(
        &["entity"],
        &[
            "repository",
            "analytics",
            "ConnectionTrait",
            "DatabaseTransaction",
        ],
        &[],
    );
    assert!(found.is_empty(), "{found:#?}");
}

/// Nothing under `src/repository` or `src/analytics` connects or begins a
/// top-level transaction.
#[test]
fn data_layers_never_connect_or_begin() {
    let found = violations(
        &["repository", "analytics"],
        &[
            "Database::connect",
            "PoolConfig",
            "DatabaseConnection",
            "ConnectOptions",
            ".connect(",
            "begin_with_config",
            "begin_with_options",
            ".transaction(",
            ".transaction_async(",
            "transaction_with_config",
            "START TRANSACTION",
        ],
        &[],
    );
    assert!(found.is_empty(), "{found:#?}");
}

/// Nothing under `src/repository` or `src/analytics` commits or rolls back
/// the caller's transaction; only the savepoint helper opens, releases and
/// rolls back a savepoint, and it takes a `&DatabaseTransaction`, whose
/// `begin` is always a `SAVEPOINT`.
#[test]
fn data_layers_never_commit_or_roll_back_the_callers_transaction() {
    let needles = [
        ".commit(",
        ".rollback(",
        ".begin(",
        "TransactionTrait",
        "\"COMMIT",
        "\"ROLLBACK",
        "\"BEGIN",
    ];
    let allowed = [
        ("scope.rs", ".commit("),
        ("scope.rs", ".rollback("),
        ("scope.rs", ".begin("),
        ("scope.rs", "TransactionTrait"),
    ];
    let found = violations(&["repository", "analytics"], &needles, &allowed);
    assert!(found.is_empty(), "{found:#?}");

    // And in the helper: the savepoint is begun on the caller's
    // `&DatabaseTransaction`, and only the savepoint is released or rolled back.
    let scope = code_lines(&src("repository").join("scope.rs"));
    let text: Vec<&str> = scope.iter().map(|(_, l)| l.trim()).collect();
    assert!(
        text.iter()
            .any(|l| l.contains("txn: &DatabaseTransaction, work: F")),
        "in_savepoint takes the caller's transaction by reference"
    );
    for (no, line) in &scope {
        for verb in [".commit(", ".rollback("] {
            if line.contains(verb) {
                assert!(line.contains("savepoint."), "scope.rs:{no}: {line}");
            }
        }
        if line.contains(".begin(") {
            assert!(line.contains("txn.begin()"), "scope.rs:{no}: {line}");
        }
    }
}

/// Custom SQL in the repository layer is fixed text: never built with
/// `format!`, so no caller string can reach it.
#[test]
fn repository_sql_is_never_formatted() {
    for file in rust_files(&src("repository")) {
        for (no, line) in code_lines(&file) {
            let builds_sql = [
                "cust(",
                "cust_with",
                "from_sql_and_values",
                "execute_unprepared",
            ]
            .iter()
            .any(|n| line.contains(n));
            assert!(
                !(builds_sql && line.contains("format!")),
                "{}:{no}: {line}",
                file.display()
            );
        }
    }
}
