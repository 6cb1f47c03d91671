//! BERT and DistilBERT sequence classifiers, forward and backward, in the manner of llm.c:
//! each layer an explicit sequence of kernel calls, shapes in the comments. Post-LayerNorm
//! encoder layers; head: BERT's tanh pooler or DistilBERT's ReLU pre-classifier on the first
//! token, dropout, classifier. Dropout sites and indices follow `wick_engine::rng::stream`.

use super::acts::Acts;
use super::params::{ParamStore, Which};
use crate::buf::Buf;
use crate::kernels::attention::{attention_backward, attention_forward, AttnShape};
use crate::kernels::elementwise::{
    dropout, dropout_add, dropout_inplace, gelu_backward, gelu_forward, relu_backward,
    relu_forward, tanh_backward, tanh_forward, Dropout,
};
use crate::kernels::embedding::{embedding_backward, embedding_forward};
use crate::kernels::layernorm::{layernorm_backward, layernorm_forward};
use crate::kernels::loss::loss_forward_backward;
use crate::kernels::matmul::{linear_backward, linear_forward};
use crate::recorder::Recorder;
use wick_engine::model::{ModelConfig, ModelType};
use wick_engine::rng::stream;
use wick_engine::Result;

/// One encoder layer's tensors (parameters, or their gradients: the same layout).
pub struct LayerWeights {
    pub qkv_w: Buf, // [3C, C] query, key, value weights joined
    pub qkv_b: Buf, // [3C]
    pub ao_w: Buf,  // [C, C] attention output projection
    pub ao_b: Buf,  // [C]
    pub ln1_w: Buf, // [C]
    pub ln1_b: Buf, // [C]
    pub fc_w: Buf,  // [F, C]
    pub fc_b: Buf,  // [F]
    pub fo_w: Buf,  // [C, F]
    pub fo_b: Buf,  // [C]
    pub ln2_w: Buf, // [C]
    pub ln2_b: Buf, // [C]
}

/// The model's tensors as views into the parameter store.
pub struct Weights {
    pub word: Buf,        // [V, C]
    pub pos: Buf,         // [P, C]
    pub typ: Option<Buf>, // [types, C] (BERT only)
    pub ln_w: Buf,        // [C]
    pub ln_b: Buf,        // [C]
    pub layers: Vec<LayerWeights>,
    pub pool_w: Buf, // [C, C] BERT pooler / DistilBERT pre-classifier
    pub pool_b: Buf, // [C]
    pub cls_w: Buf,  // [L, C]
    pub cls_b: Buf,  // [L]
}

impl Weights {
    pub fn new(store: &ParamStore, cfg: &ModelConfig, which: Which) -> Result<Weights> {
        let v = |name: &str| store.view(name, 1, which);
        let v3 = |name: &str| store.view(name, 3, which);
        let bert = cfg.model_type == ModelType::Bert;
        let e = if bert {
            "bert.embeddings"
        } else {
            "distilbert.embeddings"
        };
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for i in 0..cfg.num_hidden_layers {
            let (q, ao, ln1, fc, fo, ln2) = if bert {
                let p = format!("bert.encoder.layer.{i}");
                (
                    format!("{p}.attention.self.query"),
                    format!("{p}.attention.output.dense"),
                    format!("{p}.attention.output.LayerNorm"),
                    format!("{p}.intermediate.dense"),
                    format!("{p}.output.dense"),
                    format!("{p}.output.LayerNorm"),
                )
            } else {
                let p = format!("distilbert.transformer.layer.{i}");
                (
                    format!("{p}.attention.q_lin"),
                    format!("{p}.attention.out_lin"),
                    format!("{p}.sa_layer_norm"),
                    format!("{p}.ffn.lin1"),
                    format!("{p}.ffn.lin2"),
                    format!("{p}.output_layer_norm"),
                )
            };
            layers.push(LayerWeights {
                qkv_w: v3(&format!("{q}.weight"))?,
                qkv_b: v3(&format!("{q}.bias"))?,
                ao_w: v(&format!("{ao}.weight"))?,
                ao_b: v(&format!("{ao}.bias"))?,
                ln1_w: v(&format!("{ln1}.weight"))?,
                ln1_b: v(&format!("{ln1}.bias"))?,
                fc_w: v(&format!("{fc}.weight"))?,
                fc_b: v(&format!("{fc}.bias"))?,
                fo_w: v(&format!("{fo}.weight"))?,
                fo_b: v(&format!("{fo}.bias"))?,
                ln2_w: v(&format!("{ln2}.weight"))?,
                ln2_b: v(&format!("{ln2}.bias"))?,
            });
        }
        let pool = if bert {
            "bert.pooler.dense"
        } else {
            "pre_classifier"
        };
        Ok(Weights {
            word: v(&format!("{e}.word_embeddings.weight"))?,
            pos: v(&format!("{e}.position_embeddings.weight"))?,
            typ: if bert && cfg.type_vocab_size > 0 {
                Some(v(&format!("{e}.token_type_embeddings.weight"))?)
            } else {
                None
            },
            ln_w: v(&format!("{e}.LayerNorm.weight"))?,
            ln_b: v(&format!("{e}.LayerNorm.bias"))?,
            layers,
            pool_w: v(&format!("{pool}.weight"))?,
            pool_b: v(&format!("{pool}.bias"))?,
            cls_w: v("classifier.weight")?,
            cls_b: v("classifier.bias")?,
        })
    }
}

/// The dropout of every site for one step (all off without a seed).
pub struct Dropouts {
    pub emb: Dropout,
    pub att: Vec<Dropout>,
    pub att_out: Vec<Dropout>,
    pub ffn: Vec<Dropout>,
    pub cls: Dropout,
}

impl Dropouts {
    pub fn new(cfg: &ModelConfig, seed: Option<u32>) -> Dropouts {
        let n = cfg.num_hidden_layers;
        let hidden = cfg.hidden_dropout_prob;
        // DistilBERT has no dropout after the attention projection.
        let att_out = if cfg.model_type == ModelType::Bert {
            hidden
        } else {
            0.0
        };
        Dropouts {
            emb: Dropout::new(seed, stream::EMBEDDINGS, hidden),
            att: (0..n)
                .map(|l| {
                    Dropout::new(
                        seed,
                        stream::attention_probs(l),
                        cfg.attention_probs_dropout_prob,
                    )
                })
                .collect(),
            att_out: (0..n)
                .map(|l| Dropout::new(seed, stream::attention_output(l), att_out))
                .collect(),
            ffn: (0..n)
                .map(|l| Dropout::new(seed, stream::ffn_output(l), hidden))
                .collect(),
            cls: Dropout::new(seed, stream::classifier(n), cfg.classifier_dropout),
        }
    }
}

/// The batch's shape.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub b: usize,
    pub t: usize,
}

/// Segments of the word, position and type groupings (for the embedding backward).
pub type Segments = [usize; 3];

// logits [B, L] from the batch in `a` (ids, types, mask [B, T])
pub fn forward(
    rec: &mut Recorder,
    cfg: &ModelConfig,
    w: &Weights,
    a: &Acts,
    s: Shape,
    d: &Dropouts,
) {
    let (c, f) = (cfg.hidden_size, cfg.intermediate_size);
    let (b, t) = (s.b, s.t);
    let bt = b * t;
    let eps = cfg.layer_norm_eps;
    let attn = AttnShape {
        b,
        t,
        heads: cfg.num_attention_heads,
        head_dim: c / cfg.num_attention_heads,
    };

    // Embeddings: h0 = dropout(LN(word + position + type))
    embedding_forward(
        rec,
        &a.emb,
        &a.ids,
        &a.types,
        &w.word,
        &w.pos,
        w.typ.as_ref(),
        bt,
        t,
        c,
    );
    layernorm_forward(
        rec,
        &a.h0,
        &a.emb_mean,
        &a.emb_rstd,
        &a.emb,
        &w.ln_w,
        &w.ln_b,
        bt,
        c,
        eps,
    );
    dropout_inplace(rec, &a.h0, bt * c, d.emb);

    for (l, (lw, la)) in w.layers.iter().zip(&a.layers).enumerate() {
        let x = a.layer_input(l);
        // Self-attention: h1 = LN(dropout(attn(x) Wo + bo) + x)
        linear_forward(rec, &la.qkv, x, c, &lw.qkv_w, Some(&lw.qkv_b), bt, 3 * c, c);
        attention_forward(
            rec,
            &la.ctx,
            &la.att,
            &a.att_drop,
            &la.qkv,
            &a.mask,
            attn,
            d.att[l],
        );
        linear_forward(rec, &a.proj, &la.ctx, c, &lw.ao_w, Some(&lw.ao_b), bt, c, c);
        dropout_add(rec, &la.r1, &a.proj, x, bt * c, d.att_out[l]);
        layernorm_forward(
            rec, &la.h1, &la.mean1, &la.rstd1, &la.r1, &lw.ln1_w, &lw.ln1_b, bt, c, eps,
        );
        // Feed-forward: h2 = LN(dropout(gelu(h1 W1 + b1) W2 + b2) + h1)
        linear_forward(rec, &la.fc, &la.h1, c, &lw.fc_w, Some(&lw.fc_b), bt, f, c);
        gelu_forward(rec, &la.gelu, &la.fc, bt * f);
        linear_forward(
            rec,
            &a.proj,
            &la.gelu,
            f,
            &lw.fo_w,
            Some(&lw.fo_b),
            bt,
            c,
            f,
        );
        dropout_add(rec, &la.r2, &a.proj, &la.h1, bt * c, d.ffn[l]);
        layernorm_forward(
            rec, &la.h2, &la.mean2, &la.rstd2, &la.r2, &lw.ln2_w, &lw.ln2_b, bt, c, eps,
        );
    }

    // Head on the first token of each row (rows T*C apart): pooled = act(h[:, 0] Wp + bp)
    let h = a.last_hidden();
    linear_forward(
        rec,
        &a.pooled,
        h,
        t * c,
        &w.pool_w,
        Some(&w.pool_b),
        b,
        c,
        c,
    );
    match cfg.model_type {
        ModelType::Bert => tanh_forward(rec, &a.pooled, b * c),
        ModelType::DistilBert => relu_forward(rec, &a.pooled, b * c),
    }
    dropout(rec, &a.pooled_drop, &a.pooled, b * c, d.cls);
    linear_forward(
        rec,
        &a.logits,
        &a.pooled_drop,
        c,
        &w.cls_w,
        Some(&w.cls_b),
        b,
        cfg.num_labels,
        c,
    );
}

// Loss of logits [B, L] against labels [B] (stats[0] += mean loss), and every gradient added
// into `g` (the parameter gradients). Follows `forward` in reverse.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    rec: &mut Recorder,
    cfg: &ModelConfig,
    w: &Weights,
    g: &Weights,
    a: &Acts,
    stats: &Buf,
    s: Shape,
    d: &Dropouts,
    segments: Segments,
    accumulation: usize,
) {
    let (c, f, nl) = (cfg.hidden_size, cfg.intermediate_size, cfg.num_labels);
    let (b, t) = (s.b, s.t);
    let bt = b * t;
    let attn = AttnShape {
        b,
        t,
        heads: cfg.num_attention_heads,
        head_dim: c / cfg.num_attention_heads,
    };

    // Head.
    loss_forward_backward(
        rec,
        &a.dlogits,
        stats,
        &a.logits,
        &a.labels,
        b,
        nl,
        accumulation,
    );
    linear_backward(
        rec,
        &a.dpooled,
        &g.cls_w,
        Some(&g.cls_b),
        &a.dlogits,
        &a.pooled_drop,
        c,
        &w.cls_w,
        b,
        nl,
        c,
        false,
    );
    dropout_inplace(rec, &a.dpooled, b * c, d.cls);
    match cfg.model_type {
        ModelType::Bert => tanh_backward(rec, &a.dpooled, &a.pooled, b * c),
        ModelType::DistilBert => relu_backward(rec, &a.dpooled, &a.pooled, b * c),
    }
    // Only the first token of each row receives a gradient from the head.
    rec.clear(&a.g_a);
    let h = a.last_hidden();
    linear_backward(
        rec,
        &a.g_a,
        &g.pool_w,
        Some(&g.pool_b),
        &a.dpooled,
        h,
        t * c,
        &w.pool_w,
        b,
        c,
        c,
        false,
    );

    // Encoder layers in reverse; g_a holds d(layer output) on entry and d(layer input) on exit.
    for l in (0..w.layers.len()).rev() {
        let (lw, lg, la) = (&w.layers[l], &g.layers[l], &a.layers[l]);
        let x = a.layer_input(l);
        // Feed-forward.
        layernorm_backward(
            rec, &a.g_b, &lg.ln2_w, &lg.ln2_b, &a.g_a, &la.r2, &la.mean2, &la.rstd2, &lw.ln2_w, bt,
            c,
        );
        dropout(rec, &a.dproj, &a.g_b, bt * c, d.ffn[l]);
        linear_backward(
            rec,
            &a.dfc,
            &lg.fo_w,
            Some(&lg.fo_b),
            &a.dproj,
            &la.gelu,
            f,
            &lw.fo_w,
            bt,
            c,
            f,
            false,
        );
        gelu_backward(rec, &a.dfc, &la.fc, bt * f);
        linear_backward(
            rec,
            &a.g_b,
            &lg.fc_w,
            Some(&lg.fc_b),
            &a.dfc,
            &la.h1,
            c,
            &lw.fc_w,
            bt,
            f,
            c,
            true,
        );
        // Self-attention.
        layernorm_backward(
            rec, &a.g_a, &lg.ln1_w, &lg.ln1_b, &a.g_b, &la.r1, &la.mean1, &la.rstd1, &lw.ln1_w, bt,
            c,
        );
        dropout(rec, &a.dproj, &a.g_a, bt * c, d.att_out[l]);
        linear_backward(
            rec,
            &a.dctx,
            &lg.ao_w,
            Some(&lg.ao_b),
            &a.dproj,
            &la.ctx,
            c,
            &lw.ao_w,
            bt,
            c,
            c,
            false,
        );
        attention_backward(
            rec,
            &a.dqkv,
            &a.datt,
            &a.att_drop,
            &a.dctx,
            &la.qkv,
            &la.att,
            attn,
            d.att[l],
        );
        linear_backward(
            rec,
            &a.g_a,
            &lg.qkv_w,
            Some(&lg.qkv_b),
            &a.dqkv,
            x,
            c,
            &lw.qkv_w,
            bt,
            3 * c,
            c,
            true,
        );
    }

    // Embeddings.
    dropout(rec, &a.g_b, &a.g_a, bt * c, d.emb);
    layernorm_backward(
        rec,
        &a.g_a,
        &g.ln_w,
        &g.ln_b,
        &a.g_b,
        &a.emb,
        &a.emb_mean,
        &a.emb_rstd,
        &w.ln_w,
        bt,
        c,
    );
    let [(wo, ws), (po, ps), (to, ts)] = &a.groups;
    embedding_backward(rec, &g.word, &a.g_a, wo, ws, segments[0], c);
    embedding_backward(rec, &g.pos, &a.g_a, po, ps, segments[1], c);
    if let Some(gt) = &g.typ {
        embedding_backward(rec, gt, &a.g_a, to, ts, segments[2], c);
    }
}
