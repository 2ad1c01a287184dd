//! Applying server changes: Graph delta pages, the folder counts every write keeps
//! right, and the outbox of actions taken offline. Pure Rust.

mod counts;
mod delta;
mod http;
mod outbox;
mod state;

pub use counts::{count_changes, CountChange, FolderCounts, Placement};
pub use delta::{Change, DeltaPage, RemovalReason};
pub use http::{outcome, Outcome};
pub use outbox::{Action, Entry, EventResponse, GraphRequest, Outbox};
pub use state::{Epoch, MailboxState, RotationCursor, INSTANCE_LEN};
