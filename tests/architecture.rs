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
/// the caller's transaction, and nothing begins a driver-nested transaction
/// (SeaORM's nested `begin()` is not cancel-safe): the savepoint helper
/// issues `SAVEPOINT`, `RELEASE SAVEPOINT` and `ROLLBACK TO SAVEPOINT` as
/// plain statements on the caller's `&DatabaseTransaction`, and no other
/// transaction-control statement appears anywhere.
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
        "\"SAVEPOINT",
        "\"RELEASE",
    ];
    let allowed = [
        ("savepoint.rs", "\"ROLLBACK"),
        ("savepoint.rs", "\"SAVEPOINT"),
        ("savepoint.rs", "\"RELEASE"),
    ];
    let found = violations(&["repository", "analytics"], &needles, &allowed);
    assert!(found.is_empty(), "{found:#?}");

    // And in the helper: the savepoint statements are plain statements on
    // the caller's `&DatabaseTransaction`, and only savepoints are rolled
    // back or released.
    let scope = code_lines(&src("repository").join("savepoint.rs"));
    let text: Vec<&str> = scope.iter().map(|(_, l)| l.trim()).collect();
    assert!(
        text.iter()
            .any(|l| l.contains("txn: &DatabaseTransaction, work: F")),
        "in_savepoint takes the caller's transaction by reference"
    );
    for (no, line) in &scope {
        if line.contains("\"ROLLBACK") {
            assert!(
                line.contains("\"ROLLBACK TO SAVEPOINT "),
                "savepoint.rs:{no}: {line}"
            );
        }
        if line.contains("\"RELEASE") {
            assert!(
                line.contains("\"RELEASE SAVEPOINT "),
                "savepoint.rs:{no}: {line}"
            );
        }
    }
}

/// Custom SQL in the repository layer is fixed text: never built with
/// `format!`, so no caller string can reach it. (The savepoint helper's
/// statements carry a savepoint name the crate numbers itself, and nothing
/// else: checked here too.)
#[test]
fn repository_sql_is_never_formatted() {
    for (no, line) in code_lines(&src("repository").join("savepoint.rs")) {
        if line.contains("format!(\"") && !line.contains("fds_sp_") {
            let interpolated: Vec<&str> = line
                .split('{')
                .skip(1)
                .map(|p| p.split('}').next().unwrap_or(""))
                .collect();
            assert!(
                interpolated
                    .iter()
                    .all(|v| ["savepoint", "probe"].contains(v)),
                "savepoint.rs:{no}: {line}"
            );
        }
    }
    for file in rust_files(&src("repository"))
        .into_iter()
        .filter(|f| !f.ends_with("savepoint.rs"))
    {
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

// ---------------------------------------------------------------------------
// The import graph of `src/`

/// The largest a file in `src/` may grow: a newcomer reads a file whole.
const MAX_FILE_LINES: usize = 500;

/// The layers of the crate, lowest first: a module may import from its own
/// layer (without a cycle) and from the layers below, never from above.
/// Leaf modules (layer 0) import only other leaves.
const LAYERS: &[(&str, u8)] = &[
    ("error", 0),
    ("ids", 0),
    ("time", 0),
    ("entity", 1),
    ("migration", 2),
    ("repository", 2),
    ("freshdesk", 2),
    ("analytics", 3),
    ("sync", 3),
    ("config", 3),
    ("retry", 3),
    ("load", 3),
    ("rls", 3),
    ("citus", 3),
    ("testing", 4),
];

/// The module path of a source file: `repository::ticket::read` for
/// `src/repository/ticket/read.rs`, `repository::ticket` for its `mod.rs`,
/// `` (the crate root) for `lib.rs`.
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src("")).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// The code of a file outside its `#[cfg(test)]` module, comments removed,
/// as one string.
fn production_code(file: &Path) -> String {
    let lines = code_lines(file);
    let mut out = String::new();
    for (i, (_, line)) in lines.iter().enumerate() {
        let next = lines.get(i + 1).map_or("", |(_, l)| l.trim());
        if line.trim() == "#[cfg(test)]" && next.starts_with("mod ") {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every `crate::`, `super::` and `self::` path in `code`, with `use`
/// groups (`a::{b, c::d}`) expanded, as segment lists.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    fn expand(prefix: &str, group: &str, out: &mut Vec<String>) {
        let mut depth = 0;
        let mut start = 0;
        let bytes: Vec<char> = group.chars().collect();
        let mut items = Vec::new();
        for (i, c) in bytes.iter().enumerate() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(bytes[start..i].iter().collect::<String>());
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.push(bytes[start..].iter().collect::<String>());
        for item in items {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            match item.find('{') {
                Some(at) => {
                    let inner = &item[at + 1..item.rfind('}').unwrap()];
                    expand(&format!("{prefix}{}", &item[..at]), inner, out);
                }
                None => out.push(format!("{prefix}{item}")),
            }
        }
    }
    let mut found = Vec::new();
    // `use` statements, groups expanded.
    for stmt in code.split(';') {
        let stmt = stmt.trim();
        let Some(at) = stmt.find("use ") else {
            continue;
        };
        let before = &stmt[..at];
        if !(before.is_empty()
            || before.ends_with("pub ")
            || before.ends_with(")")
            || before.ends_with('\n')
            || before.ends_with('}')
            || before.ends_with(']'))
        {
            continue;
        }
        let path: String = stmt[at + 4..].split_whitespace().collect();
        match path.find('{') {
            Some(open) => {
                let inner = &path[open + 1..path.rfind('}').unwrap()];
                expand(&path[..open], inner, &mut found);
            }
            None => found.push(path),
        }
    }
    // Paths written inline in code (`crate::entity::instant_value(…)`).
    let chars: Vec<char> = code.chars().collect();
    let text: String = chars.iter().collect();
    for root in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(root) {
            let start = from + at;
            let ok_before = start == 0
                || !text[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            let end = text[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(text.len(), |e| start + e);
            if ok_before {
                found.push(text[start..end].trim_end_matches(':').to_owned());
            }
            from = end.max(start + root.len());
        }
    }
    found
        .into_iter()
        .filter(|p| p.starts_with("crate::") || p.starts_with("super::") || p.starts_with("self::"))
        .map(|p| {
            p.split(" as ")
                .next()
                .unwrap()
                .split("::")
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

/// The import graph of `src/`: module → the modules it names.
fn import_graph() -> (
    std::collections::BTreeSet<String>,
    std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) {
    use std::collections::{BTreeMap, BTreeSet};
    // Unit-test files (`*_tests.rs`, compiled only under `#[cfg(test)]`)
    // may use the test kit; they are not part of the library's graph.
    let files: Vec<_> = rust_files(&src(""))
        .into_iter()
        .filter(|f| {
            !f.file_stem()
                .and_then(|s| s.to_str())
                .is_some_and(|s| s.ends_with("_tests"))
        })
        .collect();
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    // What the crate root re-exports (`crate::Error` is `error`'s).
    let mut root_names: BTreeMap<String, String> = BTreeMap::new();
    for path in paths_in(&production_code(&src("").join("lib.rs"))) {
        if path.len() >= 2 && path[0] == "self" {
            root_names.insert(path.last().unwrap().clone(), path[1].clone());
        }
    }
    let lib = fs::read_to_string(src("").join("lib.rs")).unwrap();
    for line in lib.lines().filter(|l| l.starts_with("pub use ")) {
        let rest = &line["pub use ".len()..];
        let module = rest.split("::").next().unwrap().to_owned();
        let names = rest[module.len()..].trim_start_matches("::");
        for name in names
            .trim_matches(|c| c == '{' || c == '}' || c == ';')
            .split(',')
        {
            root_names.insert(name.trim().trim_end_matches(';').to_owned(), module.clone());
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let me = module_of(file);
        let is_dir_module = matches!(
            file.file_stem().and_then(|s| s.to_str()),
            Some("mod" | "lib")
        );
        let mut edges = BTreeSet::new();
        for path in paths_in(&production_code(file)) {
            let mut base: Vec<String> = if me.is_empty() {
                Vec::new()
            } else {
                me.split("::").map(str::to_owned).collect()
            };
            let mut rest = path.as_slice();
            match rest[0].as_str() {
                "crate" => base.clear(),
                "self" => {
                    if !is_dir_module {
                        // `self` in a file module is that module.
                    }
                }
                "super" => {
                    base.pop();
                }
                _ => unreachable!(),
            }
            rest = &rest[1..];
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
            // The longest prefix that is a module.
            let mut target = base.join("::");
            for seg in rest {
                let next = if target.is_empty() {
                    seg.clone()
                } else {
                    format!("{target}::{seg}")
                };
                if modules.contains(&next) {
                    target = next;
                } else {
                    break;
                }
            }
            if target.is_empty() {
                // An item of the crate root: the module that defines it.
                match rest.first().and_then(|name| root_names.get(name)) {
                    Some(module) => target = module.clone(),
                    None => continue,
                }
            }
            if target != me {
                edges.insert(target);
            }
        }
        graph.insert(me, edges);
    }
    (modules, graph)
}

fn layer_of(module: &str) -> Option<u8> {
    let top = module.split("::").next().unwrap();
    LAYERS.iter().find(|(m, _)| *m == top).map(|(_, l)| *l)
}

/// No module of `src/` imports, directly or through others, a module that
/// imports it back.
///
/// The entities count as one node: SeaORM declares a relation on both of
/// its ends (`ticket` has many `conversation`s, each belongs to its
/// `ticket`), so the table modules of one schema name each other by design.
#[test]
fn the_import_graph_has_no_cycle() {
    let (_, mut graph) = import_graph();
    let entity = |m: &str| {
        if m.starts_with("entity::") {
            "entity".to_owned()
        } else {
            m.to_owned()
        }
    };
    let mut collapsed: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        std::collections::BTreeMap::new();
    for (from, to) in std::mem::take(&mut graph) {
        let from = entity(&from);
        let edges = collapsed.entry(from.clone()).or_default();
        edges.extend(to.iter().map(|t| entity(t)).filter(|t| *t != from));
    }
    let graph = collapsed;
    // Depth-first search; `path` is the current chain.
    fn visit<'a>(
        node: &'a str,
        graph: &'a std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        done: &mut std::collections::BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
        cycles: &mut Vec<String>,
    ) {
        if let Some(at) = path.iter().position(|n| *n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node);
            cycles.push(cycle.join(" → "));
            return;
        }
        if !done.insert(node) {
            return;
        }
        path.push(node);
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, done, path, cycles);
        }
        path.pop();
    }
    let mut cycles = Vec::new();
    let mut done = std::collections::BTreeSet::new();
    for node in graph.keys() {
        visit(node, &graph, &mut done, &mut Vec::new(), &mut cycles);
    }
    assert!(cycles.is_empty(), "module cycles: {cycles:#?}");
    // The check sees the edges it must: the repository imports entities.
    assert!(graph["repository::ticket::read"].contains("entity"));
    assert!(graph["repository::bulk"].contains("repository::savepoint"));
}

/// No arrow climbs a layer: entity ← repository ← analytics / sync, and the
/// leaf modules (`error`, `ids`, `time`) import only leaves.
#[test]
fn no_import_climbs_a_layer() {
    let (modules, graph) = import_graph();
    let mut climbs = Vec::new();
    for module in modules.iter().filter(|m| !m.is_empty()) {
        let Some(mine) = layer_of(module) else {
            climbs.push(format!("`{module}` is in no layer: add it to LAYERS"));
            continue;
        };
        for target in &graph[module] {
            let theirs = layer_of(target).unwrap_or(u8::MAX);
            if theirs > mine {
                climbs.push(format!(
                    "{module} (layer {mine}) → {target} (layer {theirs})"
                ));
            }
        }
    }
    assert!(climbs.is_empty(), "{climbs:#?}");
    assert!(
        graph["analytics::report"]
            .iter()
            .all(|m| layer_of(m) < Some(3) || m.starts_with("analytics"))
    );
}

/// The repository's own modules form no cycle either, and the leaf modules
/// of the repository (limits, savepoint, validate) import nothing of it.
#[test]
fn repository_leaf_modules_import_no_repository_module() {
    let (_, graph) = import_graph();
    for leaf in [
        "repository::limits",
        "repository::savepoint",
        "repository::validate",
    ] {
        let inner: Vec<_> = graph[leaf]
            .iter()
            .filter(|m| m.starts_with("repository"))
            .collect();
        assert!(inner.is_empty(), "{leaf} imports {inner:?}");
    }
}

/// No file in `src/` is longer than [`MAX_FILE_LINES`].
#[test]
fn no_source_file_is_over_the_line_limit() {
    let long: Vec<String> = rust_files(&src(""))
        .into_iter()
        .filter_map(|f| {
            let n = fs::read_to_string(&f).unwrap().lines().count();
            (n > MAX_FILE_LINES).then(|| format!("{}: {n} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "{long:#?}");
}
