//! What the sign-up pages show and check, apart from the handlers (`crate::signup`): the form's
//! fields and their problems ([`form`]) and the pages in English, French and German ([`page`]),
//! which the sign-in and set-password pages use too.

pub mod form;
pub mod page;

pub use form::{LANGUAGES, Problem, Problems, SignupForm};
