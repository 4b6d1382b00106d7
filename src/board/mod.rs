//! `readygate board`: a local, read-only web board over the live cluster, with the user's own
//! credentials. A reflector keeps every ReadinessChecklist the user may list; pages render from
//! it ([`pages`], sharing the HTML report's template); server-sent events tell open pages what
//! changed, and their script fetches the new rendering without reloading.
//!
//! Nothing is written to the cluster. The server binds loopback by default and then answers
//! only requests addressed to loopback (`Host`), so a web page elsewhere cannot read the board
//! through DNS rebinding.

mod events;
pub mod pages;
mod server;
mod source;

pub use server::{Board, serve};
pub use source::{Change, Scope};
