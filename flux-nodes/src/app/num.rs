//! Numbers read from their JSON text, so that `cpu: 1.2` is exactly 12 tenths (no float).

use serde_json::value::RawValue;

use super::error::{AppError, snippet};

/// Where a value sits, for error messages.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub field: &'static str,
    pub component: Option<&'a str>,
}

impl At<'_> {
    fn component(&self) -> Option<String> {
        self.component.map(str::to_owned)
    }
}

/// Whether a string form (`"8080"`) is accepted for integers (the lenient reader) or not.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strings {
    Accept,
    Reject,
}

/// A non-negative JSON integer (optionally a string of digits) no larger than `max`.
pub(crate) fn int(raw: &RawValue, at: At<'_>, strings: Strings, max: u64) -> Result<u64, AppError> {
    let text = raw.get().trim();
    let bad = || AppError::NotAnInteger {
        field: at.field,
        component: at.component(),
        found: snippet(text),
    };
    let digits = if text.starts_with('"') && strings == Strings::Accept {
        serde_json::from_str::<String>(text).map_err(|_| bad())?
    } else {
        text.to_owned()
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match digits.parse::<u64>() {
        Ok(v) if v <= max => Ok(v),
        _ => Err(bad()),
    }
}

/// Cores in 0.1 steps (`0.5`, `2`, `1.20`) as tenths of a core. Exponents, signs, strings and a
/// second significant decimal are errors.
pub(crate) fn tenths(raw: &RawValue, at: At<'_>) -> Result<u32, AppError> {
    let text = raw.get().trim();
    let bad = || AppError::CpuNotTenths {
        field: at.field,
        component: at.component(),
        found: snippet(text),
    };
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = frac.trim_end_matches('0');
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || frac.len() > 1 {
        return Err(bad());
    }
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let tenth = frac.bytes().next().map_or(0, |b| u32::from(b - b'0'));
    whole
        .checked_mul(10)
        .and_then(|w| w.checked_add(tenth))
        .ok_or_else(bad)
}

/// A port number 1–65535 (a string of digits too, if `strings` accepts it).
pub(crate) fn port(raw: &RawValue, at: At<'_>, strings: Strings) -> Result<u16, AppError> {
    let bad = || AppError::BadPort {
        component: at.component.unwrap_or_default().to_owned(),
        field: at.field,
        found: snippet(raw.get()),
    };
    let v = int(raw, at, strings, u64::from(u16::MAX)).map_err(|_| bad())?;
    match u16::try_from(v) {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(bad()),
    }
}

/// Every entry of a port list.
pub(crate) fn ports(
    raw: &[Box<RawValue>],
    at: At<'_>,
    strings: Strings,
) -> Result<Vec<u16>, AppError> {
    raw.iter().map(|r| port(r, at, strings)).collect()
}

/// Tenths of a core as JSON number text (`12` → `1.2`, `20` → `2`).
pub(crate) fn tenths_text(t: u32) -> String {
    if t.is_multiple_of(10) {
        (t / 10).to_string()
    } else {
        format!("{}.{}", t / 10, t % 10)
    }
}

/// A number as raw JSON (for writing `cpu` exactly).
pub(crate) fn raw_number(text: String) -> Result<Box<RawValue>, AppError> {
    Ok(RawValue::from_string(text)?)
}
