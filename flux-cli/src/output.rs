//! Printing: text for people, JSON for scripts.

use std::io::Write;

use serde::Serialize;

use crate::error::CliError;

/// Where a command prints, and in which form.
pub struct Output<W: Write> {
    out: W,
    json: bool,
}

impl<W: Write> Output<W> {
    /// Prints to `out`, as JSON when `json`.
    pub fn new(out: W, json: bool) -> Output<W> {
        Output { out, json }
    }

    /// Whether JSON was asked for.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Prints `value` as pretty JSON when JSON was asked for, else the `text` lines.
    pub fn emit<T: Serialize>(&mut self, value: &T, text: &str) -> Result<(), CliError> {
        if self.json {
            serde_json::to_writer_pretty(&mut self.out, value)?;
            writeln!(self.out)?;
        } else {
            self.out.write_all(text.as_bytes())?;
        }
        Ok(())
    }

    /// Prints `rows` as aligned `label: value` lines.
    pub fn table(rows: &[(&str, String)]) -> String {
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
        rows.iter()
            .map(|(k, v)| format!("{:<width$} {v}\n", format!("{k}:")))
            .collect()
    }
}
