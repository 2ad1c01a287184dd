//! Several tabs of one user, live: each committed write is announced to every tab
//! (`change.rs`, pure: what a notice holds and how it crosses the channel), and
//! one tab at a time leads, holding a Web Lock (`tabs.rs`, browser only: the
//! `BroadcastChannel`, the locks, the events the host listens to).

mod change;
#[cfg(target_arch = "wasm32")]
pub mod tabs;

pub use change::ChangeNotice;
