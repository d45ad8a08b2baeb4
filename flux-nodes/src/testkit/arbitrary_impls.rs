//! `arbitrary::Arbitrary` for flux-nodes' consensus and wire types.

use arbitrary::{Arbitrary, Unstructured};
use flux_core::Hash;
use flux_core::crypto::PublicKey;

use crate::app::{AppSpec, Component, Enterprise, Tiers};
use crate::attestation::{Attestation, BenchmarkEvidence};
use crate::lifecycle::NodeStatus;
use crate::node::{Geolocation, NodeEntry, NodeId};

impl<'a> Arbitrary<'a> for NodeId {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(NodeId(Hash::arbitrary(u)?))
    }
}

const CONTINENTS: [&str; 7] = ["AF", "AN", "AS", "EU", "NA", "OC", "SA"];

impl<'a> Arbitrary<'a> for Geolocation {
    /// Always a valid geolocation: a continent, two upper-case letters, sometimes a region.
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let continent = u.choose(&CONTINENTS)?;
        let a = char::from(u.int_in_range(b'A'..=b'Z')?);
        let b = char::from(u.int_in_range(b'A'..=b'Z')?);
        let mut text = format!("{continent}_{a}{b}");
        if u.arbitrary()? {
            let len = u.int_in_range(1..=8)?;
            text.push('_');
            for _ in 0..len {
                text.push(char::from(
                    *u.choose(b"abcdefghijklmnopqrstuvwxyz0123456789-")?,
                ));
            }
        }
        text.parse().map_err(|_| arbitrary::Error::IncorrectFormat)
    }
}

impl<'a> Arbitrary<'a> for NodeEntry {
    /// Any entry with a consistent id (the hash of its operator key) and a valid geolocation;
    /// the rest (tier, collateral, heights, status) is arbitrary.
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let operator = PublicKey::arbitrary(u)?;
        let a = u.int_in_range(1u8..=254)?;
        let b = u.int_in_range(1u8..=254)?;
        Ok(NodeEntry {
            id: NodeId::of(&operator),
            owner: u.arbitrary()?,
            operator,
            tier: u.arbitrary()?,
            collateral: u.arbitrary()?,
            endpoint: format!("10.{a}.{b}.1:16127"),
            geolocation: u.arbitrary()?,
            declared: u.arbitrary()?,
            attested: u.arbitrary()?,
            status: u.arbitrary()?,
            started_at: u.arbitrary()?,
            confirmed_at: u.arbitrary()?,
            last_confirm: u.arbitrary()?,
            last_paid: u.arbitrary()?,
            endpoint_changed_at: u.arbitrary()?,
            status_since: u.arbitrary()?,
            deadline: u.arbitrary()?,
            keepalive_from: u.arbitrary()?,
            slashed: u.arbitrary()?,
        })
    }
}

flux_core::arbitrary_via_serde!(
    NodeStatus,
    Attestation,
    BenchmarkEvidence,
    AppSpec,
    Component,
    Enterprise,
    Tiers,
);
