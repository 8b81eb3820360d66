//! The profile as the form shows it, its server-side validation to S-360's field sizes
//! (`shared/SECUTIX.md`, "Contact data": names 100, address lines 100, zip 10, town 20, phones
//! 15, ISO 639-1 language, ISO 3166-1 country), and the changes against the mirror.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use model::bus::{MainAddress, OptIn, ProfileChanges};

/// Languages offered (ISO 639-1); S-360 instances commonly run these.
pub const LANGUAGES: [(&str, &str); 4] = [
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("it", "Italiano"),
];

/// Field sizes of S-360's contact data.
pub const NAME_MAX: usize = 100;
pub const LINE_MAX: usize = 100;
pub const ZIP_MAX: usize = 10;
pub const TOWN_MAX: usize = 20;
pub const PHONE_MAX: usize = 15;

/// One profile, every field as text (empty when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub first_name: String,
    pub last_name: String,
    pub birth_date: String,
    pub phone: String,
    pub language: String,
    /// `street1`, `street2` (the form's lines).
    pub lines: [String; 2],
    /// `street3` and `street4` when S-360 has them: not on the form, kept as they are.
    pub extra_lines: Vec<String>,
    pub zip_code: String,
    pub town: String,
    pub country: String,
    /// Opt-in code → allowed, in code order.
    pub opt_ins: BTreeMap<String, bool>,
}

/// Why a field was refused; the page shows it beside the field, in the page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Required,
    TooLong(usize),
    Control,
    Date,
    Phone,
    Language,
    Country,
    CountryUk,
}

/// Field name → problem.
pub type Problems = BTreeMap<&'static str, Problem>;

impl Profile {
    /// Reads a submitted form: values trimmed, phone without spaces, dots or dashes, country in
    /// capitals; opt-ins only for the codes the mirror knows (`known`).
    pub fn from_form(fields: &HashMap<String, String>, known: &[String]) -> Self {
        let get = |name: &str| fields.get(name).map(|v| v.trim().to_owned()).unwrap_or_default();
        Self {
            first_name: get("first_name"),
            last_name: get("last_name"),
            birth_date: get("birth_date"),
            phone: normalise_phone(&get("phone")),
            language: get("language").to_ascii_lowercase(),
            lines: [get("street1"), get("street2")],
            extra_lines: Vec::new(),
            zip_code: get("zip_code"),
            town: get("town"),
            country: get("country").to_ascii_uppercase(),
            opt_ins: known
                .iter()
                .map(|code| (code.clone(), fields.contains_key(&format!("optin.{code}"))))
                .collect(),
        }
    }

    /// Every field's problem; empty when the profile may be saved.
    pub fn validate(&self, today: NaiveDate) -> Problems {
        let mut problems = Problems::new();
        let mut text = |name: &'static str, value: &str, max: usize, required: bool| {
            if required && value.is_empty() {
                problems.insert(name, Problem::Required);
            } else if value.chars().count() > max {
                problems.insert(name, Problem::TooLong(max));
            } else if value.chars().any(char::is_control) {
                problems.insert(name, Problem::Control);
            }
        };
        text("first_name", &self.first_name, NAME_MAX, false);
        text("last_name", &self.last_name, NAME_MAX, true);
        text("street1", &self.lines[0], LINE_MAX, false);
        text("street2", &self.lines[1], LINE_MAX, false);
        text("zip_code", &self.zip_code, ZIP_MAX, false);
        text("town", &self.town, TOWN_MAX, false);
        if !self.birth_date.is_empty() {
            let date = NaiveDate::parse_from_str(&self.birth_date, "%Y-%m-%d").ok();
            let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
            if !date.is_some_and(|d| d >= earliest && d <= today) {
                problems.insert("birth_date", Problem::Date);
            }
        }
        if self.phone.chars().count() > PHONE_MAX {
            problems.insert("phone", Problem::TooLong(PHONE_MAX));
        } else if !self.phone.is_empty() {
            let digits = self.phone.strip_prefix('+').unwrap_or(&self.phone);
            if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                problems.insert("phone", Problem::Phone);
            }
        }
        if !self.language.is_empty() && !LANGUAGES.iter().any(|(code, _)| *code == self.language) {
            problems.insert("language", Problem::Language);
        }
        let has_address =
            self.lines.iter().any(|l| !l.is_empty()) || !self.zip_code.is_empty() || !self.town.is_empty();
        if self.country == "UK" {
            problems.insert("country", Problem::CountryUk);
        } else if !self.country.is_empty() && !is_country_code(&self.country) {
            problems.insert("country", Problem::Country);
        } else if self.country.is_empty() && has_address {
            problems.insert("country", Problem::Required);
        }
        problems
    }

    /// What changed from `current`; `None` when nothing did.
    pub fn changes_from(&self, current: &Profile) -> Option<ProfileChanges> {
        let changed = |new: &String, old: &String| (new != old).then(|| new.clone());
        let address_changed = self.lines != current.lines
            || self.zip_code != current.zip_code
            || self.town != current.town
            || self.country != current.country;
        let changes = ProfileChanges {
            first_name: changed(&self.first_name, &current.first_name),
            last_name: changed(&self.last_name, &current.last_name),
            birth_date: changed(&self.birth_date, &current.birth_date),
            phone: changed(&self.phone, &current.phone),
            language: changed(&self.language, &current.language),
            // The login e-mail changes on its own page, proven by a link (`crate::email_change`).
            email: None,
            main_address: address_changed.then(|| MainAddress {
                lines: self
                    .lines
                    .iter()
                    .chain(&self.extra_lines)
                    .filter(|l| !l.is_empty())
                    .cloned()
                    .collect(),
                zip_code: self.zip_code.clone(),
                town: self.town.clone(),
                country_code: self.country.clone(),
            }),
            opt_ins: self
                .opt_ins
                .iter()
                .filter(|(code, allowed)| current.opt_ins.get(*code) != Some(allowed))
                .map(|(code, allowed)| OptIn {
                    code: code.clone(),
                    allowed: *allowed,
                })
                .collect(),
        };
        (changes != ProfileChanges::default()).then_some(changes)
    }
}

/// Two capital letters, as ISO 3166-1 alpha-2 codes are.
fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// A phone number without the spaces, dots, dashes and slashes people type.
pub fn normalise_phone(phone: &str) -> String {
    phone.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '/')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn validates_to_secutix_field_sizes() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        let long = "x".repeat(101);
        let profile = Profile::from_form(
            &form(&[
                ("first_name", &long),
                ("birth_date", "2030-01-01"),
                ("phone", "+41 79 123 45 67 8901"),
                ("language", "xx"),
                ("town", "Saint-Légier-La Chiésaz"),
                ("country", "uk"),
            ]),
            &[],
        );
        let problems = profile.validate(today);
        assert_eq!(problems["first_name"], Problem::TooLong(100));
        assert_eq!(problems["last_name"], Problem::Required);
        assert_eq!(problems["birth_date"], Problem::Date);
        assert_eq!(problems["phone"], Problem::TooLong(15));
        assert_eq!(problems["language"], Problem::Language);
        assert_eq!(problems["town"], Problem::TooLong(20));
        assert_eq!(problems["country"], Problem::CountryUk);

        let fine = Profile::from_form(
            &form(&[
                ("last_name", "Dupont"),
                ("phone", "+41 79 123 45 67"),
                ("town", "Lausanne"),
                ("country", "ch"),
                ("optin.NEWS", "yes"),
                ("optin.UNKNOWN", "yes"),
            ]),
            &["NEWS".into(), "PARTNERS".into()],
        );
        assert!(fine.validate(today).is_empty(), "{:?}", fine.validate(today));
        assert_eq!(fine.phone, "+41791234567");
        assert_eq!(fine.country, "CH");
        assert_eq!(fine.opt_ins.len(), 2, "only known opt-ins");
    }

    #[test]
    fn only_changed_fields_are_sent() {
        let current = Profile {
            last_name: "Dupont".into(),
            town: "Lausanne".into(),
            country: "CH".into(),
            opt_ins: [("NEWS".to_owned(), true)].into(),
            ..Profile::default()
        };
        assert_eq!(current.changes_from(&current), None);
        let mut edited = current.clone();
        edited.first_name = "Jeanne".into();
        let mut moved = Profile {
            extra_lines: vec!["Bâtiment C".into()],
            ..current.clone()
        };
        let base = moved.clone();
        moved.lines[0] = "Rue Neuve 1".into();
        let address = moved.changes_from(&base).and_then(|c| c.main_address).expect("address");
        assert_eq!(
            address.lines,
            ["Rue Neuve 1", "Bâtiment C"],
            "lines not on the form are kept"
        );
        edited.opt_ins.insert("NEWS".into(), false);
        let changes = edited.changes_from(&current).expect("changes");
        assert_eq!(changes.first_name.as_deref(), Some("Jeanne"));
        assert_eq!(changes.last_name, None);
        assert!(changes.main_address.is_none());
        assert_eq!(changes.opt_ins.len(), 1);
    }
}
