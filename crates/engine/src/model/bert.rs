//! `BertForSequenceClassification` (BERT, MiniLM, BERT-Tiny/Mini/Small), as transformers
//! computes it in eager mode, on candle tensors.
//!
//! ```text
//! embeddings: x = LayerNorm(word[ids] + position[0..seq] + token_type[types]); dropout
//! layer l:    a = dropout(softmax(Q K^T / sqrt(head_dim) + mask))     (ops::attention)
//!             x = LayerNorm(x + dropout(Linear_o(a V)))
//!             x = LayerNorm(x + dropout(Linear_2(gelu(Linear_1(x)))))
//! pooler:     p = tanh(Linear_p(x[:, 0])); dropout
//! classifier: logits = Linear_c(p)
//! ```
//!
//! Dropout sites and their RNG streams: `rng::stream::{EMBEDDINGS, attention_probs(l),
//! attention_output(l), ffn_output(l), classifier(num_layers)}`.

use super::config::ModelConfig;
use super::ops::{self, LayerNorm, Linear};
use super::{Inputs, Params};
use crate::rng::stream;
use candle_core::{Result, Tensor};

pub struct Embeddings {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    norm: LayerNorm,
}

impl Embeddings {
    /// ids, types: [batch * seq] -> [batch, seq, hidden]
    fn forward(&self, inputs: &Inputs, p: f64, seed: Option<u32>) -> Result<Tensor> {
        let (b, s) = (inputs.batch, inputs.seq);
        let hidden = self.word.dim(1)?;
        let word = self
            .word
            .index_select(&inputs.input_ids, 0)?
            .reshape((b, s, hidden))?;
        let types = self
            .token_type
            .index_select(&inputs.token_type_ids, 0)?
            .reshape((b, s, hidden))?;
        let position = self.position.narrow(0, 0, s)?; // position_ids = 0..seq
        let x = word.broadcast_add(&position)?.add(&types)?;
        ops::dropout(&self.norm.forward(&x)?, seed, stream::EMBEDDINGS, p)
    }
}

pub struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_output: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

impl Layer {
    /// x: [batch, seq, hidden] -> [batch, seq, hidden]; mask: [batch, 1, 1, seq] additive.
    fn forward(
        &self,
        x: &Tensor,
        inputs: &Inputs,
        l: usize,
        c: &ModelConfig,
        seed: Option<u32>,
    ) -> Result<Tensor> {
        // context: [batch, seq, hidden]
        let (q, k, v) = (
            self.query.forward(x)?,
            self.key.forward(x)?,
            self.value.forward(x)?,
        );
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
        let attended = self.attention_output.forward(&context)?;
        let attended = ops::dropout(
            &attended,
            seed,
            stream::attention_output(l),
            c.hidden_dropout_prob,
        )?;
        let x = self.attention_norm.forward(&(attended + x)?)?;
        // feed-forward: [batch, seq, intermediate] -> [batch, seq, hidden]
        let h = ops::gelu(&self.intermediate.forward(&x)?)?;
        let h = ops::dropout(
            &self.output.forward(&h)?,
            seed,
            stream::ffn_output(l),
            c.hidden_dropout_prob,
        )?;
        self.output_norm.forward(&(h + x)?)
    }
}

pub struct Bert {
    config: ModelConfig,
    embeddings: Embeddings,
    layers: Vec<Layer>,
    pooler: Linear,
    classifier: Linear,
}

impl Bert {
    pub fn new(config: &ModelConfig, p: &Params) -> candle_core::Result<Self> {
        let eps = config.layer_norm_eps;
        let e = "bert.embeddings";
        let embeddings = Embeddings {
            word: p.get(&format!("{e}.word_embeddings.weight"))?,
            position: p.get(&format!("{e}.position_embeddings.weight"))?,
            token_type: p.get(&format!("{e}.token_type_embeddings.weight"))?,
            norm: p.layer_norm(&format!("{e}.LayerNorm"), eps)?,
        };
        let layers = (0..config.num_hidden_layers)
            .map(|l| {
                let n = format!("bert.encoder.layer.{l}");
                Ok(Layer {
                    query: p.linear(&format!("{n}.attention.self.query"))?,
                    key: p.linear(&format!("{n}.attention.self.key"))?,
                    value: p.linear(&format!("{n}.attention.self.value"))?,
                    attention_output: p.linear(&format!("{n}.attention.output.dense"))?,
                    attention_norm: p
                        .layer_norm(&format!("{n}.attention.output.LayerNorm"), eps)?,
                    intermediate: p.linear(&format!("{n}.intermediate.dense"))?,
                    output: p.linear(&format!("{n}.output.dense"))?,
                    output_norm: p.layer_norm(&format!("{n}.output.LayerNorm"), eps)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Bert {
            config: config.clone(),
            embeddings,
            layers,
            pooler: p.linear("bert.pooler.dense")?,
            classifier: p.linear("classifier")?,
        })
    }

    /// Logits [batch, num_labels]. `seed`: dropout on (training) or off (`None`).
    pub fn forward(&self, inputs: &Inputs, seed: Option<u32>) -> Result<Tensor> {
        let c = &self.config;
        let mut x = self
            .embeddings
            .forward(inputs, c.hidden_dropout_prob, seed)?;
        for (l, layer) in self.layers.iter().enumerate() {
            x = layer.forward(&x, inputs, l, c, seed)?;
        }
        // pooled: [batch, hidden]
        let pooled = self.pooler.forward(&ops::first_token(&x)?)?.tanh()?;
        let pooled = ops::dropout(
            &pooled,
            seed,
            stream::classifier(c.num_hidden_layers),
            c.classifier_dropout,
        )?;
        self.classifier.forward(&pooled)
    }
}
