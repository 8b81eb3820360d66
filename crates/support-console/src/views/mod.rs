//! The console's read-only pages: the search ([`search`]), a fan's page ([`fan`]), the sync
//! at a glance ([`sync`], with its [`dead_letters`], [`imports`], [`reconcile`] reports and
//! [`replays`], asked for by [`replay_requests`]) and the audit log ([`audit`]),
//! and what every page needs first: a signed-in staff member ([`signed_in`], with the guards).

pub mod audit;
pub mod dead_letters;
pub mod fan;
pub mod fan_tasks;
pub mod imports;
pub mod live_queues;
pub mod reconcile;
pub mod replay_requests;
pub mod replays;
pub mod search;
pub mod sync;

pub use crate::guard::signed_in;
