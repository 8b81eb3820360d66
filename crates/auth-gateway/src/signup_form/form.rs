//! The sign-up form's fields, read and checked: what the fan typed comes back with every
//! problem named by field, so the page can show each beside its input.

use std::collections::HashMap;

use crate::password_policy::{self, Refusal};

/// Longest first or last name S-360 takes (its bulk import specification).
pub const MAX_NAME_CHARS: usize = 100;
/// Longest e-mail address S-360 takes.
pub const MAX_EMAIL_CHARS: usize = 250;
/// The languages a fan can choose; the pages and mails exist in each.
pub const LANGUAGES: [&str; 3] = ["en", "fr", "de"];

/// The form as typed (the password is never shown again).
#[derive(Debug, Clone, Default)]
pub struct SignupForm {
    pub email: String,
    pub password: String,
    pub given_name: String,
    pub family_name: String,
    pub language: String,
    pub privacy: bool,
    pub newsletter: bool,
    /// The honeypot: hidden from people, filled in by form-filling robots.
    pub trap: String,
}

/// What is wrong with a field, as a stable code the page translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    EmailInvalid,
    NameMissing,
    NameTooLong,
    PrivacyRequired,
    Password(Refusal),
}

/// Problems by field name.
pub type Problems = Vec<(&'static str, Problem)>;

impl SignupForm {
    pub fn read(fields: &HashMap<String, String>, default_language: &str) -> Self {
        let text = |name: &str| fields.get(name).map(|v| v.trim().to_owned()).unwrap_or_default();
        let language = Some(text("language"))
            .filter(|l| LANGUAGES.contains(&l.as_str()))
            .unwrap_or_else(|| default_language.to_owned());
        Self {
            email: text("email"),
            password: fields.get("password").cloned().unwrap_or_default(),
            given_name: text("given_name"),
            family_name: text("family_name"),
            language,
            privacy: fields.get("privacy").is_some_and(|v| v == "yes"),
            newsletter: fields.get("newsletter").is_some_and(|v| v == "yes"),
            trap: text("website"),
        }
    }

    /// Every problem of the form; empty when it can be registered (the breached-password range
    /// check, which needs the network, comes after).
    pub fn problems(&self) -> Problems {
        let mut problems = Problems::new();
        if model::Email::parse(&self.email).is_err() || self.email.chars().count() > MAX_EMAIL_CHARS {
            problems.push(("email", Problem::EmailInvalid));
        }
        for (field, value) in [("given_name", &self.given_name), ("family_name", &self.family_name)] {
            if value.is_empty() {
                problems.push((field, Problem::NameMissing));
            } else if value.chars().count() > MAX_NAME_CHARS {
                problems.push((field, Problem::NameTooLong));
            }
        }
        if let Err(refusal) = password_policy::check(&self.password, &self.email) {
            problems.push(("password", Problem::Password(refusal)));
        }
        if !self.privacy {
            problems.push(("privacy", Problem::PrivacyRequired));
        }
        problems
    }

    /// The domain of the address, for the per-domain sign-up limit.
    pub fn domain(&self) -> String {
        self.email
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("email", " Fan@Example.org "),
            ("password", "violet-harbour-1987"),
            ("given_name", "Anna"),
            ("family_name", "Muster"),
            ("language", "de"),
            ("privacy", "yes"),
        ]
    }

    #[test]
    fn a_complete_form_has_no_problem_and_the_newsletter_stays_off_unless_ticked() {
        let form = SignupForm::read(&fields(&good()), "en");
        assert_eq!(form.problems(), vec![]);
        assert_eq!((form.email.as_str(), form.language.as_str()), ("Fan@Example.org", "de"));
        assert!(!form.newsletter && form.trap.is_empty());
        assert_eq!(form.domain(), "example.org");
        let mut ticked = good();
        ticked.push(("newsletter", "yes"));
        assert!(SignupForm::read(&fields(&ticked), "en").newsletter);
    }

    #[test]
    fn each_missing_or_wrong_field_is_named() {
        let form = SignupForm::read(
            &fields(&[("email", "not-an-address"), ("password", "short"), ("language", "it")]),
            "fr",
        );
        let problems = form.problems();
        assert_eq!(form.language, "fr", "an unknown language falls back to the page's");
        for field in ["email", "given_name", "family_name", "password", "privacy"] {
            assert!(problems.iter().any(|(f, _)| *f == field), "{field}: {problems:?}");
        }
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        let mut too_long = good();
        too_long[2] = ("given_name", long.as_str());
        assert_eq!(
            SignupForm::read(&fields(&too_long), "en").problems(),
            vec![("given_name", Problem::NameTooLong)]
        );
    }

    #[test]
    fn a_common_password_is_refused() {
        let mut common = good();
        common[1] = ("password", "password1234");
        let problems = SignupForm::read(&fields(&common), "en").problems();
        assert!(
            matches!(problems.as_slice(), [("password", Problem::Password(_))]),
            "{problems:?}"
        );
    }
}
