//! `report --format html`, run as people run it (the example binary that
//! `cargo test` builds beside this test), on the embedded demo data:
//!
//! * the page says exactly what `--format json` says for the same
//!   arguments: every figure of the JSON is on the page (its `data-field` /
//!   `data-value` pair) with the same value;
//! * the page is self-contained: no script, no network address;
//! * it looks right in a real browser: headless Chromium (when
//!   `/usr/bin/chromium` is installed; else the test says it was skipped)
//!   takes a screenshot, and the rendered page has no horizontal overflow
//!   and no empty chart, wide (1280 px) and narrow (500 px, headless
//!   Chromium's narrowest window).

#![cfg(feature = "sqlite")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const ARGS: [&str; 4] = ["--now", "2026-11-01T00:00:00Z", "--utc-offset", "+05:30"];

fn report_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples")
        .join(format!("report{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: build the examples first (`cargo build --examples`, or plain `cargo test`)",
        path.display()
    );
    path
}

fn report(format: &str) -> String {
    let out = Command::new(report_binary())
        .env_remove("DATABASE_URL")
        .args(ARGS)
        .args(["--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Undoes the page's escaping of attribute values.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every `data-field="…" data-value="…"` pair of the page.
fn page_fields(html: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for part in html.split("data-field=\"").skip(1) {
        let (path, rest) = part.split_once('"').unwrap();
        let value = rest
            .strip_prefix(" data-value=\"")
            .and_then(|v| v.split_once('"'))
            .map(|(v, _)| v)
            .unwrap_or_else(|| panic!("{path} has no data-value"));
        let old = fields.insert(unescape(path), unescape(value));
        assert!(old.is_none(), "{path} is on the page twice");
    }
    fields
}

/// The JSON's leaves by path (`daily.3.created`).
fn json_leaves(value: &Value, path: String, out: &mut BTreeMap<String, Value>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                json_leaves(v, join(k), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                json_leaves(v, join(&i.to_string()), out);
            }
        }
        leaf => {
            out.insert(path, leaf.clone());
        }
    }
}

#[test]
fn the_page_has_the_json_figures() {
    let json: Value = serde_json::from_str(&report("json")).unwrap();
    let html = report("html");
    let page = page_fields(&html);
    let mut leaves = BTreeMap::new();
    json_leaves(&json, String::new(), &mut leaves);
    assert!(leaves.len() > 100, "{}", leaves.len());
    for (path, value) in &leaves {
        let shown = page
            .get(path)
            .unwrap_or_else(|| panic!("{path} = {value} is not on the page"));
        match value {
            Value::Null => assert_eq!(shown, "null", "{path}"),
            Value::String(s) => assert_eq!(shown, s, "{path}"),
            Value::Number(n) => {
                let on_page: f64 = shown
                    .parse()
                    .unwrap_or_else(|_| panic!("{path}: `{shown}` is not a number"));
                assert_eq!(on_page, n.as_f64().unwrap(), "{path}");
            }
            other => panic!("{path}: unexpected {other}"),
        }
    }
    // And nothing on the page that the JSON does not have.
    for path in page.keys() {
        assert!(leaves.contains_key(path), "{path} is on the page only");
    }
    // The figures are shown to people too, as the table shows them.
    let table = report("table");
    let created = json["tickets_created"].as_u64().unwrap().to_string();
    assert!(table.contains(&created));
    assert!(html.contains(&format!(
        "data-field=\"tickets_created\" data-value=\"{created}\">{created}</b>"
    )));
}

#[test]
fn the_page_is_self_contained() {
    let html = report("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<script",
        "<link",
        "@import",
        "src=\"http",
        "url(",
        "<iframe",
    ] {
        assert!(!lower.contains(banned), "the page has {banned}");
    }
    // The only address is the SVG namespace (a name, never fetched).
    let addresses = lower.matches("http").count();
    let namespaces = lower
        .matches("xmlns=\"http://www.w3.org/2000/svg\"")
        .count();
    assert_eq!(addresses, namespaces);
    assert!(namespaces >= 5, "{namespaces} charts");
    assert!(html.contains("<style>"));
}

/// Runs headless Chromium on `url` with the flags this machine needs.
fn chromium(profile: &Path, size: &str, extra: &[&str], url: &str) -> std::process::Output {
    Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={size}"))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs")
}

/// Measures the rendered page: overflow and each chart's marks. Injected
/// into a copy of the page for the test only (the page itself has none).
const PROBE: &str = r#"<script>
window.addEventListener('load', () => {
  const doc = document.documentElement;
  const lines = ['viewport ' + window.innerWidth, 'scroll ' + doc.scrollWidth];
  document.querySelectorAll('svg.chart').forEach((svg, i) => {
    const box = svg.getBoundingClientRect();
    let marks = 0;
    svg.querySelectorAll('[data-mark]').forEach(m => {
      const b = m.getBBox();
      if (b.width > 0 && b.height > 0) marks++;
    });
    const label = (svg.getAttribute('aria-label') || '').replace(/\s+/g, '_');
    lines.push('chart ' + i + ' ' + label + ' ' + Math.round(box.width) + 'x' + Math.round(box.height) + ' marks ' + marks);
  });
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = lines.join('\n');
  document.body.appendChild(pre);
});
</script>"#;

#[test]
fn the_page_renders_in_headless_chromium() {
    if !Path::new("/usr/bin/chromium").exists() {
        println!("skipped: /usr/bin/chromium is not installed (apt-get install chromium)");
        return;
    }
    let html = report("html");
    let dir = std::env::temp_dir().join(format!("fd-report-html-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("report.html");
    std::fs::write(&page, &html).unwrap();
    let probed = dir.join("probed.html");
    std::fs::write(&probed, html.replace("</body>", &format!("{PROBE}</body>"))).unwrap();

    // A screenshot of the page as people see it.
    let png = dir.join("report.png");
    let out = chromium(
        &dir.join("profile-shot"),
        "1280,2200",
        &[&format!("--screenshot={}", png.display())],
        &format!("file://{}", page.display()),
    );
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert_eq!(width, 1280);
    // A page of text and charts compresses to tens of KB; a blank one to ~10.
    assert!(
        bytes.len() > 40_000,
        "suspiciously small screenshot: {} bytes",
        bytes.len()
    );
    if let Ok(keep) = std::env::var("REPORT_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }

    // Wide and narrow: no horizontal overflow, every chart drawn.
    for size in ["1280,900", "500,900"] {
        let out = chromium(
            &dir.join(format!("profile-{}", size.replace(',', "x"))),
            size,
            &["--dump-dom", "--virtual-time-budget=3000"],
            &format!("file://{}", probed.display()),
        );
        let dom = String::from_utf8_lossy(&out.stdout);
        let probe = dom
            .split("<pre id=\"probe\">")
            .nth(1)
            .and_then(|p| p.split("</pre>").next())
            .unwrap_or_else(|| {
                panic!(
                    "{size}: the probe did not run: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
        let number = |key: &str| -> u64 {
            probe
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        let (viewport, scroll) = (number("viewport "), number("scroll "));
        assert!(
            scroll <= viewport,
            "{size}: the page overflows sideways ({scroll} > {viewport})\n{probe}"
        );
        let charts: Vec<&str> = probe.lines().filter(|l| l.starts_with("chart ")).collect();
        assert!(charts.len() >= 6, "{size}: {probe}");
        for chart in charts {
            let marks: u64 = chart.rsplit(' ').next().unwrap().parse().unwrap();
            assert!(marks > 0, "{size}: empty chart: {chart}");
            let dims = chart.split(' ').nth(3).unwrap();
            let (w, h) = dims.split_once('x').unwrap();
            let (w, h): (u64, u64) = (w.parse().unwrap(), h.parse().unwrap());
            assert!(w > 100 && h > 20, "{size}: chart too small: {chart}");
        }
        println!("{size}: {probe}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
