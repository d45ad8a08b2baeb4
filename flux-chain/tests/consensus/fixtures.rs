// Keys, committees and block ids the consensus tests share (included by `consensus.rs`
// and `consensus_scenarios.rs`).

// ---------------------------------------------------------------------------------------------
// Fixtures

fn key(i: u64) -> SecretKey {
    let mut seed = [0x5au8; 32];
    seed[..8].copy_from_slice(&(i + 1).to_le_bytes());
    SecretKey::from_bytes(Scheme::Ed25519, &seed).unwrap()
}

fn committee_of(keys: &[SecretKey], weights: &[u64]) -> Committee {
    let mut members: Vec<Member> = keys
        .iter()
        .zip(weights)
        .map(|(k, w)| Member {
            id: NodeId::of(&k.public_key()),
            key: k.public_key(),
            weight: *w,
        })
        .collect();
    members.sort_by_key(|m| m.id);
    Committee::new(members, Ratio::new(2, 3)).unwrap()
}


fn block(tag: &[u8]) -> BlockId {
    BlockId(Hash::digest(tag))
}
