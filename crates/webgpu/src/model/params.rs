//! The parameters on the device: transformers' names and shapes, packed into chunks (each one
//! storage binding) with the gradient, and AdamW's moments in the same layout. Chunks hold
//! either decayed or non-decayed parameters, so one AdamW dispatch per chunk needs no flags.

use crate::backend_error;
use crate::buf::{Buf, ALIGN_WORDS};
use crate::gpu::Gpu;
use wick_engine::backend::NamedTensor;
use wick_engine::model::{ModelConfig, ModelType};
use wick_engine::Result;

/// One parameter tensor.
#[derive(Clone, Debug)]
pub struct ParamSpec {
    pub name: String,
    pub shape: Vec<usize>,
    /// Weight decay applies (not to biases and LayerNorm weights, as transformers' Trainer).
    pub decay: bool,
    /// Placed right after the previous tensor (no padding), so both bind as one buffer
    /// (query/key/value weights become one [3C, C] matrix: one fused QKV matmul).
    pub joined: bool,
}

impl ParamSpec {
    fn new(name: String, shape: &[usize], decay: bool, joined: bool) -> ParamSpec {
        ParamSpec {
            name,
            shape: shape.to_vec(),
            decay,
            joined,
        }
    }
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
}

/// Every trainable tensor of the model, in the order `weights()` returns them.
pub fn param_specs(cfg: &ModelConfig) -> Vec<ParamSpec> {
    let (c, f, l) = (cfg.hidden_size, cfg.intermediate_size, cfg.num_labels);
    let mut v = Vec::new();
    let linear = |v: &mut Vec<ParamSpec>, name: &str, out: usize, inp: usize| {
        v.push(ParamSpec::new(
            format!("{name}.weight"),
            &[out, inp],
            true,
            false,
        ));
        v.push(ParamSpec::new(format!("{name}.bias"), &[out], false, false));
    };
    let layernorm = |v: &mut Vec<ParamSpec>, name: &str| {
        v.push(ParamSpec::new(format!("{name}.weight"), &[c], false, false));
        v.push(ParamSpec::new(format!("{name}.bias"), &[c], false, false));
    };
    // Q, K, V weights joined, then their biases joined.
    let qkv = |v: &mut Vec<ParamSpec>, names: [String; 3]| {
        for (i, n) in names.iter().enumerate() {
            v.push(ParamSpec::new(format!("{n}.weight"), &[c, c], true, i > 0));
        }
        for (i, n) in names.iter().enumerate() {
            v.push(ParamSpec::new(format!("{n}.bias"), &[c], false, i > 0));
        }
    };
    match cfg.model_type {
        ModelType::Bert => {
            let e = "bert.embeddings";
            v.push(ParamSpec::new(
                format!("{e}.word_embeddings.weight"),
                &[cfg.vocab_size, c],
                true,
                false,
            ));
            v.push(ParamSpec::new(
                format!("{e}.position_embeddings.weight"),
                &[cfg.max_position_embeddings, c],
                true,
                false,
            ));
            if cfg.type_vocab_size > 0 {
                v.push(ParamSpec::new(
                    format!("{e}.token_type_embeddings.weight"),
                    &[cfg.type_vocab_size, c],
                    true,
                    false,
                ));
            }
            layernorm(&mut v, &format!("{e}.LayerNorm"));
            for i in 0..cfg.num_hidden_layers {
                let p = format!("bert.encoder.layer.{i}");
                qkv(
                    &mut v,
                    ["query", "key", "value"].map(|n| format!("{p}.attention.self.{n}")),
                );
                linear(&mut v, &format!("{p}.attention.output.dense"), c, c);
                layernorm(&mut v, &format!("{p}.attention.output.LayerNorm"));
                linear(&mut v, &format!("{p}.intermediate.dense"), f, c);
                linear(&mut v, &format!("{p}.output.dense"), c, f);
                layernorm(&mut v, &format!("{p}.output.LayerNorm"));
            }
            linear(&mut v, "bert.pooler.dense", c, c);
        }
        ModelType::DistilBert => {
            let e = "distilbert.embeddings";
            v.push(ParamSpec::new(
                format!("{e}.word_embeddings.weight"),
                &[cfg.vocab_size, c],
                true,
                false,
            ));
            v.push(ParamSpec::new(
                format!("{e}.position_embeddings.weight"),
                &[cfg.max_position_embeddings, c],
                true,
                false,
            ));
            layernorm(&mut v, &format!("{e}.LayerNorm"));
            for i in 0..cfg.num_hidden_layers {
                let p = format!("distilbert.transformer.layer.{i}");
                qkv(
                    &mut v,
                    ["q_lin", "k_lin", "v_lin"].map(|n| format!("{p}.attention.{n}")),
                );
                linear(&mut v, &format!("{p}.attention.out_lin"), c, c);
                layernorm(&mut v, &format!("{p}.sa_layer_norm"));
                linear(&mut v, &format!("{p}.ffn.lin1"), f, c);
                linear(&mut v, &format!("{p}.ffn.lin2"), c, f);
                layernorm(&mut v, &format!("{p}.output_layer_norm"));
            }
            linear(&mut v, "pre_classifier", c, c);
        }
    }
    linear(&mut v, "classifier", l, c);
    v
}

/// Where a tensor lives: chunk and word offset.
#[derive(Clone, Debug)]
struct Place {
    chunk: usize,
    offset: usize,
}

/// One storage binding's worth of parameters, gradients and moments.
pub struct Chunk {
    pub decay: bool,
    pub len: usize,
    pub param: Buf,
    pub grad: Buf,
    pub m: Buf,
    pub v: Buf,
}

/// Parameters, gradients and AdamW moments on the device.
pub struct ParamStore {
    pub specs: Vec<ParamSpec>,
    places: Vec<Place>,
    pub chunks: Vec<Chunk>,
}

/// Which of a parameter's buffers a view is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    Param,
    Grad,
    /// AdamW's first moment (`exp_avg`).
    M,
    /// AdamW's second moment (`exp_avg_sq`).
    V,
}

impl Chunk {
    fn buf(&self, which: Which) -> &Buf {
        match which {
            Which::Param => &self.param,
            Which::Grad => &self.grad,
            Which::M => &self.m,
            Which::V => &self.v,
        }
    }
}

impl ParamStore {
    /// Place `specs` into chunks no larger than the device's storage binding and upload the
    /// values from `weights` (by name; extra tensors are ignored, missing ones are an error).
    pub fn new(gpu: &Gpu, specs: Vec<ParamSpec>, weights: &[NamedTensor]) -> Result<ParamStore> {
        let max_words = ((gpu
            .limits
            .max_storage_buffer_binding_size
            .min(gpu.limits.max_buffer_size)
            / 4) as usize)
            / ALIGN_WORDS
            * ALIGN_WORDS;
        // (decay class) -> index of the open chunk; chunk lengths while placing.
        let mut open: [Option<usize>; 2] = [None, None];
        let mut lens: Vec<(bool, usize)> = Vec::new();
        let mut places: Vec<Place> = Vec::with_capacity(specs.len());
        let mut i = 0;
        while i < specs.len() {
            let group_end = (i + 1..specs.len())
                .find(|&j| !specs[j].joined)
                .unwrap_or(specs.len());
            let group_len: usize = specs[i..group_end].iter().map(ParamSpec::len).sum();
            let decay = specs[i].decay;
            if group_len > max_words {
                return Err(backend_error(format!(
                    "{} ({:?}) needs a storage binding of {} MB; the adapter allows {} MB \
                     (max_storage_buffer_binding_size)",
                    specs[i].name,
                    specs[i].shape,
                    group_len * 4 >> 20,
                    max_words * 4 >> 20
                )));
            }
            let slot = &mut open[decay as usize];
            let fits = slot
                .is_some_and(|c| lens[c].1.next_multiple_of(ALIGN_WORDS) + group_len <= max_words);
            if !fits {
                lens.push((decay, 0));
                *slot = Some(lens.len() - 1);
            }
            let c = slot.unwrap_or_default();
            let mut offset = lens[c].1.next_multiple_of(ALIGN_WORDS);
            for s in &specs[i..group_end] {
                places.push(Place { chunk: c, offset });
                offset += s.len();
            }
            lens[c].1 = offset;
            i = group_end;
        }

        let mut host: Vec<Vec<f32>> = lens.iter().map(|&(_, n)| vec![0.0; n]).collect();
        for (s, p) in specs.iter().zip(&places) {
            let t = weights.iter().find(|t| t.name == s.name).ok_or_else(|| {
                wick_engine::Error::Model(format!("{}: missing from the weights", s.name))
            })?;
            if t.shape != s.shape || t.data.len() != s.len() {
                return Err(wick_engine::Error::Model(format!(
                    "{}: shape {:?} ({} values), the config expects {:?}",
                    s.name,
                    t.shape,
                    t.data.len(),
                    s.shape
                )));
            }
            host[p.chunk][p.offset..p.offset + s.len()].copy_from_slice(&t.data);
        }
        let mut chunks = Vec::with_capacity(lens.len());
        for (i, &(decay, len)) in lens.iter().enumerate() {
            let param = gpu.upload(&format!("params {i}"), &host[i])?;
            let grad = gpu.zeros(&format!("grads {i}"), len)?;
            let m = gpu.zeros(&format!("adam m {i}"), len)?;
            let v = gpu.zeros(&format!("adam v {i}"), len)?;
            chunks.push(Chunk {
                decay,
                len,
                param,
                grad,
                m,
                v,
            });
        }
        Ok(ParamStore {
            specs,
            places,
            chunks,
        })
    }

    /// Index of the tensor named `name`.
    pub fn index(&self, name: &str) -> Result<usize> {
        self.specs
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| backend_error(format!("no parameter named {name}")))
    }

    /// A view of tensor `name` (and the `count - 1` tensors joined after it).
    pub fn view(&self, name: &str, count: usize, which: Which) -> Result<Buf> {
        let i = self.index(name)?;
        let p = &self.places[i];
        let len: usize = self.specs[i..i + count].iter().map(ParamSpec::len).sum();
        Ok(self.chunks[p.chunk].buf(which).slice(p.offset, len))
    }

    /// Every tensor, read back (parameters, AdamW's moments, or gradients for tests).
    pub async fn read(&self, gpu: &Gpu, which: Which) -> Result<Vec<NamedTensor>> {
        let bufs: Vec<&Buf> = self.chunks.iter().map(|c| c.buf(which)).collect();
        let host = gpu.read_many(&bufs).await?;
        Ok(self
            .specs
            .iter()
            .zip(&self.places)
            .map(|(s, p)| NamedTensor {
                name: s.name.clone(),
                shape: s.shape.clone(),
                data: host[p.chunk][p.offset..p.offset + s.len()].to_vec(),
            })
            .collect())
    }

    /// Overwrite every tensor of `which` with `values` (one slice per spec, in `specs` order,
    /// each of the spec's length), chunk by chunk (queued: seen by the next submission).
    pub fn write(&self, gpu: &Gpu, which: Which, values: &[&[f32]]) -> Result<()> {
        if values.len() != self.specs.len() {
            return Err(backend_error(format!(
                "{} tensors given for {} parameters",
                values.len(),
                self.specs.len()
            )));
        }
        let mut host: Vec<Vec<f32>> = self.chunks.iter().map(|c| vec![0.0; c.len]).collect();
        for ((s, p), data) in self.specs.iter().zip(&self.places).zip(values) {
            if data.len() != s.len() {
                return Err(backend_error(format!(
                    "{}: {} values given, the parameter has {}",
                    s.name,
                    data.len(),
                    s.len()
                )));
            }
            host[p.chunk][p.offset..p.offset + s.len()].copy_from_slice(data);
        }
        for (c, data) in self.chunks.iter().zip(&host) {
            gpu.write(c.buf(which), data);
        }
        Ok(())
    }
}
