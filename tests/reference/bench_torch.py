"""PyTorch's training speed for the same work `wick bench` measures, printed in the same fields.

    python3 tests/reference/bench_torch.py --model MODEL_DIR [--batch-size 8] [--seq-len 64]
        [--steps 10] [--warmup 2] [--threads N]

One training step = forward + backward of `batch-size` rows of `seq-len` tokens (no padding,
random ids from a fixed seed, dropout on), global-norm clipping at 1.0 and an AdamW step, as the
Trainer does. The first `warmup` steps are not timed. The last line is JSON:
{"engine": "torch", "model": ..., "batch_size": ..., "seq_len": ..., "steps": ...,
 "seconds": ..., "examples_per_second": ..., "tokens_per_second": ..., "threads": ...}
"""
import argparse
import json
import time

import torch
from transformers import AutoModelForSequenceClassification


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--num-labels", type=int, default=2)
    p.add_argument("--threads", type=int, default=0)
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(a.model, num_labels=a.num_labels)
    model.train()
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(0)
    input_ids = torch.randint(1000, vocab, (a.batch_size, a.seq_len), generator=gen)
    input_ids[:, 0] = 101  # [CLS]
    batch = {
        "input_ids": input_ids,
        "attention_mask": torch.ones_like(input_ids),
        "labels": torch.randint(0, a.num_labels, (a.batch_size,), generator=gen),
    }
    if model.config.model_type == "bert":
        batch["token_type_ids"] = torch.zeros_like(input_ids)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.0)

    def step():
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()

    for _ in range(a.warmup):
        step()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    seconds = time.perf_counter() - start
    examples = a.batch_size * a.steps
    print(json.dumps({
        "engine": "torch",
        "model": a.model,
        "batch_size": a.batch_size,
        "seq_len": a.seq_len,
        "steps": a.steps,
        "seconds": seconds,
        "examples_per_second": examples / seconds,
        "tokens_per_second": examples * a.seq_len / seconds,
        "threads": torch.get_num_threads(),
    }))


if __name__ == "__main__":
    main()
