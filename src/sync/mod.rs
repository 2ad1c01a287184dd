//! Applying server changes: Graph delta pages, and the folder counts every write
//! keeps right. Pure Rust.

mod counts;
mod delta;
mod state;

pub use counts::{count_changes, CountChange, FolderCounts, Placement};
pub use delta::{Change, DeltaPage, RemovalReason};
pub use state::{Epoch, MailboxState, RotationCursor, INSTANCE_LEN};
