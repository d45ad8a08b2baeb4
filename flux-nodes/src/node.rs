//! A FluxNode as the registry keeps it: [`NodeId`], [`NodeEntry`], [`Geolocation`], endpoint.

use core::fmt;
use core::str::FromStr;
use std::sync::LazyLock;

use flux_core::crypto::PublicKey;
use flux_core::hash::Tag;
use flux_core::tier::Hardware;
use flux_core::{Address, Amount, Hash, Tier};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::NodeError;
use crate::lifecycle::NodeStatus;

static NODE_ID: LazyLock<Tag> = LazyLock::new(|| Tag::new("flux/node-id/v1"));

/// Most bytes of an endpoint (`host:port`).
pub const MAX_ENDPOINT_LEN: usize = 262;

/// A node's id: the tagged hash of its operator key. One node per operator key.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct NodeId(pub Hash);

impl NodeId {
    /// The id of the node run with `operator`.
    pub fn of(operator: &PublicKey) -> NodeId {
        let mut h = NODE_ID.hasher();
        h.update(&[operator.scheme().tag()])
            .update(operator.as_bytes());
        NodeId(h.finalize())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a node is: `CONTINENT_COUNTRY[_REGION]`, e.g. `EU_DE_Bavaria`.
///
/// Continent is one of `AF AN AS EU NA OC SA`, country an ISO 3166 alpha-2 code (two upper-case
/// letters), region 1 to 32 letters, digits or `-`. App geolocation rules match by prefix.
///
/// ```
/// use flux_nodes::node::Geolocation;
/// let g: Geolocation = "EU_DE_Bavaria".parse()?;
/// assert_eq!((g.continent(), g.country(), g.region()), ("EU", "DE", Some("Bavaria")));
/// assert!("Mars_XX".parse::<Geolocation>().is_err());
/// # Ok::<(), flux_nodes::error::NodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Geolocation(String);

const CONTINENTS: [&str; 7] = ["AF", "AN", "AS", "EU", "NA", "OC", "SA"];

impl Geolocation {
    /// The continent code.
    pub fn continent(&self) -> &str {
        self.0.split('_').next().unwrap_or_default()
    }

    /// The country code.
    pub fn country(&self) -> &str {
        self.0.split('_').nth(1).unwrap_or_default()
    }

    /// The region, if given.
    pub fn region(&self) -> Option<&str> {
        self.0.split('_').nth(2)
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Geolocation {
    type Err = NodeError;

    fn from_str(s: &str) -> Result<Geolocation, NodeError> {
        let bad = || NodeError::Geolocation(s.chars().take(64).collect());
        let parts: Vec<&str> = s.split('_').collect();
        let ok = match parts.as_slice() {
            [c, k] | [c, k, _] => {
                CONTINENTS.contains(c) && k.len() == 2 && k.bytes().all(|b| b.is_ascii_uppercase())
            }
            _ => false,
        };
        let region_ok = parts.get(2).is_none_or(|r| {
            (1..=32).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if ok && region_ok {
            Ok(Geolocation(s.to_owned()))
        } else {
            Err(bad())
        }
    }
}

impl<'de> Deserialize<'de> for Geolocation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Geolocation, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Geolocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a `host:port` endpoint: non-empty host of letters, digits, `.`, `-` (or a bracketed
/// IPv6 address), port 1-65535, at most [`MAX_ENDPOINT_LEN`] bytes.
pub fn check_endpoint(endpoint: &str) -> Result<(), NodeError> {
    let bad = || NodeError::Endpoint(endpoint.chars().take(64).collect());
    if endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(bad());
    }
    let (host, port) = endpoint.rsplit_once(':').ok_or_else(bad)?;
    let port_ok = port.parse::<u16>().is_ok_and(|p| p > 0) && !port.starts_with('0');
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !v6.is_empty()
            && v6
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    };
    if port_ok && host_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// A registered node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeEntry {
    /// Its id (hash of the operator key).
    pub id: NodeId,
    /// Who bonded the collateral and receives the rewards.
    pub owner: Address,
    /// The key the node signs with (confirms, benchmark attestations, votes).
    pub operator: PublicKey,
    /// Its tier.
    pub tier: Tier,
    /// Bonded collateral (exactly the tier's).
    pub collateral: Amount,
    /// `host:port` where peers reach it.
    pub endpoint: String,
    /// Where it is.
    pub geolocation: Geolocation,
    /// Hardware declared at start.
    pub declared: Hardware,
    /// Hardware attested by peers at the last confirm.
    pub attested: Option<Hardware>,
    /// Lifecycle status.
    pub status: NodeStatus,
    /// Height of the start (or restart).
    pub started_at: u64,
    /// Height of the first confirm after the start.
    pub confirmed_at: Option<u64>,
    /// Height of the last confirm (initial or keep-alive).
    pub last_confirm: Option<u64>,
    /// Height of the last payout.
    pub last_paid: Option<u64>,
    /// Height of the last endpoint change.
    pub endpoint_changed_at: Option<u64>,
    /// Height at which the current status began.
    pub status_since: u64,
    /// Height at which the current status's deadline fires: `Started`, the DoS listing;
    /// `Confirmed`, the expiry; `DoS` and `Exiting`, the release; `Expired`, none. Fixed when
    /// it is set (from the parameters in force then), so a governance change of the parameter
    /// that timed it applies to deadlines set after the change, and the registry's deadline
    /// indexes are a function of the entries alone.
    pub deadline: Option<u64>,
    /// First height at which a keep-alive confirm is accepted (confirmed nodes only), fixed by
    /// the last confirm or a later endpoint change, like [`deadline`](Self::deadline).
    pub keepalive_from: Option<u64>,
    /// Consensus heights at which this node was slashed for equivocation (one slash each).
    pub slashed: Vec<u64>,
}

impl NodeEntry {
    /// The heights, inclusive, at which a keep-alive confirm of this node is accepted: `None`
    /// unless it is confirmed. The window was fixed by its last confirm (or endpoint change),
    /// whatever governance changed since.
    pub fn keepalive_window(&self) -> Option<(u64, u64)> {
        if self.status != NodeStatus::Confirmed {
            return None;
        }
        let last = self.deadline?.checked_sub(1)?;
        Some((self.keepalive_from.unwrap_or(0), last))
    }
}

/// An app's geolocation rule: `ac<CONTINENT>[_<COUNTRY>[_<REGION>]]` allows nodes there,
/// `a!c<CONTINENT>[_<COUNTRY>[_<REGION>]]` forbids them. Rules match by whole components:
/// `acEU_DE` matches `EU_DE` and `EU_DE_Bavaria`, not `EU_DK`.
///
/// ```
/// use flux_nodes::node::{GeoRule, Geolocation, geo_allows};
/// let berlin: Geolocation = "EU_DE_Berlin".parse()?;
/// let rules: Vec<GeoRule> = vec!["acEU".parse()?, "a!cEU_DE".parse()?];
/// assert!(!geo_allows(&rules, &berlin));
/// assert!(geo_allows(&rules, &"EU_FR".parse()?));
/// assert!(!geo_allows(&rules, &"NA_US".parse()?));
/// # Ok::<(), flux_nodes::error::NodeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GeoRule {
    /// Nodes under this prefix are allowed.
    Allow(Vec<String>),
    /// Nodes under this prefix are forbidden.
    Forbid(Vec<String>),
}

impl GeoRule {
    /// The prefix components.
    pub fn prefix(&self) -> &[String] {
        match self {
            GeoRule::Allow(p) | GeoRule::Forbid(p) => p,
        }
    }

    /// Whether `location` is under this rule's prefix.
    pub fn covers(&self, location: &Geolocation) -> bool {
        let parts = location.as_str().split('_');
        let prefix = self.prefix();
        prefix.len() <= 3
            && prefix
                .iter()
                .zip(parts)
                .filter(|(a, b)| a.as_str() == *b)
                .count()
                == prefix.len()
    }
}

/// Whether `location` passes `rules`: no forbid rule covers it and, if there are allow rules,
/// one of them does.
pub fn geo_allows(rules: &[GeoRule], location: &Geolocation) -> bool {
    let forbidden = rules
        .iter()
        .any(|r| matches!(r, GeoRule::Forbid(_)) && r.covers(location));
    let allows: Vec<&GeoRule> = rules
        .iter()
        .filter(|r| matches!(r, GeoRule::Allow(_)))
        .collect();
    !forbidden && (allows.is_empty() || allows.iter().any(|r| r.covers(location)))
}

impl FromStr for GeoRule {
    type Err = NodeError;

    fn from_str(s: &str) -> Result<GeoRule, NodeError> {
        let bad = || NodeError::GeoRule(s.chars().take(64).collect());
        let (allow, rest) = if let Some(r) = s.strip_prefix("a!c") {
            (false, r)
        } else if let Some(r) = s.strip_prefix("ac") {
            (true, r)
        } else {
            return Err(bad());
        };
        let parts: Vec<String> = rest.split('_').map(str::to_owned).collect();
        // The prefix must itself be a valid location prefix (continent, country, region).
        let valid = match parts.as_slice() {
            [c] => CONTINENTS.contains(&c.as_str()),
            _ => parts.len() <= 3 && rest.parse::<Geolocation>().is_ok(),
        };
        if !valid {
            return Err(bad());
        }
        Ok(if allow {
            GeoRule::Allow(parts)
        } else {
            GeoRule::Forbid(parts)
        })
    }
}

impl fmt::Display for GeoRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self {
            GeoRule::Allow(_) => "ac",
            GeoRule::Forbid(_) => "a!c",
        };
        write!(f, "{tag}{}", self.prefix().join("_"))
    }
}

impl Serialize for GeoRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GeoRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<GeoRule, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The network a node is in, for spreading an app's instances: the /16 of an IPv4 address,
/// the /32 of an IPv6 address, or the host name itself. Two nodes in one network share a fate
/// (one provider, one outage).
///
/// ```
/// use flux_nodes::node::network_of;
/// assert_eq!(network_of("203.0.113.7:16127"), network_of("203.0.9.9:80"));
/// assert_ne!(network_of("203.0.113.7:16127"), network_of("203.1.113.7:16127"));
/// ```
pub fn network_of(endpoint: &str) -> u64 {
    let host = endpoint.rsplit_once(':').map_or(endpoint, |(h, _)| h);
    if let Ok(v4) = host.parse::<std::net::Ipv4Addr>() {
        let [a, b, _, _] = v4.octets();
        return (1 << 32) | (u64::from(a) << 8) | u64::from(b);
    }
    let inner = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(v6) = inner.parse::<std::net::Ipv6Addr>() {
        let seg = v6.segments();
        return (2 << 32) | (u64::from(seg[0]) << 16) | u64::from(seg[1]);
    }
    let digest = Hash::tagged("flux/node/network/v1", host.to_ascii_lowercase().as_bytes());
    let mut b = [0u8; 4];
    b.copy_from_slice(&digest.as_bytes()[..4]);
    (3 << 32) | u64::from(u32::from_le_bytes(b))
}
