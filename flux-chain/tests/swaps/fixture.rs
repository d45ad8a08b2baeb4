// The swap tests' chain of four validators and three funded users, and their helpers (blocks
// that check the books, attestations, swap transactions); included by `swaps.rs` and
// `swaps_in.rs`.

struct Fixture {
    chain: Chain<MemStore>,
    validators: Vec<ValidatorKeys>,
    users: Vec<SecretKey>,
}

fn fixture() -> Fixture {
    let validators: Vec<ValidatorKeys> = (0..4)
        .map(|i| ValidatorKeys::derive(11, i).unwrap())
        .collect();
    let users = keys(3);
    let funded: Vec<(Address, Amount)> = users
        .iter()
        .map(|k| (address(k), Amount::from_flux(1_000_000).unwrap()))
        .collect();
    let genesis = Genesis::with_validators(
        Network::Devnet,
        ChainId::DEVNET,
        1_000,
        &validators,
        &funded,
    )
    .unwrap();
    let mut chain = Chain::open_or_create(MemStore::new(), &genesis).unwrap();
    next(&mut chain, vec![]); // block 1 draws the attesting committee of epoch 0
    Fixture {
        chain,
        validators,
        users,
    }
}

/// The next block with `txs`; checks conservation and the books after it.
fn next<S: Store>(chain: &mut Chain<S>, txs: Vec<Transaction>) -> Receipts {
    let receipts = common::next(chain, txs);
    check_books(chain);
    receipts
}

fn check_books<S: Store>(chain: &Chain<S>) {
    let s = chain.state();
    for chain_id in ExternalChain::ALL {
        let book = s.parallel().book(chain_id);
        assert_eq!(book.issued, book.locked, "issued == locked on {chain_id}");
    }
    assert!(s.ledger().supply <= s.params().supply.max_supply, "cap");
}

fn try_next<S: Store>(chain: &mut Chain<S>, txs: Vec<Transaction>) -> Result<Receipts, TxError> {
    let proposer_keys = keys(1);
    let proposer = &proposer_keys[0];
    let time = chain.state().tip().timestamp_ms + 1_000;
    match build_block(chain.state(), proposer, time, vec![], txs) {
        Ok(block) => {
            let r = chain.apply(&block).unwrap();
            check_books(chain);
            Ok(r)
        }
        Err(BlockError::Tx { source, .. }) => Err(source),
        Err(e) => panic!("block error {e}"),
    }
}

fn swap_error(e: TxError) -> SwapError {
    match e {
        TxError::Swap(s) => s,
        other => panic!("expected a swap error, got {other}"),
    }
}

fn flux(n: u64) -> Amount {
    Amount::from_flux(n).unwrap()
}

/// The attestation of `statement` by the validators at `signers` (indices), sorted by node id.
fn attest(f: &Fixture, statement: &Statement, signers: &[usize], epoch: u64) -> Attestation {
    let mut signatures: Vec<(NodeId, SwapSignature)> = signers
        .iter()
        .map(|&i| {
            let v = &f.validators[i];
            let swap = swap_key(i);
            let sig = sign_attestation(&v.operator, Some(&swap), ChainId::DEVNET, statement);
            (NodeId::of(&v.operator.public_key()), sig.unwrap())
        })
        .collect();
    signatures.sort_by_key(|(id, _)| *id);
    Attestation { epoch, signatures }
}

fn swap_key(i: usize) -> SecretKey {
    SecretKey::from_bytes(Scheme::Secp256k1, &[i as u8 + 40; 32]).unwrap()
}

fn swap_out(
    f: &Fixture,
    user: usize,
    chain: ExternalChain,
    to: Vec<u8>,
    amount: Amount,
) -> Transaction {
    sign(
        &f.users[user],
        f.chain.state(),
        TxKind::SwapOut(SwapOut { chain, to, amount }),
    )
}
