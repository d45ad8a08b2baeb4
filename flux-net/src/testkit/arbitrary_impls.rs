//! `arbitrary::Arbitrary` for flux-net's wire messages (gossip and sync frames), drawn field by
//! field in their canonical shape: what a byzantine peer could send.

use crate::message::{Decided, Message};

flux_core::arbitrary_via_serde!(Message, Decided);
