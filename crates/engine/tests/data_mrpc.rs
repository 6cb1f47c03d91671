//! The real GLUE MRPC folder: 3668 + 408 rows, every sentence byte for byte as in the file,
//! although about 850 lines hold bare, often unbalanced, `"` characters.

use wick_engine::data::{load_dataset, read_glue_tsv, GlueTask};
use wick_engine::hub::{Fetch, Hub, MemoryStore, Progress};
use wick_engine::testing::{mrpc, mrpc_dir, mrpc_tsv_dir};
use wick_engine::Result;

struct NoNetwork;
impl Fetch for NoNetwork {
    async fn get(
        &self,
        url: &str,
        _: Option<&str>,
        _: &mut dyn FnMut(&Progress),
    ) -> Result<Vec<u8>> {
        panic!("a local folder must not download {url}")
    }
}

#[test]
fn mrpc_folder_loads_as_train_and_validation() {
    let dir = mrpc_dir();
    let hub = Hub::new(NoNetwork, MemoryStore::new(), "http://unused", None);
    let dict = pollster::block_on(load_dataset(&hub, dir.to_str().unwrap(), &mut |_| {})).unwrap();
    assert_eq!(dict.task.as_deref(), Some("mrpc"));
    assert_eq!(dict.split_names(), ["train", "validation"]);
    assert_eq!(dict.train().unwrap().num_rows(), 3668);
    assert_eq!(dict.validation().unwrap().num_rows(), 408);
    assert_eq!(
        dict.label_names().unwrap(),
        ["not_equivalent", "equivalent"]
    );
    assert_eq!(dict.num_labels(), Some(2));
    // 279 of the 408 validation pairs are paraphrases (REFERENCE.md's class balance).
    let positives = dict
        .validation()
        .unwrap()
        .labels()
        .unwrap()
        .iter()
        .filter(|&&l| l == 1.0)
        .count();
    assert_eq!(positives, 279);
    let first = dict.train().unwrap().row(0).unwrap();
    assert_eq!(first["sentence1"], "Amrozi accused his brother , whom he called \" the witness \" , of deliberately distorting his evidence .");
    assert_eq!(first["label"], 1);
    assert_eq!(first["idx"], 0);
}

/// Every row against the raw file, split here independently: each line is
/// `label \t id \t id \t sentence1 \t sentence2`.
#[test]
fn every_sentence_is_intact_byte_for_byte() {
    let Some(dir) = mrpc_tsv_dir() else {
        eprintln!("NOT RUN: GLUE's MRPC TSV files are not here (the Hub's copy is parquet); set WICK_MRPC");
        return;
    };
    let mrpc = GlueTask::get("mrpc").unwrap();
    for (file, split, rows) in [("train.tsv", "train", 3668), ("dev.tsv", "validation", 408)] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        assert_eq!(
            &bytes[..3],
            b"\xEF\xBB\xBF",
            "{file} starts with a byte-order mark"
        );
        let d = read_glue_tsv(&bytes, file, mrpc, split).unwrap();
        assert_eq!(d.num_rows(), rows);
        let raw = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = raw.lines().skip(1).collect();
        assert_eq!(lines.len(), rows);
        let (s1, s2) = (d.text("sentence1").unwrap(), d.text("sentence2").unwrap());
        let labels = d.labels().unwrap();
        let mut quoted = 0;
        for (i, line) in lines.iter().enumerate() {
            let expected = format!("\t{}\t{}", s1[i], s2[i]);
            assert!(line.ends_with(&expected), "{file} row {i}: {line:?}");
            assert!(
                line.starts_with(&format!("{}\t", labels[i] as i64)),
                "{file} row {i}"
            );
            quoted += line.contains('"') as usize;
        }
        assert!(quoted > 80, "{file}: only {quoted} lines with quotes");
    }
}

/// Through `load_dataset`: GLUE's TSV reader where the TSV files are, else the Hub's parquet.
#[test]
fn rows_with_unbalanced_quotes() {
    let dict = mrpc();
    let d = dict.train().unwrap();
    let s1 = d.text("sentence1").unwrap();
    let s2 = d.text("sentence2").unwrap();
    // Lines 15 and 27 of the file (rows 13 and 25): one quote opens a field and closes far away
    // in the next, which a quote-honouring reader would merge.
    assert_eq!(s1[13], "He told The Sun newspaper that Mr. Hussein 's daughters had British schools and hospitals in mind when they decided to ask for asylum .");
    assert_eq!(s2[13], "\" Saddam 's daughters had British schools and hospitals in mind when they decided to ask for asylum -- especially the schools , \" he told The Sun .");
    assert_eq!(s2[25], "\" I wanted to bring the most beautiful people into the most beautiful building , \" Tunick said Sunday .");
    // A lone quote at the end of one row and the start of a later one: a CSV reader would
    // swallow the rows between them into one field.
    assert_eq!(s1[55], "Contrary to what PeopleSoft management would have you believe , Oracle intends to fully support PeopleSoft customers and products for many years to come . \"");
    assert_eq!(
        s1[77],
        "\" We are declaring war on sexual harassment and sexual assault ."
    );
    let odd = s1
        .iter()
        .chain(s2)
        .filter(|s| s.matches('"').count() % 2 == 1)
        .count();
    assert_eq!(
        odd, 245,
        "fields with an odd number of quotes (counted with Python)"
    );

    assert_eq!(
        dict.validation().unwrap().text("sentence2").unwrap()[0],
        "\" The foodservice pie business does not fit our long-term growth strategy ."
    );
}
