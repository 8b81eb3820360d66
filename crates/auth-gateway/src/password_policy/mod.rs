//! The password policy of the fan sign-up page: which new passwords are refused, and why.
//!
//! Three layers, cheapest first:
//! - [`check`] (in `rules.rs`): length, likeness to the e-mail address, one repeated character,
//!   and membership in the embedded common-password Bloom filter (`bloom.rs`). Synchronous,
//!   no I/O, microseconds.
//! - [`breached_in_range`] (in `range.rs`): an optional query to a "Have I Been Pwned"-style
//!   k-anonymity range API. It needs the network and may fail; the caller treats a failure as
//!   "not known to be breached" and logs it, so sign-up never depends on that service.
//!
//! A refusal is a [`Refusal`] with a stable [`Refusal::code`]; the page turns that code into
//! translated text, so no human wording lives here.

mod bloom;
mod range;
mod rules;

pub use bloom::{BloomError, BloomFilter, is_common};
pub use range::{RANGE_TIMEOUT, RangeError, breached_in_range};
pub use rules::{MAX_BYTES, MIN_CHARS, Refusal, check};
