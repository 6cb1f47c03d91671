//! `wick inspect DATA`: what `print(raw_datasets)` and `raw_datasets["train"][0]` show.

use crate::common::{self, GlobalArgs, Ordered};
use serde::Serialize;
use serde_json::Value;
use wick_engine::data::{Dataset, Feature, Features};
use wick_engine::Result;

#[derive(clap::Args)]
pub struct Args {
    /// `glue/mrpc`, a Hub data set id (`owner/name[/config]`), or a local folder or file.
    data: String,
}

/// One split as `datasets` describes it.
#[derive(Serialize)]
struct Split {
    num_rows: usize,
    features: Features,
    first_row: Ordered<Value>,
}

pub fn run(global: &GlobalArgs, args: Args) -> Result<()> {
    let data = common::load_data(&global.hub(), &args.data)?;
    let splits = Ordered(
        data.splits
            .iter()
            .map(|(name, split)| {
                let summary = Split {
                    num_rows: split.num_rows(),
                    features: split.features(),
                    first_row: first_row(split),
                };
                (name.clone(), summary)
            })
            .collect(),
    );
    common::output(global.json, &splits, || {
        let mut text = match data.glue_task() {
            Some(task) => format!("{}: GLUE task {}\n\n", args.data, task.name),
            None => format!("{}\n\n", args.data),
        };
        let rows: Vec<Vec<String>> = splits
            .0
            .iter()
            .map(|(n, s)| vec![n.clone(), s.num_rows.to_string()])
            .collect();
        text += &common::table(&["split", "rows"], &rows);
        let features = data.features();
        let rows: Vec<Vec<String>> = features
            .0
            .iter()
            .map(|(n, f)| vec![n.clone(), describe(f)])
            .collect();
        text += "\n";
        text += &common::table(&["feature", "type"], &rows);
        if let Some((name, split)) = splits.0.first() {
            let names = features.label_names();
            let rows: Vec<Vec<String>> = split
                .first_row
                .0
                .iter()
                .map(|(column, value)| {
                    let mut cell = match value {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let label = value.as_u64().and_then(|i| names?.get(i as usize));
                    if let (true, Some(label)) = (column == "label", label) {
                        cell += &format!(" ({label})");
                    }
                    vec![column.clone(), cell]
                })
                .collect();
            text += &format!("\nfirst row of {name}\n");
            text += &common::table(&["column", "value"], &rows);
        }
        text
    })
}

/// `dataset[0]`, columns in order.
fn first_row(split: &Dataset) -> Ordered<Value> {
    let row = split.row(0).unwrap_or(Value::Null);
    Ordered(
        split
            .columns
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    row.get(&c.name).cloned().unwrap_or(Value::Null),
                )
            })
            .collect(),
    )
}

/// `Value(string)`, `ClassLabel(not_equivalent, equivalent)`, as `datasets` prints features.
fn describe(feature: &Feature) -> String {
    match feature {
        Feature::Value { dtype } => format!("Value({dtype})"),
        Feature::ClassLabel { names } => format!("ClassLabel({})", names.join(", ")),
    }
}
