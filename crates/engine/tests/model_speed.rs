//! Speed of one training step of the CPU backend on all-MiniLM-L6-v2 (forward, backward,
//! clipping, AdamW), batch 8 of MRPC pairs. Ignored by default (a benchmark, not a check):
//! `cargo test --release -p wick-engine --test model_speed -- --ignored --nocapture`.

mod model_common;

use model_common::*;
use wick_engine::backend::Backend;
use wick_engine::collate::Batch;
use wick_engine::model::CpuBackend;
use wick_engine::optim::AdamWConfig;
use wick_engine::testing::minilm_dir;

/// The reference batch cut to `seq` tokens per row (masks and types cut alike).
fn truncated(batch: &Batch, seq: usize) -> Batch {
    let cut = |v: &[u32]| {
        v.chunks(batch.seq_len)
            .flat_map(|row| row[..seq].to_vec())
            .collect()
    };
    Batch {
        seq_len: seq,
        input_ids: cut(&batch.input_ids),
        token_type_ids: cut(&batch.token_type_ids),
        attention_mask: cut(&batch.attention_mask),
        ..batch.clone()
    }
}

#[test]
#[ignore]
fn minilm_training_step_speed() {
    let r = reference("minilm");
    let (config, weights) = checkpoint(&minilm_dir());
    let (mut be, _) = CpuBackend::load(&config, &weights, 2, None, 42).unwrap();
    let cfg = AdamWConfig::default();
    for seq in [r.batch.seq_len, 60] {
        let batch = truncated(&r.batch.batch(), seq);
        let step = |be: &mut CpuBackend, s: u64| {
            be.accumulate(&batch, 1, Some(s as u32)).unwrap();
            be.step(5e-5, &cfg).unwrap();
        };
        step(&mut be, 0); // warm-up
        let n = 5;
        let start = std::time::Instant::now();
        for s in 0..n {
            step(&mut be, s + 1);
        }
        let secs = start.elapsed().as_secs_f64() / n as f64;
        let examples = batch.batch_size as f64 / secs;
        eprintln!(
            "minilm train step, batch {} x {seq}: {:.0} ms/step, {examples:.1} examples/s, {:.0} tokens/s",
            batch.batch_size,
            secs * 1e3,
            examples * seq as f64
        );
    }
}
