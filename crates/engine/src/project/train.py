"""Fine-tune a pretrained model with the Trainer API, as chapter 3 of the Hugging Face course does,
with the settings of a run in Wick: on one GPU, on many, or on the CPU.

    pip install -r requirements.txt
    python train.py                                          # one GPU (or the CPU)
    accelerate launch --multi_gpu --num_processes 2 train.py # two GPUs, one process each
    torchrun --nproc_per_node 2 train.py                     # the same with PyTorch's launcher

Options: --max-steps N and --output-dir DIR override the run's; --from-wick-weights continues
from the weights trained in the browser (the wick_model/ folder); --preview N prints the first
N tokenized training rows and stops. README.md says more; wick_run.json has the same settings.
"""
import argparse
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# --- The run's settings, as Wick had them (Wick writes this block) ---
checkpoint = "sentence-transformers/all-MiniLM-L6-v2"
revision = "main"
dataset_id = "nyu-mll/glue"
dataset_config = "mrpc"
dataset_revision = "main"
data_files = None
text_columns = ["sentence1", "sentence2"]
label_names = ["not_equivalent", "equivalent"]
glue_task = "mrpc"
max_length = 512
train_rows = None
eval_split = "validation"
wick_weights = None
ignore_mismatched_sizes = False
training_arguments = dict(
    learning_rate=5e-05,
    lr_scheduler_type="linear",
    warmup_steps=0,
    weight_decay=0.0,
    adam_beta1=0.9,
    adam_beta2=0.999,
    adam_epsilon=1e-08,
    max_grad_norm=1.0,
    per_device_train_batch_size=8,
    per_device_eval_batch_size=8,
    gradient_accumulation_steps=1,
    num_train_epochs=3.0,
    max_steps=-1,
    eval_strategy="epoch",
    logging_steps=500,
    logging_first_step=False,
    seed=42,
)
# --- End of the settings ---


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output-dir", default="output", help="where the model, metrics and trainer_state.json go")
    p.add_argument("--max-steps", type=int, help="stop after this many optimizer steps (overrides the epochs)")
    p.add_argument("--per-device-train-batch-size", type=int,
                   help="rows per device and step (see README.md: keep the effective batch)")
    p.add_argument("--gradient-accumulation-steps", type=int, help="steps whose gradients are summed")
    p.add_argument("--from-wick-weights", action="store_true",
                   help="start from the weights trained in Wick (wick_model/) and evaluate them first")
    p.add_argument("--preview", type=int, metavar="N",
                   help="print the first N tokenized training rows as JSON lines and stop")
    return p.parse_args()


def main():
    args = parse_args()
    # The heavy imports come after the arguments, so that `python train.py --help` needs none.
    import numpy as np
    import torch
    from datasets import ClassLabel, load_dataset
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                              Trainer, TrainingArguments)

    # The data: a data set from the Hub, or the files Wick loaded, shipped in data/.
    if data_files:
        raw_datasets = load_dataset("json", data_files={split: os.path.join(HERE, path)
                                                        for split, path in data_files.items()})
        if label_names:
            raw_datasets = raw_datasets.cast_column("label", ClassLabel(names=label_names))
    else:
        raw_datasets = load_dataset(dataset_id, dataset_config, revision=dataset_revision)

    # Tokenize every split; the collator pads each batch to its longest row.
    tokenizer = AutoTokenizer.from_pretrained(checkpoint, revision=revision)

    def tokenize_function(example):
        texts = [example[column] for column in text_columns]  # one sentence, or a pair
        return tokenizer(*texts, truncation=True, max_length=max_length)

    tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)
    train_dataset = tokenized_datasets["train"]
    if train_rows:
        train_dataset = train_dataset.select(range(train_rows))
    eval_dataset = tokenized_datasets[eval_split]
    if args.preview:
        columns = [c for c in ("input_ids", "token_type_ids", "attention_mask", "label") if c in train_dataset.features]
        for row in train_dataset.select(range(min(args.preview, len(train_dataset)))):
            print(json.dumps({c: row[c] for c in columns}))
        return
    data_collator = DataCollatorWithPadding(tokenizer=tokenizer)

    # The model: the checkpoint with a new classification head, or the one trained in Wick.
    num_labels = len(label_names) or 1  # one output: regression
    source = checkpoint
    if args.from_wick_weights:
        if not wick_weights:
            raise SystemExit("this project has no wick_model/ folder: export it after training in Wick")
        source = wick_weights
    labels = {"id2label": dict(enumerate(label_names)), "label2id": {n: i for i, n in enumerate(label_names)}}
    # ignore_mismatched_sizes: the checkpoint's head was trained for another number of labels.
    model = AutoModelForSequenceClassification.from_pretrained(
        source, revision=revision, num_labels=num_labels, ignore_mismatched_sizes=ignore_mismatched_sizes,
        **(labels if label_names else {}))

    def compute_metrics(eval_preds):
        """The task's GLUE metric, as `evaluate.load("glue", task)` computes it."""
        logits, labels = eval_preds
        if num_labels == 1:
            predictions = logits[:, 0]
            return {"pearson": float(pearsonr(predictions, labels)[0]),
                    "spearmanr": float(spearmanr(predictions, labels)[0])}
        predictions = np.argmax(logits, axis=-1)
        if glue_task == "cola":
            return {"matthews_correlation": float(matthews_corrcoef(labels, predictions))}
        metrics = {"accuracy": float(accuracy_score(labels, predictions))}
        if glue_task in ("mrpc", "qqp") or (glue_task is None and num_labels == 2):
            metrics["f1"] = float(f1_score(labels, predictions))
        return metrics

    # Wick's settings, plus what only a GPU server has: mixed precision where CUDA is.
    settings = dict(training_arguments)
    for name in ("max_steps", "per_device_train_batch_size", "gradient_accumulation_steps"):
        if getattr(args, name) is not None:
            settings[name] = getattr(args, name)  # the command line overrides the run's
    cuda = torch.cuda.is_available()
    bf16 = cuda and torch.cuda.is_bf16_supported()
    fp16 = cuda and not bf16
    # Several processes and no GPU (torchrun on CPUs): data parallel over gloo needs use_cpu.
    use_cpu = not cuda and int(os.environ.get("WORLD_SIZE", "1")) > 1
    # The classification loss is a mean over each process's rows, and data parallel averages the
    # gradients: averaging over all processes' rows as well (the default) would count it twice.
    training_args = TrainingArguments(output_dir=args.output_dir, fp16=fp16, bf16=bf16, use_cpu=use_cpu,
                                      ddp_find_unused_parameters=False, average_tokens_across_devices=False,
                                      save_strategy="no", report_to="none", **settings)
    wick_batch = training_arguments["per_device_train_batch_size"] * training_arguments["gradient_accumulation_steps"]
    batch = training_args.per_device_train_batch_size * training_args.world_size * training_args.gradient_accumulation_steps
    if training_args.process_index == 0:
        print(f"effective batch: {training_args.per_device_train_batch_size} per device x {training_args.world_size} "
              f"processes x {training_args.gradient_accumulation_steps} accumulation = {batch} (Wick's: {wick_batch})")

    trainer = Trainer(model, training_args, train_dataset=train_dataset, eval_dataset=eval_dataset,
                      data_collator=data_collator, processing_class=tokenizer, compute_metrics=compute_metrics)
    if args.from_wick_weights:
        trainer.save_metrics("wick", trainer.evaluate())  # where the browser left off
    train_result = trainer.train()
    trainer.save_model()
    trainer.save_state()  # trainer_state.json: the log history
    trainer.save_metrics("train", train_result.metrics)
    trainer.save_metrics("eval", trainer.evaluate())


if __name__ == "__main__":
    main()
