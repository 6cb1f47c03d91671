//! Data sets, as Python `datasets` gives them: a [`DatasetDict`] of named splits, each a
//! columnar [`Dataset`] with [`Features`] (`ClassLabel` names). Readers take bytes, so the
//! browser uses them as they are: the Hub's parquet, GLUE TSV, CSV, JSON lines. The GLUE task
//! table says what each of the nine tasks holds. [`load_dataset`] puts it together.

mod csv_file;
mod dataset;
pub mod glue;
mod glue_tsv;
mod jsonl;
mod load;
mod mapping;
mod parquet_file;
mod table;

pub use csv_file::read_csv;
pub use dataset::{float_json, Column, Dataset, DatasetDict, Feature, Features, Values};
pub use glue::{GlueTask, TsvLayout, GLUE_REPO, TASKS};
pub use glue_tsv::read_glue_tsv;
pub use jsonl::read_jsonl;
pub use load::{load_dataset, load_source, DataSpec};
pub use mapping::ColumnMapping;
pub use parquet_file::{read_parquet, HF_METADATA_KEY};
