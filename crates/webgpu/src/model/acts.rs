//! Activation, gradient-scratch and batch buffers, sized for the largest batch seen so far
//! (`Capacity`) and reused while dynamic padding changes the length batch to batch. Growing
//! replaces them (and forgets cached bind groups); that happens a few times per run at most.

use crate::backend_error;
use crate::buf::Buf;
use crate::gpu::Gpu;
use wick_engine::model::ModelConfig;
use wick_engine::Result;

/// Rows and sequence length the buffers hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub b: usize,
    pub t: usize,
}

/// What one encoder layer keeps from the forward for its backward (llm.c's naming in words).
pub struct LayerActs {
    pub qkv: Buf,   // [B, T, 3C]
    pub att: Buf,   // [B, H, T, T] softmax probabilities (before dropout)
    pub ctx: Buf,   // [B, T, C] attention output, heads merged
    pub r1: Buf,    // [B, T, C] dropout(attention projection) + input
    pub h1: Buf,    // [B, T, C] LayerNorm(r1)
    pub mean1: Buf, // [B, T]
    pub rstd1: Buf, // [B, T]
    pub fc: Buf,    // [B, T, F] before GELU
    pub gelu: Buf,  // [B, T, F]
    pub r2: Buf,    // [B, T, C] dropout(FFN output) + h1
    pub h2: Buf,    // [B, T, C] LayerNorm(r2): the layer's output
    pub mean2: Buf, // [B, T]
    pub rstd2: Buf, // [B, T]
}

/// Every buffer of a step except the parameters.
pub struct Acts {
    pub cap: Capacity,
    // Batch inputs.
    pub ids: Buf,                // [B, T] u32
    pub types: Buf,              // [B, T] u32
    pub mask: Buf,               // [B, T] u32
    pub labels: Buf,             // [B] f32
    pub groups: [(Buf, Buf); 3], // (order [B*T], segs [3*B*T]) for word, position, type ids
    // Embeddings.
    pub emb: Buf,      // [B, T, C] word + position + type
    pub emb_mean: Buf, // [B, T]
    pub emb_rstd: Buf, // [B, T]
    pub h0: Buf,       // [B, T, C] dropout(LayerNorm(emb)): the first layer's input
    pub layers: Vec<LayerActs>,
    // Head.
    pub pooled: Buf,      // [B, C] after tanh (BERT) or ReLU (DistilBERT)
    pub pooled_drop: Buf, // [B, C]
    pub logits: Buf,      // [B, L]
    // Backward scratch.
    pub att_drop: Buf, // [B, H, T, T] dropout(P), recomputed
    pub datt: Buf,     // [B, H, T, T]
    pub proj: Buf,     // [B, T, C] output of a projection before dropout + residual
    pub dproj: Buf,    // [B, T, C]
    pub dctx: Buf,     // [B, T, C]
    pub dqkv: Buf,     // [B, T, 3C]
    pub dfc: Buf,      // [B, T, F]
    pub g_a: Buf,      // [B, T, C] residual-stream gradient (ping)
    pub g_b: Buf,      // [B, T, C] (pong)
    pub dlogits: Buf,  // [B, L]
    pub dpooled: Buf,  // [B, C]
}

impl Acts {
    pub fn new(gpu: &Gpu, cfg: &ModelConfig, cap: Capacity) -> Result<Acts> {
        let (b, t) = (cap.b, cap.t);
        let (c, f, h, l) = (
            cfg.hidden_size,
            cfg.intermediate_size,
            cfg.num_attention_heads,
            cfg.num_labels,
        );
        let bt = b * t;
        let att = b * h * t * t;
        let max = gpu.limits.max_storage_buffer_binding_size / 4;
        for (what, words) in [
            ("attention scores [B, H, T, T]", att),
            ("FFN activations [B, T, F]", bt * f),
        ] {
            if words as u64 > max {
                return Err(backend_error(format!(
                    "a batch of {b} x {t} tokens needs {what} of {} MB; the adapter allows {} MB per \
                     storage binding: use a smaller batch size or max_length",
                    words * 4 >> 20,
                    max * 4 >> 20
                )));
            }
        }
        let z = |label: &str, n: usize| gpu.zeros(label, n);
        let group = |label: &str| -> Result<(Buf, Buf)> { Ok((z(label, bt)?, z(label, 3 * bt)?)) };
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let n = |what: &str| format!("layer {i} {what}");
            layers.push(LayerActs {
                qkv: z(&n("qkv"), bt * 3 * c)?,
                att: z(&n("att"), att)?,
                ctx: z(&n("ctx"), bt * c)?,
                r1: z(&n("r1"), bt * c)?,
                h1: z(&n("h1"), bt * c)?,
                mean1: z(&n("mean1"), bt)?,
                rstd1: z(&n("rstd1"), bt)?,
                fc: z(&n("fc"), bt * f)?,
                gelu: z(&n("gelu"), bt * f)?,
                r2: z(&n("r2"), bt * c)?,
                h2: z(&n("h2"), bt * c)?,
                mean2: z(&n("mean2"), bt)?,
                rstd2: z(&n("rstd2"), bt)?,
            });
        }
        Ok(Acts {
            cap,
            ids: z("ids", bt)?,
            types: z("types", bt)?,
            mask: z("mask", bt)?,
            labels: z("labels", b)?,
            groups: [
                group("word ids")?,
                group("position ids")?,
                group("type ids")?,
            ],
            emb: z("emb", bt * c)?,
            emb_mean: z("emb mean", bt)?,
            emb_rstd: z("emb rstd", bt)?,
            h0: z("h0", bt * c)?,
            layers,
            pooled: z("pooled", b * c)?,
            pooled_drop: z("pooled drop", b * c)?,
            logits: z("logits", b * l)?,
            att_drop: z("att drop", att)?,
            datt: z("datt", att)?,
            proj: z("proj", bt * c)?,
            dproj: z("dproj", bt * c)?,
            dctx: z("dctx", bt * c)?,
            dqkv: z("dqkv", bt * 3 * c)?,
            dfc: z("dfc", bt * f)?,
            g_a: z("grad a", bt * c)?,
            g_b: z("grad b", bt * c)?,
            dlogits: z("dlogits", b * l)?,
            dpooled: z("dpooled", b * c)?,
        })
    }

    /// The input of layer `l` (the embeddings' output for the first).
    pub fn layer_input(&self, l: usize) -> &Buf {
        if l == 0 {
            &self.h0
        } else {
            &self.layers[l - 1].h2
        }
    }

    /// The encoder's output.
    pub fn last_hidden(&self) -> &Buf {
        self.layer_input(self.layers.len())
    }
}
