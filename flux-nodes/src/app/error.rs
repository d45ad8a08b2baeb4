//! [`AppError`]: why an app specification could not be read, validated or priced.
//!
//! One variant per rule. Fields say where (`component`, `field`) and what was expected and what
//! came; a limit is the value from `ChainParams.apps` the spec broke.

use flux_core::error::AmountError;
use thiserror::Error;

/// Why an app specification was rejected.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AppError {
    /// The input is not JSON, or not the shape of a spec (wrong type, missing key, unknown key
    /// in strict mode). The message names the key and the position.
    #[error("not a valid app specification: {0}")]
    Json(#[from] serde_json::Error),
    /// The input is JSON, but not an object.
    #[error("an app specification must be a JSON object")]
    NotAnObject,
    /// `version` is not one this reader handles.
    #[error("unsupported app specification version {found} (supported: {supported})")]
    UnsupportedVersion {
        /// The version in the spec.
        found: u64,
        /// The versions this reader accepts, for the message.
        supported: &'static str,
    },
    /// A required key is missing.
    #[error("missing (or null) `{field}`{}", at(component))]
    MissingField {
        /// The key.
        field: &'static str,
        /// The component, when the key belongs to one.
        component: Option<String>,
    },
    /// A number field holds something that is not a non-negative integer of the right size.
    #[error("`{field}`{} must be a whole number, got {found}", at(component))]
    NotAnInteger {
        /// The key.
        field: &'static str,
        /// The component, when the key belongs to one.
        component: Option<String>,
        /// The JSON text found (truncated).
        found: String,
    },
    /// `cpu` is not a number of cores with at most one decimal (0.1-core steps).
    #[error(
        "`{field}`{} must be cores in 0.1 steps (e.g. 0.5), got {found}",
        at(component)
    )]
    CpuNotTenths {
        /// The key (`cpu`, or a tier key such as `cpubasic`).
        field: &'static str,
        /// The component, when the key belongs to one.
        component: Option<String>,
        /// The JSON text found (truncated).
        found: String,
    },
    /// A field has a JSON type this reader cannot use.
    #[error("`{field}`{} has the wrong type: {found}", at(component))]
    WrongType {
        /// The key.
        field: &'static str,
        /// The component, when the key belongs to one.
        component: Option<String>,
        /// The JSON text found (truncated).
        found: String,
    },
    /// The app name is not 3–63 ASCII letters and digits.
    #[error("app name {name:?} must be {min}–{max} ASCII letters and digits")]
    BadName {
        /// The name.
        name: String,
        /// Shortest allowed.
        min: usize,
        /// Longest allowed.
        max: usize,
    },
    /// A component name is empty, too long or not alphanumeric.
    #[error("component name {name:?} must be 1–{max} ASCII letters and digits")]
    BadComponentName {
        /// The name.
        name: String,
        /// Longest allowed.
        max: usize,
    },
    /// Two components share a name.
    #[error("component name {0:?} is used twice")]
    DuplicateComponentName(String),
    /// The spec has no components.
    #[error("`compose` must hold at least one component")]
    NoComponents,
    /// A text field is longer than its limit (characters).
    #[error(
        "`{field}`{} is {len} characters long, at most {max} allowed",
        at(component)
    )]
    TooLong {
        /// The key.
        field: &'static str,
        /// The component, when the key belongs to one.
        component: Option<String>,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A list has more entries than its limit.
    #[error("`{field}`{} has {len} entries, at most {max} allowed", at(component))]
    TooMany {
        /// The key.
        field: &'static str,
        /// The component, when the key belongs to one.
        component: Option<String>,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// One entry of a list is longer than its limit.
    #[error(
        "`{field}`{} entry {index} is {len} characters long, at most {max} allowed",
        at(component)
    )]
    EntryTooLong {
        /// The key (`environmentParameters` or `commands`).
        field: &'static str,
        /// The component, when the key belongs to one.
        component: Option<String>,
        /// Index of the entry.
        index: usize,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `instances` is outside the allowed range.
    #[error("`instances` is {found}, must be {min}–{max}")]
    Instances {
        /// The value.
        found: u64,
        /// Fewest allowed.
        min: u32,
        /// Most allowed.
        max: u32,
    },
    /// `expire` is zero or above the maximum.
    #[error("`expire` is {found} blocks, must be 1–{max}")]
    Expire {
        /// The value.
        found: u64,
        /// The limit.
        max: u64,
    },
    /// `cpu` is zero or above the maximum.
    #[error("component {component:?}: `cpu` is {} cores, must be 0.1–{} cores", tenths(*.found), tenths(*.max))]
    Cpu {
        /// The component.
        component: String,
        /// The value, tenths of a core.
        found: u32,
        /// The limit, tenths of a core.
        max: u32,
    },
    /// `ram` is zero, above the maximum or not a multiple of the step.
    #[error(
        "component {component:?}: `ram` is {found} MB, must be a multiple of {step} MB in {step}–{max}"
    )]
    Ram {
        /// The component.
        component: String,
        /// The value, MB.
        found: u64,
        /// The step, MB.
        step: u64,
        /// The limit, MB.
        max: u64,
    },
    /// `hdd` is zero or above the maximum.
    #[error("component {component:?}: `hdd` is {found} GB, must be 1–{max} GB")]
    Hdd {
        /// The component.
        component: String,
        /// The value, GB.
        found: u64,
        /// The limit, GB.
        max: u64,
    },
    /// `gpuMemory` is set without `gpu`.
    #[error("component {component:?}: `gpuMemory` is {memory_gb} GB but `gpu` is 0")]
    GpuMemoryWithoutGpu {
        /// The component.
        component: String,
        /// The value, GB.
        memory_gb: u64,
    },
    /// A port is 0 or outside 1–65535.
    #[error("component {component:?}: `{field}` holds {found}, not a port number 1–65535")]
    BadPort {
        /// The component.
        component: String,
        /// `ports` or `containerPorts`.
        field: &'static str,
        /// The JSON text found (truncated).
        found: String,
    },
    /// A public port is on the banned list.
    #[error("component {component:?}: port {port} is banned (range {start}–{end})")]
    BannedPort {
        /// The component.
        component: String,
        /// The port.
        port: u16,
        /// First port of the banned range.
        start: u16,
        /// Last port of the banned range.
        end: u16,
    },
    /// Two components (or one twice) publish the same port.
    #[error("port {0} is published twice")]
    DuplicatePort(u16),
    /// `ports` and `containerPorts` differ in length.
    #[error("component {component:?}: {ports} `ports` but {container_ports} `containerPorts`")]
    PortsMismatch {
        /// The component.
        component: String,
        /// Length of `ports`.
        ports: usize,
        /// Length of `containerPorts`.
        container_ports: usize,
    },
    /// More `domains` than `ports`.
    #[error("component {component:?}: {domains} `domains` for {ports} `ports`")]
    DomainsMismatch {
        /// The component.
        component: String,
        /// Length of `domains`.
        domains: usize,
        /// Length of `ports`.
        ports: usize,
    },
    /// A geolocation entry is not `ac…` / `a!c…` with a known location prefix.
    #[error("`geolocation` entry {index} ({found:?}) is not a rule like acEU_DE or a!cEU_DE")]
    BadGeolocation {
        /// Index of the entry.
        index: usize,
        /// The entry (truncated).
        found: String,
    },
    /// A required text field is empty.
    #[error("`{field}`{} must not be empty", at(component))]
    Empty {
        /// The key.
        field: &'static str,
        /// The component, when the key belongs to one.
        component: Option<String>,
    },
    /// A price computation overflowed.
    #[error("price: {0}")]
    Amount(#[from] AmountError),
    /// An update was priced with more blocks remaining than the old spec's lifetime.
    #[error("{remaining} blocks remaining, but the old spec only lasts {expire}")]
    RemainingBeyondExpire {
        /// Blocks remaining.
        remaining: u64,
        /// The old spec's `expire`.
        expire: u64,
    },
}

/// " in component \"x\"" or nothing.
fn at(component: &Option<String>) -> String {
    match component {
        Some(c) => format!(" in component {c:?}"),
        None => String::new(),
    }
}

/// Tenths of a core as decimal text ("1.5").
fn tenths(t: u32) -> String {
    format!("{}.{}", t / 10, t % 10)
}

/// At most 64 characters of `s`, for error messages.
pub(crate) fn snippet(s: &str) -> String {
    s.chars().take(64).collect()
}
