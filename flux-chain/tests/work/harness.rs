// The network of nodes the job tests drive, included by `work.rs` and `work_sim.rs`.

const FUEL: u64 = 1_000_000;

struct Net {
    chain: Chain<MemStore>,
    owners: Vec<SecretKey>,
    operators: Vec<SecretKey>,
    /// Submits jobs; owns no node.
    citizen: SecretKey,
}

fn net(n: usize) -> Net {
    let ks = keys(2 * n + 1);
    let g = genesis(&ks, 100_000);
    let mut chain = Chain::open_or_create(MemStore::new(), &g).unwrap();
    let owners = ks[..n].to_vec();
    let operators = ks[n..2 * n].to_vec();
    bring_up_nodes(&mut chain, &owners, &operators);
    Net {
        chain,
        owners,
        operators,
        citizen: ks[2 * n].clone(),
    }
}

#[allow(dead_code)] // each test binary that includes the harness uses a part of it
impl Net {
    fn node(&self, i: usize) -> NodeId {
        NodeId::of(&self.operators[i].public_key())
    }

    fn index(&self, node: &NodeId) -> usize {
        (0..self.operators.len())
            .find(|i| self.node(*i) == *node)
            .unwrap()
    }

    fn submit_tx(&self, from: &SecretKey, input: &[u8], fee: Amount) -> Transaction {
        let kind = TxKind::JobSubmit(JobSubmit {
            module: compile_wat(ECHO).unwrap(),
            input: input.to_vec(),
            fuel: FUEL,
            fee,
        });
        sign(from, self.chain.state(), kind)
    }

    fn submit(&mut self, input: &[u8], fee: Amount) -> JobId {
        let tx = self.submit_tx(&self.citizen.clone(), input, fee);
        let id = tx.id().unwrap();
        next(&mut self.chain, vec![tx]);
        id
    }

    fn assigned(&self, job: &JobId) -> Vec<usize> {
        let entry = &self.chain.state().work().jobs[job];
        entry.assigned.iter().map(|n| self.index(n)).collect()
    }

    fn phase(&self, job: &JobId) -> Phase {
        self.chain.state().work().jobs[job].phase
    }

    fn commit_tx(&self, i: usize, job: JobId, outcome: &Outcome) -> Transaction {
        let node = self.node(i);
        let c = commitment(&job, &node, &outcome.result_hash(), &salt(i));
        let kind = TxKind::WorkCommit(WorkCommit {
            job,
            node,
            commitment: c,
        });
        sign(&self.operators[i], self.chain.state(), kind)
    }

    fn reveal_tx(&self, i: usize, job: JobId, outcome: &Outcome, salt: [u8; 32]) -> Transaction {
        let kind = TxKind::WorkReveal(WorkReveal {
            job,
            node: self.node(i),
            outcome: outcome.clone(),
            salt,
        });
        sign(&self.operators[i], self.chain.state(), kind)
    }

    fn tx_error(&self, tx: Transaction) -> TxError {
        let time = self.chain.state().tip().timestamp_ms + 1_000;
        let proposer = &self.owners[0];
        match build_block(self.chain.state(), proposer, time, vec![], vec![tx]) {
            Err(BlockError::Tx { source, .. }) => source,
            other => panic!("expected a transaction error, got {other:?}"),
        }
    }

    fn step(&mut self, txs: Vec<Transaction>) -> Receipts {
        next(&mut self.chain, txs)
    }
}

fn salt(i: usize) -> [u8; 32] {
    [i as u8 + 1; 32]
}

fn honest(input: &[u8]) -> Outcome {
    JobSpec {
        module: compile_wat(ECHO).unwrap(),
        input: input.to_vec(),
        fuel: FUEL,
    }
    .run()
    .unwrap()
}

fn wrong(input: &[u8]) -> Outcome {
    let mut o = honest(input);
    o.output.push(0xff);
    o
}

fn job_events(r: &Receipts) -> Vec<JobEvent> {
    let in_txs = r
        .txs
        .iter()
        .flat_map(|t| &t.events)
        .filter_map(|e| match e {
            Event::Job(j) => Some(j.clone()),
            _ => None,
        });
    in_txs.chain(r.work.iter().cloned()).collect()
}

fn flux(n: u64) -> Amount {
    Amount::from_flux(n).unwrap()
}
