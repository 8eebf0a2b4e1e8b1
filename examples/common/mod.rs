//! Argument parsing shared by the examples: `--flag value` and
//! `--flag=value`, errors as one line on stderr and exit code 2; and
//! [`progress`], the progress bar of long work.

#![allow(dead_code)]

pub mod progress;

use std::collections::HashMap;
use std::process::ExitCode;

/// Parsed `--flag value` pairs and bare `--switch`es.
pub struct Args {
    values: HashMap<String, String>,
}

impl Args {
    /// Parses `std::env::args()`; `flags` take a value, `switches` do not.
    pub fn parse(flags: &[&str], switches: &[&str]) -> Result<Self, String> {
        Self::parse_from(std::env::args().skip(1), flags, switches)
    }

    /// Parses the given arguments.
    pub fn parse_from(
        args: impl IntoIterator<Item = String>,
        flags: &[&str],
        switches: &[&str],
    ) -> Result<Self, String> {
        let mut values = HashMap::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(body) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument `{arg}`"));
            };
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (body.to_owned(), None),
            };
            if switches.contains(&name.as_str()) {
                if inline.is_some() {
                    return Err(format!("--{name} takes no value"));
                }
                values.insert(name, String::new());
            } else if flags.contains(&name.as_str()) {
                let value = match inline {
                    Some(v) => v,
                    None => args
                        .next()
                        .ok_or_else(|| format!("--{name} needs a value"))?,
                };
                values.insert(name, value);
            } else {
                return Err(format!("unknown flag `--{name}`"));
            }
        }
        Ok(Self { values })
    }

    /// The value of a flag.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Whether a switch was given.
    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// A flag parsed as a number, with a default.
    pub fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: `{v}` is not a valid number")),
        }
    }

    /// `--database-url`, else `DATABASE_URL`.
    pub fn database_url(&self) -> Option<String> {
        self.get("database-url")
            .map(str::to_owned)
            .or_else(|| std::env::var("DATABASE_URL").ok())
    }
}

/// Prints `error: …` on one line and returns exit code 2.
pub fn fail(message: impl std::fmt::Display) -> ExitCode {
    let text = message.to_string().replace('\n', " ");
    eprintln!("error: {text}");
    ExitCode::from(2)
}
