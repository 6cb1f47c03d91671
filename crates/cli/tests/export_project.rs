//! `wick export-project`: the folder it writes for a run on the user's own CSV files with the
//! real all-MiniLM-L6-v2 as a local checkpoint, and its clear errors (an existing folder, data
//! over the limit, trained weights for other labels). tests/project/run.sh runs such folders
//! with PyTorch.

use serde_json::Value;
use std::path::Path;

mod common;
use common::*;

fn ok(args: &[&str]) -> Value {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "wick {args:?} failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("wick {args:?}: not JSON ({e})"))
}

fn error(args: &[&str]) -> String {
    let out = run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert!(!out.status.success(), "wick {args:?} succeeded");
    assert!(
        stderr.starts_with("wick: error: ") && !stderr.contains("panicked"),
        "{stderr}"
    );
    stderr
}

/// A small own data set: single sentences with string labels, a train and a validation file.
fn own_data(dir: &Path) -> String {
    let data = dir.join("reviews");
    std::fs::create_dir_all(&data).unwrap();
    let train = "review,label\nA fine film.,good\nDull and long.,bad\n\"It was \"\"ok\"\", I guess.\",meh\nLoved it.,good\n";
    std::fs::write(data.join("train.csv"), train).unwrap();
    std::fs::write(
        data.join("validation.csv"),
        "review,label\nSuperb.,good\nBoring.,bad\n",
    )
    .unwrap();
    data.display().to_string()
}

#[test]
fn exports_a_run_on_own_files_with_a_local_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let data = own_data(tmp.path());
    let model = wick_engine::testing::minilm_dir();
    let model = model.display().to_string();
    let out = tmp.path().join("project");
    let out_s = out.display().to_string();
    let run = [
        "--json",
        "export-project",
        "--model",
        &model,
        "--data",
        &data,
        "--out",
        &out_s,
        "--batch-size",
        "16",
        "--lr",
        "3e-5",
        "--max-steps",
        "40",
    ];
    let json = ok(&run);
    let names: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[0].as_str().unwrap())
        .collect();
    assert_eq!(
        names[..6],
        [
            "README.md",
            "train.py",
            "requirements.txt",
            "wick_run.json",
            "data/train.jsonl",
            "data/validation.jsonl"
        ]
    );
    assert!(names.contains(&"checkpoint/model.safetensors"), "{names:?}");
    assert_eq!(
        std::fs::read(out.join("checkpoint/model.safetensors")).unwrap(),
        std::fs::read(Path::new(&model).join("model.safetensors")).unwrap()
    );
    // The settings: the text column Wick tokenizes, class names in Wick's order (sorted).
    let run_json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("wick_run.json")).unwrap()).unwrap();
    assert_eq!(run_json["text_columns"], serde_json::json!(["review"]));
    assert_eq!(
        run_json["label_names"],
        serde_json::json!(["bad", "good", "meh"])
    );
    assert_eq!(run_json["training_arguments"]["learning_rate"], 3e-5);
    assert_eq!(run_json["training_arguments"]["max_steps"], 40);
    let first = std::fs::read_to_string(out.join("data/train.jsonl")).unwrap();
    let first: Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    assert_eq!(first["review"], "A fine film.");
    assert_eq!(first["label"], 1);
    let train_py = std::fs::read_to_string(out.join("train.py")).unwrap();
    assert!(
        train_py.contains("    per_device_train_batch_size=16,\n"),
        "{train_py}"
    );
    let launch: Vec<&str> = json["launch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        launch.contains(&"torchrun --nproc_per_node 2 train.py --per-device-train-batch-size 8")
    );
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains("torchrun --nproc_per_node 2 train.py --per-device-train-batch-size 8"));

    // The folder exists now: refused, and kept, without --force; replaced with it.
    let e = error(&run);
    assert!(e.contains("not empty; pass --force"), "{e}");
    assert!(out.join("train.py").is_file());
    let mut forced = run.to_vec();
    forced.push("--force");
    ok(&forced);

    // Data over the limit: an error that says how to allow it, and no folder.
    let small = tmp.path().join("small");
    let small_s = small.display().to_string();
    let e = error(&[
        "export-project",
        "--model",
        &model,
        "--data",
        &data,
        "--out",
        &small_s,
        "--max-data-mb",
        "0.0001",
    ]);
    assert!(e.contains("over the") && e.contains("--max-data-mb"), "{e}");
    assert!(!small.exists());

    // Weights trained for other labels (the checkpoint has none of ours) are refused.
    let e = error(&[
        "export-project",
        "--model",
        &model,
        "--data",
        &data,
        "--out",
        &small_s,
        "--wick-weights",
        &model,
    ]);
    assert!(e.contains("labels, the data set has 3"), "{e}");
    assert!(!small.exists());
}
