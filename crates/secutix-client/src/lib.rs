//! The S-360 contact API client (`../shared/SECUTIX.md`, "Contact API"): REST-RPC calls
//! `getContactData`, `saveIndividualContactData`, `searchContact` and `addLink`, each with a freshly minted
//! HS256 token, all of a process's calls passing through one shared rate limiter (the limit is
//! per S-360 instance, shared by every integration), back-off on 429 and 509 honouring
//! `Retry-After`, a timeout per call, and retries with jitter for transient failures only.

pub mod api;
mod client;
mod config;
mod error;
mod limiter;
mod token;

pub use client::Client;
pub use config::{SecutixArgs, TimeUnit};
pub use error::Error;
pub use limiter::{BudgetFuture, RateLimiter, SharedBudget};
pub use token::{Claims, mint};
