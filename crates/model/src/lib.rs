//! The shared vocabulary of secutix-bridge: contact numbers, e-mail addresses, contacts as
//! S-360 describes them, and the bus contracts generated from `proto/`.
//!
//! No web framework, broker client or database code lives here, so every crate (and the
//! simulator) can depend on it cheaply.

pub mod bus;
pub mod contact;
pub mod contact_number;
pub mod email;
pub mod secutix;

pub use contact::{Address, Authorization, Contact};
pub use contact_number::ContactNumber;
pub use email::Email;
