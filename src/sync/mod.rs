//! Applying server changes: Graph delta pages, the folder counts every write keeps
//! right, the outbox of actions taken offline, and what a sync asks the server for
//! and does with its answers. Pure Rust; the sync itself runs in the session.

mod budget;
mod codec;
mod counts;
mod delta;
mod http;
mod outbox;
mod plan;
mod retention;
mod state;

pub use budget::bodies_to_evict;
pub use counts::{count_changes, CountChange, FolderCounts, Placement};
pub use delta::{Change, DeltaPage, RemovalReason};
pub use http::{outcome, Outcome};
pub use outbox::{
    is_local_id, Action, Entry, EventResponse, Failure, GraphRequest, Outbox, LOCAL_ID_PREFIX,
};
pub use plan::{encode_segment, on_origin, pulls, CalendarWindow, Pull};
pub use retention::Retention;
pub use state::{Epoch, MailboxState, RotationCursor, INSTANCE_LEN};
