//! `DataCollatorWithPadding`: pad each batch to its own longest row, and the train sampler.
//! (`Batch` is a shared contract: backends and the UI use it.)
//!
//! Rows come from a `TokenizedSplit` (unpadded); a `BatchSampler` says which rows form each
//! batch; `DataCollatorWithPadding::collate` turns them into a `Batch`.

use crate::tokenize::TokenizedSplit;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// One padded batch, row-major `[batch_size, seq_len]`, plain integers the UI can draw and a
/// backend can upload. `token_type_ids` is all zeros for models without segments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub batch_size: usize,
    pub seq_len: usize,
    pub input_ids: Vec<u32>,
    pub token_type_ids: Vec<u32>,
    pub attention_mask: Vec<u32>,
    /// Class ids as f32 (classification) or targets (regression, `num_labels == 1`); empty when
    /// the rows have no labels (the test split, a user's own pair).
    pub labels: Vec<f32>,
}

/// transformers' `DataCollatorWithPadding`: pads the rows of one batch to the batch's longest
/// row (rounded up to `pad_to_multiple_of` when set): `input_ids` with the pad id,
/// `token_type_ids` and `attention_mask` with 0, on the right as BERT tokenizers pad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataCollatorWithPadding {
    pub pad_token_id: u32,
    pub pad_to_multiple_of: Option<usize>,
}

impl DataCollatorWithPadding {
    pub fn new(pad_token_id: u32) -> Self {
        DataCollatorWithPadding {
            pad_token_id,
            pad_to_multiple_of: None,
        }
    }

    /// Round every batch's length up to a multiple of `multiple` (8 suits tensor cores).
    pub fn with_pad_to_multiple_of(mut self, multiple: usize) -> Self {
        self.pad_to_multiple_of = (multiple > 1).then_some(multiple);
        self
    }

    /// The padded length of a batch whose longest row has `longest` tokens.
    pub fn padded_len(&self, longest: usize) -> usize {
        match self.pad_to_multiple_of {
            Some(m) => longest.div_ceil(m) * m,
            None => longest,
        }
    }

    /// The batch of `rows` (indices into `split`, in this order).
    pub fn collate(&self, split: &TokenizedSplit, rows: &[usize]) -> Result<Batch> {
        if rows.is_empty() {
            return Err(Error::Invalid(
                "collate: a batch needs at least one row".into(),
            ));
        }
        if let Some(&bad) = rows.iter().find(|&&r| r >= split.len()) {
            return Err(Error::Invalid(format!(
                "collate: row {bad} is out of range for a split of {} rows",
                split.len()
            )));
        }
        let longest = rows
            .iter()
            .map(|&r| split.input_ids[r].len())
            .max()
            .unwrap_or(0);
        let seq_len = self.padded_len(longest);
        let cells = rows.len() * seq_len;
        let mut batch = Batch {
            batch_size: rows.len(),
            seq_len,
            input_ids: Vec::with_capacity(cells),
            token_type_ids: Vec::with_capacity(cells),
            attention_mask: Vec::with_capacity(cells),
            labels: Vec::new(),
        };
        for &r in rows {
            let ids = &split.input_ids[r];
            let pad = seq_len - ids.len();
            batch.input_ids.extend_from_slice(ids);
            batch
                .input_ids
                .extend(std::iter::repeat_n(self.pad_token_id, pad));
            match &split.token_type_ids {
                Some(types) => batch.token_type_ids.extend_from_slice(&types[r]),
                None => batch
                    .token_type_ids
                    .extend(std::iter::repeat_n(0, ids.len())),
            }
            batch.token_type_ids.extend(std::iter::repeat_n(0, pad));
            batch
                .attention_mask
                .extend(std::iter::repeat_n(1, ids.len()));
            batch.attention_mask.extend(std::iter::repeat_n(0, pad));
        }
        if !split.labels.is_empty() {
            batch.labels = rows.iter().map(|&r| split.labels[r]).collect();
        }
        Ok(batch)
    }
}

/// Which rows go into which batch, epoch by epoch: PyTorch's `DataLoader` with a
/// `RandomSampler` (training: a fresh shuffle every epoch) or a `SequentialSampler`
/// (evaluation: in order). Nothing is dropped: the last batch may be short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchSampler {
    num_rows: usize,
    batch_size: usize,
    /// `Some(seed)` shuffles; the order of epoch `e` depends only on (seed, e).
    shuffle_seed: Option<u64>,
}

impl BatchSampler {
    /// Shuffled batches for training, reproducible from `seed`.
    pub fn train(num_rows: usize, batch_size: usize, seed: u64) -> Result<Self> {
        Self::new(num_rows, batch_size, Some(seed))
    }

    /// Batches in row order, for evaluation and prediction.
    pub fn eval(num_rows: usize, batch_size: usize) -> Result<Self> {
        Self::new(num_rows, batch_size, None)
    }

    fn new(num_rows: usize, batch_size: usize, shuffle_seed: Option<u64>) -> Result<Self> {
        if batch_size == 0 {
            return Err(Error::Invalid("batch_size must be at least 1".into()));
        }
        Ok(BatchSampler {
            num_rows,
            batch_size,
            shuffle_seed,
        })
    }

    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Batches per epoch (the last one may be short).
    pub fn num_batches(&self) -> usize {
        self.num_rows.div_ceil(self.batch_size)
    }

    /// The row indices of every batch of epoch `epoch` (0-based).
    pub fn epoch(&self, epoch: u64) -> Vec<Vec<usize>> {
        let order: Vec<usize> = match self.shuffle_seed {
            Some(seed) => shuffled(self.num_rows, seed, epoch),
            None => (0..self.num_rows).collect(),
        };
        order
            .chunks(self.batch_size)
            .map(<[usize]>::to_vec)
            .collect()
    }
}

/// A permutation of `0..n` by Fisher-Yates, determined by (seed, epoch) alone.
pub fn shuffled(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut rng = SplitMix64(seed ^ SplitMix64(epoch).next_u64());
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    order
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, the same on every platform.
/// Only the sampler uses it; dropout and initialisation use the counter-based `rng`.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` by multiply-shift (Lemire); the bias, below n / 2^64, is immaterial.
    fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

/// What dynamic padding saves, as the course shows: token slots when each batch is padded to
/// its own longest row, against padding every row to the split's longest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaddingStats {
    pub rows: usize,
    pub batches: usize,
    /// Tokens that are not padding.
    pub real_tokens: usize,
    /// The split's longest row, in tokens.
    pub longest: usize,
    /// Token slots with dynamic padding: the sum of `batch_size * seq_len` over the batches.
    pub dynamic_tokens: usize,
    /// Token slots when every row is padded to the split's longest (with the same rounding).
    pub padded_to_longest_tokens: usize,
}

impl PaddingStats {
    /// Measure `batches` (one epoch of a `BatchSampler`) of `split` under `collator`.
    pub fn measure(
        split: &TokenizedSplit,
        batches: &[Vec<usize>],
        collator: &DataCollatorWithPadding,
    ) -> Result<Self> {
        let len = |r: usize| {
            split.input_ids.get(r).map(Vec::len).ok_or_else(|| {
                Error::Invalid(format!(
                    "padding stats: row {r} of a split of {}",
                    split.len()
                ))
            })
        };
        let (mut rows, mut real_tokens, mut dynamic_tokens) = (0, 0, 0);
        for batch in batches {
            let mut longest = 0;
            for &r in batch {
                let n = len(r)?;
                real_tokens += n;
                longest = longest.max(n);
            }
            rows += batch.len();
            dynamic_tokens += batch.len() * collator.padded_len(longest);
        }
        let longest = split.longest();
        Ok(PaddingStats {
            rows,
            batches: batches.len(),
            real_tokens,
            longest,
            dynamic_tokens,
            padded_to_longest_tokens: rows * collator.padded_len(longest),
        })
    }

    /// Padding tokens with dynamic padding.
    pub fn dynamic_padding(&self) -> usize {
        self.dynamic_tokens - self.real_tokens
    }

    /// Padding tokens when every row is padded to the split's longest.
    pub fn padding_to_longest(&self) -> usize {
        self.padded_to_longest_tokens - self.real_tokens
    }

    /// The fraction of token slots dynamic padding saves (0 when there is nothing to save).
    pub fn saved_fraction(&self) -> f64 {
        if self.padded_to_longest_tokens == 0 {
            return 0.0;
        }
        1.0 - self.dynamic_tokens as f64 / self.padded_to_longest_tokens as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of lengths 3, 5, 2 and 7; the second segment starts at the middle of each row.
    fn split(with_types: bool) -> TokenizedSplit {
        let lens = [3usize, 5, 2, 7];
        let input_ids = lens
            .iter()
            .map(|&n| (0..n as u32).map(|i| 100 + i).collect())
            .collect();
        let types = lens
            .iter()
            .map(|&n| (0..n).map(|i| u32::from(i >= n / 2)).collect())
            .collect();
        TokenizedSplit {
            input_ids,
            token_type_ids: with_types.then_some(types),
            labels: vec![0.0, 1.0, 1.0, 0.0],
        }
    }

    #[test]
    fn collate_pads_to_the_batch_longest_row() {
        let batch = DataCollatorWithPadding::new(9)
            .collate(&split(true), &[2, 1])
            .unwrap();
        assert_eq!((batch.batch_size, batch.seq_len), (2, 5));
        assert_eq!(
            batch.input_ids,
            [100, 101, 9, 9, 9, 100, 101, 102, 103, 104]
        );
        assert_eq!(batch.token_type_ids, [0, 1, 0, 0, 0, 0, 0, 1, 1, 1]);
        assert_eq!(batch.attention_mask, [1, 1, 0, 0, 0, 1, 1, 1, 1, 1]);
        assert_eq!(batch.labels, [1.0, 1.0]);
    }

    #[test]
    fn collate_without_token_types_or_labels_gives_zeros_and_no_labels() {
        let mut rows = split(false);
        rows.labels.clear();
        let batch = DataCollatorWithPadding::new(0)
            .collate(&rows, &[0, 2])
            .unwrap();
        assert_eq!(batch.token_type_ids, [0; 6]);
        assert_eq!(batch.attention_mask, [1, 1, 1, 1, 1, 0]);
        assert!(batch.labels.is_empty());
    }

    #[test]
    fn collate_pads_to_a_multiple_of_eight() {
        let collator = DataCollatorWithPadding::new(0).with_pad_to_multiple_of(8);
        let batch = collator.collate(&split(true), &[0, 1]).unwrap();
        assert_eq!(batch.seq_len, 8);
        assert_eq!(batch.input_ids.len(), 16);
        assert_eq!(batch.attention_mask.iter().sum::<u32>(), 8);
        assert_eq!((collator.padded_len(8), collator.padded_len(9)), (8, 16));
        assert_eq!(
            DataCollatorWithPadding::new(0)
                .with_pad_to_multiple_of(1)
                .padded_len(5),
            5
        );
    }

    #[test]
    fn collate_rejects_empty_batches_and_rows_out_of_range() {
        let collator = DataCollatorWithPadding::new(0);
        assert!(matches!(
            collator.collate(&split(true), &[]),
            Err(Error::Invalid(_))
        ));
        let err = collator
            .collate(&split(true), &[1, 4])
            .unwrap_err()
            .to_string();
        assert!(err.contains("row 4") && err.contains("4 rows"), "{err}");
    }

    #[test]
    fn eval_batches_are_in_order_and_keep_the_short_last_batch() {
        let sampler = BatchSampler::eval(10, 4).unwrap();
        assert_eq!(sampler.num_batches(), 3);
        let batches = sampler.epoch(0);
        assert_eq!(batches, [vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
        assert_eq!(sampler.epoch(5), batches);
        assert!(BatchSampler::eval(0, 8).unwrap().epoch(0).is_empty());
        assert!(matches!(
            BatchSampler::train(10, 0, 1),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn train_batches_cover_every_row_once_and_reshuffle_each_epoch() {
        let sampler = BatchSampler::train(101, 8, 42).unwrap();
        let epoch0 = sampler.epoch(0);
        assert_eq!(epoch0.len(), 13);
        assert_eq!(epoch0.last().unwrap().len(), 5);
        let mut rows: Vec<usize> = epoch0.concat();
        assert_ne!(rows, (0..101).collect::<Vec<_>>());
        rows.sort_unstable();
        assert_eq!(rows, (0..101).collect::<Vec<_>>());
        assert_eq!(BatchSampler::train(101, 8, 42).unwrap().epoch(0), epoch0);
        assert_ne!(sampler.epoch(1), epoch0);
        assert_ne!(BatchSampler::train(101, 8, 43).unwrap().epoch(0), epoch0);
    }

    #[test]
    fn shuffle_is_uniform_over_permutations() {
        // 24 permutations of 4 rows, 24_000 shuffles: each count is ~1000 (sd ~31).
        let mut counts = std::collections::HashMap::new();
        for seed in 0..24_000u64 {
            *counts.entry(shuffled(4, seed, 3)).or_insert(0usize) += 1;
        }
        assert_eq!(counts.len(), 24);
        for (perm, n) in counts {
            assert!((850..1150).contains(&n), "{perm:?} drawn {n} times");
        }
    }

    #[test]
    fn padding_stats_compare_dynamic_padding_with_padding_to_the_longest() {
        let rows = split(true);
        let batches = vec![vec![0, 1], vec![2, 3]];
        let stats =
            PaddingStats::measure(&rows, &batches, &DataCollatorWithPadding::new(0)).unwrap();
        assert_eq!((stats.rows, stats.batches, stats.longest), (4, 2, 7));
        assert_eq!(
            (
                stats.real_tokens,
                stats.dynamic_tokens,
                stats.padded_to_longest_tokens
            ),
            (17, 24, 28)
        );
        assert_eq!(
            (stats.dynamic_padding(), stats.padding_to_longest()),
            (7, 11)
        );
        assert!((stats.saved_fraction() - 4.0 / 28.0).abs() < 1e-12);

        let by8 = DataCollatorWithPadding::new(0).with_pad_to_multiple_of(8);
        let stats = PaddingStats::measure(&rows, &batches, &by8).unwrap();
        assert_eq!(
            (stats.dynamic_tokens, stats.padded_to_longest_tokens),
            (32, 32)
        );
        assert!(PaddingStats::measure(&rows, &[vec![9]], &by8).is_err());
    }

    #[test]
    fn padding_stats_count_the_slots_of_the_collated_batches() {
        let rows = split(true);
        let collator = DataCollatorWithPadding::new(0);
        let batches = BatchSampler::train(rows.len(), 3, 7).unwrap().epoch(2);
        let stats = PaddingStats::measure(&rows, &batches, &collator).unwrap();
        let collated: Vec<Batch> = batches
            .iter()
            .map(|b| collator.collate(&rows, b).unwrap())
            .collect();
        let slots: usize = collated.iter().map(|b| b.input_ids.len()).sum();
        let real: u32 = collated.iter().flat_map(|b| &b.attention_mask).sum();
        assert_eq!(
            (stats.dynamic_tokens, stats.real_tokens),
            (slots, real as usize)
        );
    }
}
