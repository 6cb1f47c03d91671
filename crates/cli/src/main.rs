//! `wick`: Wick's engine from a terminal. This file only parses the command line and
//! dispatches: each command lives in its own module, the shared plumbing in `common`.

mod batches;
mod bench;
mod common;
mod evaluate;
mod export_project;
mod hub_api;
mod hub_serve;
mod inspect;
mod predict;
mod tokenize;
mod train;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Fine-tune BERT as the Hugging Face course's chapter 3 does, from a terminal.
#[derive(Parser)]
#[command(name = "wick", version, about)]
struct Cli {
    #[command(flatten)]
    global: common::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// One variant per command. Each command is a module of its own
/// with its `Args` and `run`.
#[derive(Subcommand)]
enum Command {
    /// Show a data set: splits, row counts, features with label names, the first row.
    Inspect(inspect::Args),
    /// Tokenize a sentence or a pair as the model's tokenizer does.
    Tokenize(tokenize::Args),
    /// Show the first padded training batches and what dynamic padding saves.
    Batches(batches::Args),
    /// Fine-tune a model on a data set (transformers' Trainer) and save it.
    Train(train::Args),
    /// Evaluate a trained model on a split: loss and the task's metric.
    Evaluate(evaluate::Args),
    /// Classify your own sentence or pair with a trained model.
    Predict(predict::Args),
    /// The run as a folder that trains with transformers' Trainer on a GPU server (one or many
    /// GPUs: accelerate, torchrun) or the CPU; takes `train`'s arguments.
    ExportProject(export_project::Args),
    /// Training speed (examples/s, tokens/s) next to PyTorch's.
    Bench(bench::Args),
    /// Serve a local folder with the Hub's URL paths (classrooms, offline use, tests).
    Hub(hub_serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&cli.global, args),
        Command::Tokenize(args) => tokenize::run(&cli.global, args),
        Command::Batches(args) => batches::run(&cli.global, args),
        Command::Train(args) => train::run(&cli.global, args),
        Command::Evaluate(args) => evaluate::run(&cli.global, args),
        Command::Predict(args) => predict::run(&cli.global, args),
        Command::ExportProject(args) => export_project::run(&cli.global, args),
        Command::Bench(args) => bench::run(&cli.global, args),
        Command::Hub(args) => hub_serve::run(&cli.global, args),
    };
    common::exit(result)
}
