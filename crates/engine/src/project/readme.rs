//! The project's `README.md`, from `README.template.md` (`{{name}}` placeholders): what the
//! run is, the launch lines, and how to keep Wick's effective batch on more GPUs.

use super::{batch_flags, same_effective_batch, DataOrigin, ModelOrigin, ProjectSpec};
use crate::hub::DEFAULT_ENDPOINT;
use crate::{Error, Result};

const TEMPLATE: &str = include_str!("README.template.md");

pub fn render(spec: &ProjectSpec, labels: &[String], launch: &[String]) -> Result<String> {
    let (b, a) = (
        spec.args.per_device_train_batch_size,
        spec.args.gradient_accumulation_steps,
    );
    let (title, checkpoint) = match &spec.model {
        ModelOrigin::Hub(repo) => (
            format!("Fine-tune {} on {}", repo.id, spec.task),
            format!("`{}` from the Hub (revision `{}`)", repo.id, repo.revision),
        ),
        ModelOrigin::Files(_) => (
            format!("Fine-tune a checkpoint on {}", spec.task),
            "`checkpoint/` (the files Wick loaded, copied in)".into(),
        ),
    };
    let data = match &spec.data {
        DataOrigin::Hub {
            repo,
            config: Some(c),
        } => format!("`load_dataset(\"{}\", \"{c}\")` from the Hub", repo.id),
        DataOrigin::Hub { repo, config: None } => {
            format!("`load_dataset(\"{}\")` from the Hub", repo.id)
        }
        DataOrigin::Own(files) => {
            let names: Vec<String> = files.iter().map(|(n, _)| format!("`{n}`")).collect();
            format!(
                "{} (your data as Wick loaded it, columns mapped)",
                names.join(", ")
            )
        }
    };
    let labels = if labels.is_empty() {
        "regression: one output".to_string()
    } else {
        format!("labels: {}", labels.join(", "))
    };
    let fill = [
        ("title", title),
        ("checkpoint", checkpoint),
        ("data", data),
        ("task", spec.task.to_string()),
        ("labels", labels),
        (
            "batch",
            format!("{b} per device × {a} accumulation = {} rows", b * a),
        ),
        ("wick_weights", wick_weights_line(spec)),
        ("launch", launch.join("\n")),
        ("endpoint", endpoint_note(spec)),
        ("batch_table", batch_table(spec)),
        ("file_rows", file_rows(spec)),
    ];
    let mut out = TEMPLATE.to_string();
    for (name, value) in fill {
        out = out.replace(&format!("{{{{{name}}}}}"), &value);
    }
    if let Some(i) = out.find("{{") {
        let end = out[i..].find("}}").map_or(out.len(), |e| i + e + 2);
        return Err(Error::Invalid(format!(
            "README template: nothing fills {}",
            &out[i..end]
        )));
    }
    Ok(out)
}

fn wick_weights_line(spec: &ProjectSpec) -> String {
    match spec.wick_model {
        Some(_) => "- trained in Wick: `wick_model/` (`python train.py --from-wick-weights` goes on from it)\n".into(),
        None => String::new(),
    }
}

/// Where Wick downloaded from, when it is not the Hub itself (a mirror, a classroom server).
fn endpoint_note(spec: &ProjectSpec) -> String {
    let model = match &spec.model {
        ModelOrigin::Hub(repo) => Some(repo.endpoint.as_str()),
        ModelOrigin::Files(_) => None,
    };
    let data = match &spec.data {
        DataOrigin::Hub { repo, .. } => Some(repo.endpoint.as_str()),
        DataOrigin::Own(_) => None,
    };
    match [model, data]
        .into_iter()
        .flatten()
        .find(|e| *e != DEFAULT_ENDPOINT)
    {
        Some(e) => {
            format!("Wick downloaded from `{e}`: to do the same, `export HF_ENDPOINT={e}` first.")
        }
        None => String::new(),
    }
}

/// Per-device batch and accumulation for 1, 2, 4 and 8 processes.
fn batch_table(spec: &ProjectSpec) -> String {
    let args = spec.args;
    let (b, a) = (
        args.per_device_train_batch_size,
        args.gradient_accumulation_steps,
    );
    let mut table = String::from(
        "| processes | per-device batch | gradient accumulation | launch |\n|---|---|---|---|\n",
    );
    for n in [1, 2, 4, 8] {
        let row = match (same_effective_batch(b, a, n), batch_flags(args, n)) {
            (Some((pb, pa)), Some(flags)) => {
                let launch = match n {
                    1 => format!("`python train.py{flags}`"),
                    _ => format!("`torchrun --nproc_per_node {n} train.py{flags}`"),
                };
                format!("| {n} | {pb} | {pa} | {launch} |\n")
            }
            _ => format!(
                "| {n} | - | - | {} rows do not split over {n} processes: choose a batch that does |\n",
                b * a
            ),
        };
        table += &row;
    }
    table.trim_end().to_string()
}

fn file_rows(spec: &ProjectSpec) -> String {
    let mut rows = String::new();
    if matches!(spec.data, DataOrigin::Own(_)) {
        rows +=
            "| `data/` | the data, one JSON object per row, the columns as Wick mapped them |\n";
    }
    if matches!(spec.model, ModelOrigin::Files(_)) {
        rows += "| `checkpoint/` | the checkpoint Wick loaded from your files |\n";
    }
    if spec.wick_model.is_some() {
        rows += "| `wick_model/` | the model as trained in Wick (`save_pretrained` layout) |\n";
    }
    rows.trim_end().to_string()
}
