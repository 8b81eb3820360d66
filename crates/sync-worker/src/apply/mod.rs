//! Applying contact events to the database so it converges to S-360's state whatever the
//! order or duplication of deliveries.
//!
//! The stored row of a contact is the one of the greatest `(state rank, version, event id)`
//! among all events received: anonymised outranks merged outranks active, then the newer
//! version wins, then the greater event id. A maximum does not depend on order or
//! repetition, so every delivery order converges to the same row; anonymisation is a
//! tombstone no later update can undo. Side effects (moving or dropping accounts, erasing
//! personal data) run when a merge or an anonymisation is written, and are idempotent. An
//! active contact whose SSO link names a sign-up account without a contact attaches it
//! ([`attach`]).

pub mod attach;
mod batch;
mod detect;
mod email_follow;
mod event;
mod lifecycle;
mod row;

pub use batch::{apply_batch, apply_batch_counted, apply_event};
pub use detect::{DetectionRules, Lifecycle};
pub use event::{ContactEvent, InvalidEvent};
pub use row::{Applied, ContactRow, find};
