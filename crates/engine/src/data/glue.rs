//! The GLUE task table: for each of the nine tasks, what the model reads (text columns), what
//! it predicts (labels, in the Hub's `ClassLabel` order), how it is scored, where the Hub keeps
//! it (`nyu-mll/glue`), and how the original GLUE TSV files lay it out.

use serde::Serialize;

/// The Hub repo with all nine tasks as configs.
pub const GLUE_REPO: &str = "nyu-mll/glue";

#[derive(Debug, PartialEq, Serialize)]
pub struct GlueTask {
    /// The Hub config name: `mrpc`.
    pub name: &'static str,
    /// Sentence, or sentence pair, in the order the tokenizer takes them.
    pub text_columns: &'static [&'static str],
    /// Classifier outputs; 1 means regression (stsb).
    pub num_labels: usize,
    /// Class names in the Hub's `ClassLabel` order; empty for regression.
    pub label_names: &'static [&'static str],
    /// What `evaluate.load("glue", name)` reports.
    pub metrics: &'static [&'static str],
    /// The Hub's splits, in order; each is `{name}/{split}-00000-of-00001.parquet`.
    pub splits: &'static [&'static str],
    pub tsv: TsvLayout,
}

/// How a task's GLUE TSV files name their columns. Files without a header (CoLA's train and
/// dev) are read by position.
#[derive(Debug, PartialEq, Serialize)]
pub struct TsvLayout {
    /// The folder name in `glue_data/` (`MRPC`, `SST-2`).
    pub folder: &'static str,
    /// `(file, split)`: `dev.tsv` is `validation`.
    pub files: &'static [(&'static str, &'static str)],
    /// `(header name, position in a header-less file)` for each text column, in
    /// `text_columns` order.
    pub text: &'static [(&'static str, Option<usize>)],
    /// The label's header name and header-less position; test files have no label.
    pub label: (&'static str, Option<usize>),
}

const FILES: &[(&str, &str)] = &[
    ("train.tsv", "train"),
    ("dev.tsv", "validation"),
    ("test.tsv", "test"),
];
const PAIR: &[&str] = &["sentence1", "sentence2"];
const PAIR_TSV: &[(&str, Option<usize>)] = &[("sentence1", None), ("sentence2", None)];
const SPLITS: &[&str] = &["train", "validation", "test"];
const ACCURACY: &[&str] = &["accuracy"];
const ACCURACY_F1: &[&str] = &["accuracy", "f1"];
const ENTAILMENT: &[&str] = &["entailment", "not_entailment"];

pub const TASKS: &[GlueTask] = &[
    GlueTask {
        name: "cola",
        text_columns: &["sentence"],
        num_labels: 2,
        label_names: &["unacceptable", "acceptable"],
        metrics: &["matthews_correlation"],
        splits: SPLITS,
        // train/dev: source, label, original label, sentence; no header. test: index, sentence.
        tsv: TsvLayout {
            folder: "CoLA",
            files: FILES,
            text: &[("sentence", Some(3))],
            label: ("label", Some(1)),
        },
    },
    GlueTask {
        name: "sst2",
        text_columns: &["sentence"],
        num_labels: 2,
        label_names: &["negative", "positive"],
        metrics: ACCURACY,
        splits: SPLITS,
        tsv: TsvLayout {
            folder: "SST-2",
            files: FILES,
            text: &[("sentence", None)],
            label: ("label", None),
        },
    },
    GlueTask {
        name: "mrpc",
        text_columns: PAIR,
        num_labels: 2,
        label_names: &["not_equivalent", "equivalent"],
        metrics: ACCURACY_F1,
        splits: SPLITS,
        tsv: TsvLayout {
            folder: "MRPC",
            files: FILES,
            text: &[("#1 String", None), ("#2 String", None)],
            label: ("Quality", None),
        },
    },
    GlueTask {
        name: "qqp",
        text_columns: &["question1", "question2"],
        num_labels: 2,
        label_names: &["not_duplicate", "duplicate"],
        metrics: ACCURACY_F1,
        splits: SPLITS,
        tsv: TsvLayout {
            folder: "QQP",
            files: FILES,
            text: &[("question1", None), ("question2", None)],
            label: ("is_duplicate", None),
        },
    },
    GlueTask {
        name: "stsb",
        text_columns: PAIR,
        num_labels: 1,
        label_names: &[],
        metrics: &["pearson", "spearmanr"],
        splits: SPLITS,
        tsv: TsvLayout {
            folder: "STS-B",
            files: FILES,
            text: PAIR_TSV,
            label: ("score", None),
        },
    },
    GlueTask {
        name: "mnli",
        text_columns: &["premise", "hypothesis"],
        num_labels: 3,
        label_names: &["entailment", "neutral", "contradiction"],
        metrics: ACCURACY,
        splits: &[
            "train",
            "validation_matched",
            "validation_mismatched",
            "test_matched",
            "test_mismatched",
        ],
        tsv: TsvLayout {
            folder: "MNLI",
            files: &[
                ("train.tsv", "train"),
                ("dev_matched.tsv", "validation_matched"),
                ("dev_mismatched.tsv", "validation_mismatched"),
                ("test_matched.tsv", "test_matched"),
                ("test_mismatched.tsv", "test_mismatched"),
            ],
            text: PAIR_TSV,
            label: ("gold_label", None),
        },
    },
    GlueTask {
        name: "qnli",
        text_columns: &["question", "sentence"],
        num_labels: 2,
        label_names: ENTAILMENT,
        metrics: ACCURACY,
        splits: SPLITS,
        tsv: TsvLayout {
            folder: "QNLI",
            files: FILES,
            text: &[("question", None), ("sentence", None)],
            label: ("label", None),
        },
    },
    GlueTask {
        name: "rte",
        text_columns: PAIR,
        num_labels: 2,
        label_names: ENTAILMENT,
        metrics: ACCURACY,
        splits: SPLITS,
        tsv: TsvLayout {
            folder: "RTE",
            files: FILES,
            text: PAIR_TSV,
            label: ("label", None),
        },
    },
    GlueTask {
        name: "wnli",
        text_columns: PAIR,
        num_labels: 2,
        label_names: &["not_entailment", "entailment"],
        metrics: ACCURACY,
        splits: SPLITS,
        tsv: TsvLayout {
            folder: "WNLI",
            files: FILES,
            text: PAIR_TSV,
            label: ("label", None),
        },
    },
];

impl GlueTask {
    /// By Hub config name or GLUE folder name, any case: `mrpc`, `MRPC`, `SST-2`, `sts-b`.
    pub fn get(name: &str) -> Option<&'static GlueTask> {
        let key = |s: &str| s.to_ascii_lowercase().replace('-', "");
        TASKS
            .iter()
            .find(|t| t.name == key(name) || key(t.tsv.folder) == key(name))
    }

    pub fn is_regression(&self) -> bool {
        self.num_labels == 1
    }

    /// The Hub path of a split: `mrpc/train-00000-of-00001.parquet`.
    pub fn hub_path(&self, split: &str) -> String {
        format!("{}/{split}-00000-of-00001.parquet", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nine_tasks_consistent() {
        let names: Vec<_> = TASKS.iter().map(|t| t.name).collect();
        assert_eq!(
            names,
            ["cola", "sst2", "mrpc", "qqp", "stsb", "mnli", "qnli", "rte", "wnli"]
        );
        for t in TASKS {
            assert_eq!(t.tsv.text.len(), t.text_columns.len(), "{}", t.name);
            let classes = if t.is_regression() { 0 } else { t.num_labels };
            assert_eq!(t.label_names.len(), classes, "{}", t.name);
            assert_eq!(t.tsv.files.len(), t.splits.len(), "{}", t.name);
            for ((_, split), hub) in t.tsv.files.iter().zip(t.splits) {
                assert_eq!(split, hub, "{}", t.name);
            }
            assert_eq!(GlueTask::get(t.tsv.folder).unwrap().name, t.name);
        }
    }

    #[test]
    fn lookups_and_paths() {
        let mrpc = GlueTask::get("glue_mrpc".trim_start_matches("glue_")).unwrap();
        assert_eq!(mrpc.label_names, ["not_equivalent", "equivalent"]);
        assert_eq!(mrpc.metrics, ["accuracy", "f1"]);
        assert_eq!(
            mrpc.hub_path("validation"),
            "mrpc/validation-00000-of-00001.parquet"
        );
        let stsb = GlueTask::get("STS-B").unwrap();
        assert!(stsb.is_regression());
        assert_eq!(stsb.metrics, ["pearson", "spearmanr"]);
        let mnli = GlueTask::get("mnli").unwrap();
        assert_eq!(mnli.text_columns, ["premise", "hypothesis"]);
        assert_eq!(
            mnli.hub_path("test_mismatched"),
            "mnli/test_mismatched-00000-of-00001.parquet"
        );
        assert_eq!(
            GlueTask::get("cola").unwrap().metrics,
            ["matthews_correlation"]
        );
        assert_eq!(
            GlueTask::get("wnli").unwrap().label_names,
            ["not_entailment", "entailment"]
        );
        assert!(GlueTask::get("ax").is_none());
    }
}
