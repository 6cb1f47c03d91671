//! `DistilBertForSequenceClassification`, as transformers computes it in eager mode.
//!
//! ```text
//! embeddings: x = LayerNorm(word[ids] + position[0..seq]); dropout      (no segments)
//! layer l:    a = dropout(softmax(Q K^T / sqrt(head_dim) + mask))     (ops::attention)
//!             x = LayerNorm(x + Linear_out(a V))                       (no dropout here)
//!             x = LayerNorm(x + dropout(Linear_2(gelu(Linear_1(x)))))
//! head:       p = relu(Linear_pre(x[:, 0])); dropout(seq_classif_dropout)
//!             logits = Linear_c(p)
//! ```
//!
//! Dropout streams: `EMBEDDINGS, attention_probs(l), ffn_output(l), classifier(num_layers)`.

use super::config::ModelConfig;
use super::ops::{self, LayerNorm, Linear};
use super::{Inputs, Params};
use crate::rng::stream;
use candle_core::{Result, Tensor};

pub struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    sa_norm: LayerNorm,
    lin1: Linear,
    lin2: Linear,
    output_norm: LayerNorm,
}

impl Layer {
    /// x: [batch, seq, dim] -> [batch, seq, dim]
    fn forward(
        &self,
        x: &Tensor,
        inputs: &Inputs,
        l: usize,
        c: &ModelConfig,
        seed: Option<u32>,
    ) -> Result<Tensor> {
        // context: [batch, seq, dim]
        let (q, k, v) = (self.q.forward(x)?, self.k.forward(x)?, self.v.forward(x)?);
        let p_attn = c.attention_probs_dropout_prob;
        let site = stream::attention_probs(l);
        let context = ops::attention(
            &q,
            &k,
            &v,
            &inputs.mask,
            c.num_attention_heads,
            p_attn,
            seed,
            site,
        )?;
        let x = self.sa_norm.forward(&(self.out.forward(&context)? + x)?)?;
        // feed-forward: [batch, seq, hidden_dim] -> [batch, seq, dim]
        let h = ops::gelu(&self.lin1.forward(&x)?)?;
        let h = ops::dropout(
            &self.lin2.forward(&h)?,
            seed,
            stream::ffn_output(l),
            c.hidden_dropout_prob,
        )?;
        self.output_norm.forward(&(h + x)?)
    }
}

pub struct DistilBert {
    config: ModelConfig,
    word: Tensor,
    position: Tensor,
    norm: LayerNorm,
    layers: Vec<Layer>,
    pre_classifier: Linear,
    classifier: Linear,
}

impl DistilBert {
    pub fn new(config: &ModelConfig, p: &Params) -> Result<Self> {
        let eps = config.layer_norm_eps;
        let layers = (0..config.num_hidden_layers)
            .map(|l| {
                let n = format!("distilbert.transformer.layer.{l}");
                Ok(Layer {
                    q: p.linear(&format!("{n}.attention.q_lin"))?,
                    k: p.linear(&format!("{n}.attention.k_lin"))?,
                    v: p.linear(&format!("{n}.attention.v_lin"))?,
                    out: p.linear(&format!("{n}.attention.out_lin"))?,
                    sa_norm: p.layer_norm(&format!("{n}.sa_layer_norm"), eps)?,
                    lin1: p.linear(&format!("{n}.ffn.lin1"))?,
                    lin2: p.linear(&format!("{n}.ffn.lin2"))?,
                    output_norm: p.layer_norm(&format!("{n}.output_layer_norm"), eps)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(DistilBert {
            config: config.clone(),
            word: p.get("distilbert.embeddings.word_embeddings.weight")?,
            position: p.get("distilbert.embeddings.position_embeddings.weight")?,
            norm: p.layer_norm("distilbert.embeddings.LayerNorm", eps)?,
            layers,
            pre_classifier: p.linear("pre_classifier")?,
            classifier: p.linear("classifier")?,
        })
    }

    /// Logits [batch, num_labels]. `seed`: dropout on (training) or off (`None`).
    pub fn forward(&self, inputs: &Inputs, seed: Option<u32>) -> Result<Tensor> {
        let c = &self.config;
        let (b, s) = (inputs.batch, inputs.seq);
        // embeddings: [batch, seq, dim]
        let word = self
            .word
            .index_select(&inputs.input_ids, 0)?
            .reshape((b, s, c.hidden_size))?;
        let x = word.broadcast_add(&self.position.narrow(0, 0, s)?)?;
        let mut x = ops::dropout(
            &self.norm.forward(&x)?,
            seed,
            stream::EMBEDDINGS,
            c.hidden_dropout_prob,
        )?;
        for (l, layer) in self.layers.iter().enumerate() {
            x = layer.forward(&x, inputs, l, c, seed)?;
        }
        // head: [batch, dim] -> [batch, num_labels]
        let h = self
            .pre_classifier
            .forward(&ops::first_token(&x)?)?
            .relu()?;
        let h = ops::dropout(
            &h,
            seed,
            stream::classifier(c.num_hidden_layers),
            c.classifier_dropout,
        )?;
        self.classifier.forward(&h)
    }
}
