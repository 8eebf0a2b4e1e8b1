//! The `report` example's argument parsing, defaults, errors and output:
//! its source is compiled here as a module so that its `#[cfg(test)]`
//! tests run with `cargo test`.

#[allow(dead_code)]
#[path = "../examples/report.rs"]
mod report_example;
