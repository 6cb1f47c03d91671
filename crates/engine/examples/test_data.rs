//! Prints where the tests' real data is, for scripts (`wick_engine::testing` is the one place
//! that finds it):
//!
//!   cargo run -q -p wick-engine --example test_data -- mrpc       # GLUE MRPC, any form (downloaded from the Hub when there is no copy)
//!   cargo run -q -p wick-engine --example test_data -- mrpc-tsv   # GLUE's MRPC TSV folder, or an error
//!   cargo run -q -p wick-engine --example test_data -- model      # all-MiniLM-L6-v2's folder

use wick_engine::testing;

fn main() {
    let what = std::env::args().nth(1).unwrap_or_default();
    let dir = match what.as_str() {
        "mrpc" => testing::mrpc_dir(),
        "mrpc-tsv" => testing::mrpc_tsv_dir().unwrap_or_else(|| {
            eprintln!("GLUE's MRPC TSV files not found: set WICK_MRPC, or put them at ../shared/data/glue/MRPC beside the repository");
            std::process::exit(1)
        }),
        "model" => testing::minilm_dir(),
        _ => {
            eprintln!("usage: test_data mrpc|mrpc-tsv|model");
            std::process::exit(2)
        }
    };
    println!("{}", dir.display());
}
