use super::*;
use crate::data::{read_csv, DatasetDict, GlueTask};
use crate::hub::RepoKind;

/// A train and a validation split read from CSV text, as the Dataset panel reads files.
fn dict(train: &str, dev: &str, task: Option<&str>) -> DatasetDict {
    let glue = task.and_then(GlueTask::get);
    let split = |text: &str, file: &str, name: &str| {
        (
            name.to_string(),
            read_csv(text.as_bytes(), file, glue, name).unwrap(),
        )
    };
    DatasetDict {
        splits: vec![
            split(train, "train.csv", "train"),
            split(dev, "dev.csv", "validation"),
        ],
        task: task.map(Into::into),
    }
}

fn mrpc() -> DatasetDict {
    let train = "sentence1,sentence2,label\nA cat.,A feline.,1\nA dog.,A car.,0\nRain.,Sun.,0\n";
    let dev = "sentence1,sentence2,label\nIt \"rains\".,It pours.,1\n";
    dict(train, dev, Some("mrpc"))
}

/// A user's own single-sentence data with string labels (no GLUE task).
fn reviews() -> DatasetDict {
    dict(
        "text,label\nGreat film.,pos\nDull.,neg\nFine.,meh\n",
        "text,label\nSuperb.,pos\n",
        None,
    )
}

fn repo(id: &str, kind: RepoKind) -> Repo {
    Repo::new("http://127.0.0.1:9", id, kind).unwrap()
}

fn model_files() -> ModelFiles {
    ModelFiles {
        config_json: r#"{"model_type": "bert"}"#.into(),
        tokenizer_json: "{}".into(),
        weights: vec![1, 2, 3],
        tokenizer_config_json: None,
        tokenizer_from_vocab: false,
    }
}

fn file<'a>(project: &'a Project, name: &str) -> &'a str {
    let (_, bytes) = project
        .files
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name}"));
    std::str::from_utf8(bytes).unwrap()
}

fn names(project: &Project) -> Vec<&str> {
    project.files.iter().map(|(n, _)| n.as_str()).collect()
}

/// The settings block of a generated train.py, line by line.
fn settings_block(train_py: &str) -> Vec<&str> {
    let start = train_py.find("(Wick writes this block) ---\n").unwrap();
    let block = &train_py[start..];
    let end = block.find("# --- End of the settings ---").unwrap();
    block[..end].lines().skip(1).collect()
}

#[test]
fn a_hub_run_names_the_hub_and_carries_every_setting() {
    let data = mrpc();
    let model = repo("sentence-transformers/all-MiniLM-L6-v2", RepoKind::Model);
    let args = TrainingArguments {
        learning_rate: 2e-5,
        per_device_train_batch_size: 16,
        gradient_accumulation_steps: 2,
        warmup_ratio: 0.1,
        eval_strategy: IntervalStrategy::Steps,
        eval_steps: Some(25),
        max_steps: 120,
        seed: 7,
        ..TrainingArguments::default()
    };
    let spec = ProjectSpec {
        model: ModelOrigin::Hub(&model),
        data: DataOrigin::Hub {
            repo: repo("nyu-mll/glue", RepoKind::Dataset),
            config: Some("mrpc".into()),
        },
        dataset: &data,
        eval_split: "validation",
        task: "mrpc",
        args: &args,
        train_rows: 0,
        max_length: 128,
        wick_model: None,
        exported_from: "test",
        ignore_mismatched_sizes: false,
    };
    let project = generate(&spec).unwrap();
    assert_eq!(
        names(&project),
        ["README.md", "train.py", "requirements.txt", "wick_run.json"]
    );
    let train_py = file(&project, "train.py");
    let block = settings_block(train_py);
    for line in [
        r#"checkpoint = "sentence-transformers/all-MiniLM-L6-v2""#,
        r#"revision = "main""#,
        r#"dataset_id = "nyu-mll/glue""#,
        r#"dataset_config = "mrpc""#,
        "data_files = None",
        r#"text_columns = ["sentence1", "sentence2"]"#,
        r#"label_names = ["not_equivalent", "equivalent"]"#,
        r#"glue_task = "mrpc""#,
        "max_length = 128",
        "train_rows = None",
        "wick_weights = None",
        "ignore_mismatched_sizes = False",
        "    learning_rate=0.00002,",
        "    warmup_steps=0.1,",
        "    per_device_train_batch_size=16,",
        "    gradient_accumulation_steps=2,",
        "    max_steps=120,",
        r#"    eval_strategy="steps","#,
        "    eval_steps=25,",
        "    seed=7,",
    ] {
        assert!(block.contains(&line), "{line} not in {block:#?}");
    }
    // The generator writes the template's settings, no more, no fewer, in its order.
    let generated: Vec<&str> = block
        .iter()
        .filter(|l| !l.starts_with(' ') && !l.starts_with(')'))
        .filter_map(|l| l.split_once(" = ").map(|(n, _)| n))
        .collect();
    assert_eq!(generated, python::template_names().unwrap());

    // wick_run.json gives back the same TrainingArguments.
    let run: Value = serde_json::from_str(file(&project, "wick_run.json")).unwrap();
    let back: TrainingArguments =
        serde_json::from_value(run["training_arguments"].clone()).unwrap();
    assert_eq!(back, args);
    assert_eq!(
        run["checkpoint"]["hub"],
        "sentence-transformers/all-MiniLM-L6-v2"
    );
    assert_eq!(run["data"]["config"], "mrpc");
    assert_eq!(run["ignore_mismatched_sizes"], false);

    // A checkpoint Wick loaded with ignore_mismatched_sizes: train.py loads it the same way.
    let mismatched = ProjectSpec {
        ignore_mismatched_sizes: true,
        ..spec
    };
    let project_b = generate(&mismatched).unwrap();
    assert!(
        settings_block(file(&project_b, "train.py")).contains(&"ignore_mismatched_sizes = True")
    );

    // 32 rows per step: 2 processes keep it with a batch of 16 and no accumulation.
    assert_eq!(
        project.launch[3],
        "torchrun --nproc_per_node 2 train.py --gradient-accumulation-steps 1"
    );
    let readme = file(&project, "README.md");
    assert!(
        readme.contains("export HF_ENDPOINT=http://127.0.0.1:9"),
        "{readme}"
    );
    assert!(readme.contains("| 8 | 4 | 1 | `torchrun --nproc_per_node 8 train.py --per-device-train-batch-size 4 --gradient-accumulation-steps 1` |"), "{readme}");
    assert!(!readme.contains("{{"));
}

#[test]
fn own_data_and_files_are_shipped_with_the_mapping_and_weights() {
    let data = reviews();
    let files = model_files();
    let args = TrainingArguments::default();
    let own = own_data_files(&data, "validation").unwrap();
    let trained = vec![(
        "config.json".to_string(),
        br#"{"id2label": {"0": "meh", "1": "neg", "2": "pos"}}"#.to_vec(),
    )];
    let spec = ProjectSpec {
        model: ModelOrigin::Files(&files),
        data: DataOrigin::Own(own),
        dataset: &data,
        eval_split: "validation",
        task: "custom",
        args: &args,
        train_rows: 2,
        max_length: 512,
        wick_model: Some(&trained),
        exported_from: "test",
        ignore_mismatched_sizes: false,
    };
    let project = generate(&spec).unwrap();
    assert_eq!(
        names(&project),
        [
            "README.md",
            "train.py",
            "requirements.txt",
            "wick_run.json",
            "data/train.jsonl",
            "data/validation.jsonl",
            "checkpoint/config.json",
            "checkpoint/model.safetensors",
            "checkpoint/tokenizer.json",
            "wick_model/config.json",
        ]
    );
    // The rows as Wick holds them: string labels class-encoded in sorted order.
    let rows: Vec<Value> = file(&project, "data/train.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], json!({"text": "Great film.", "label": 2}));
    let block = settings_block(file(&project, "train.py"));
    for line in [
        r#"checkpoint = os.path.join(HERE, "checkpoint")"#,
        "revision = None",
        "dataset_id = None",
        r#"data_files = {"train": "data/train.jsonl", "validation": "data/validation.jsonl"}"#,
        r#"text_columns = ["text"]"#,
        r#"label_names = ["meh", "neg", "pos"]"#,
        "glue_task = None",
        "train_rows = 2",
        r#"wick_weights = os.path.join(HERE, "wick_model")"#,
    ] {
        assert!(block.contains(&line), "{line} not in {block:#?}");
    }
    assert_eq!(
        project.launch.last().unwrap(),
        "python train.py --from-wick-weights"
    );
    // A head for other labels is refused.
    let wrong = vec![(
        "config.json".to_string(),
        br#"{"id2label": {"0": "a", "1": "b"}}"#.to_vec(),
    )];
    let spec = ProjectSpec {
        wick_model: Some(&wrong),
        data: DataOrigin::Own(Vec::new()),
        ..spec
    };
    let e = generate(&spec).err().unwrap().to_string();
    assert!(e.contains("predicts 2 labels, the data set has 3"), "{e}");
}

#[test]
fn missing_splits_and_large_data_are_clear_errors() {
    let data = mrpc();
    let model = repo("a/b", RepoKind::Model);
    let args = TrainingArguments::default();
    let spec = ProjectSpec {
        model: ModelOrigin::Hub(&model),
        data: DataOrigin::Own(Vec::new()),
        dataset: &data,
        eval_split: "validation_matched",
        task: "mrpc",
        args: &args,
        train_rows: 0,
        max_length: 512,
        wick_model: None,
        exported_from: "test",
        ignore_mismatched_sizes: false,
    };
    let e = generate(&spec).err().unwrap().to_string();
    assert!(
        e.contains("no `validation_matched` split (it has train, validation)"),
        "{e}"
    );

    let files = own_data_files(&data, "validation").unwrap();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    check_data_size(&files, bytes as u64).unwrap();
    let e = check_data_size(&files, bytes as u64 - 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("over the") && e.contains("--max-data-mb"), "{e}");
}

#[test]
fn the_effective_batch_is_kept_where_it_divides() {
    assert_eq!(same_effective_batch(8, 1, 1), Some((8, 1)));
    assert_eq!(same_effective_batch(8, 1, 2), Some((4, 1)));
    assert_eq!(same_effective_batch(8, 1, 8), Some((1, 1)));
    assert_eq!(same_effective_batch(8, 1, 16), None);
    assert_eq!(same_effective_batch(4, 4, 2), Some((4, 2)));
    assert_eq!(same_effective_batch(6, 1, 4), None);
    assert_eq!(same_effective_batch(6, 2, 4), Some((3, 1)));
    let lines = launch_lines(&TrainingArguments::default(), false);
    assert_eq!(
        lines,
        [
            "pip install -r requirements.txt",
            "python train.py",
            "accelerate launch --multi_gpu --num_processes 2 train.py --per-device-train-batch-size 4",
            "torchrun --nproc_per_node 2 train.py --per-device-train-batch-size 4",
        ]
    );
}

#[test]
fn the_folder_is_written_whole_or_not_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("proj");
    let files = vec![
        ("train.py".to_string(), b"print(1)\n".to_vec()),
        ("data/train.jsonl".to_string(), b"{}\n".to_vec()),
    ];
    write_project(&dir, &files, false).unwrap();
    assert_eq!(
        std::fs::read(dir.join("data/train.jsonl")).unwrap(),
        b"{}\n"
    );

    // Not empty: refused without --force, and left as it was.
    let e = write_project(&dir, &files[..1], false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not empty; pass --force"), "{e}");
    assert!(dir.join("data/train.jsonl").is_file());
    // --force replaces it whole.
    write_project(&dir, &files[..1], true).unwrap();
    assert!(dir.join("train.py").is_file() && !dir.join("data").exists());

    // A file that cannot be written leaves neither the folder nor a temporary one.
    let bad = vec![
        ("ok.txt".to_string(), b"1".to_vec()),
        ("bad\0name".to_string(), b"2".to_vec()),
    ];
    let fresh = tmp.path().join("fresh");
    assert!(write_project(&fresh, &bad, false).is_err());
    assert!(write_project(&dir, &bad, true).is_err());
    let left: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["proj"], "{left:?}");
    assert!(dir.join("train.py").is_file());

    // An empty folder is fine without --force.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    write_project(&empty, &files, false).unwrap();
}

#[test]
fn the_zip_holds_every_file() {
    let files = vec![
        ("train.py".to_string(), b"print(1)\n".repeat(100)),
        ("wick_model/model.safetensors".to_string(), vec![7u8; 1000]),
    ];
    let bytes = to_zip(&files).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(zip.len(), 2);
    for (name, content) in &files {
        let mut entry = zip.by_name(name).unwrap();
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut out).unwrap();
        assert_eq!(&out, content, "{name}");
    }
    let method = zip
        .by_name("wick_model/model.safetensors")
        .unwrap()
        .compression();
    assert_eq!(method, zip::CompressionMethod::Stored);
}

/// The generated train.py is Python, and `--help` works without torch, transformers or
/// datasets (CI machines without them still check this much).
#[test]
fn train_py_parses_and_helps_without_torch() {
    let data = mrpc();
    let model = repo("a/b", RepoKind::Model);
    let args = TrainingArguments::default();
    let spec = ProjectSpec {
        model: ModelOrigin::Hub(&model),
        data: DataOrigin::Own(own_data_files(&data, "validation").unwrap()),
        dataset: &data,
        eval_split: "validation",
        task: "mrpc",
        args: &args,
        train_rows: 0,
        max_length: 512,
        wick_model: None,
        exported_from: "test",
        ignore_mismatched_sizes: false,
    };
    let project = generate(&spec).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    write_project(&dir, &project.files, false).unwrap();
    // Any import of the heavy packages fails: --help must not need them.
    let block = "import sys, runpy\n\
                 for m in ('torch', 'transformers', 'datasets', 'numpy', 'sklearn', 'scipy'):\n    \
                 sys.modules[m] = None\n\
                 sys.argv = ['train.py', '--help']\n\
                 runpy.run_path('train.py', run_name='__main__')\n";
    let out = std::process::Command::new("python3")
        .current_dir(&dir)
        .args(["-c", block])
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("--from-wick-weights"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
