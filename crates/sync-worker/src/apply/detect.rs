//! Detection of merged and anonymised contacts in S-360 payloads.
//!
//! S-360 documents no explicit marker for either in the Contact Webhook V2 payload, so the
//! rules are configurable and conservative, because anonymisation is irreversible here too:
//!
//! 1. **Anonymised** when any of `DETECT_ANONYMISED_FIELDS` is present at the top level or in
//!    `individualContact` with a value that is `true` or a non-empty string (a flag or a date);
//!    or when the last name is one of `DETECT_ANONYMISED_NAMES` (compared without regard to
//!    case); or, only if `DETECT_BLANK_IS_ANONYMISED=true`, when every personal field is empty
//!    (names, e-mail, phone, birth date, street lines) — what S-360's anonymisation leaves,
//!    since it keeps only country, town and post code.
//! 2. **Merged** (absorbed into a head contact) when any of `DETECT_MERGE_HEAD_FIELDS` holds a
//!    valid contact number other than the contact's own.
//! 3. Otherwise an ordinary **update**.
//!
//! Anonymisation wins over a merge marker in the same payload. Contacts that change state
//! without any marker are caught by the `reconcile` job through the contact API.

use model::{Contact, ContactNumber};
use serde_json::Value;

/// What a payload says happened to its contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    Active,
    Merged { head: ContactNumber },
    Anonymised,
}

impl Lifecycle {
    /// Precedence between states: anonymised outranks merged outranks active, whatever the
    /// versions, so the stored state never depends on the order of deliveries.
    pub fn rank(&self) -> i16 {
        match self {
            Self::Active => 0,
            Self::Merged { .. } => 1,
            Self::Anonymised => 2,
        }
    }

    pub fn state(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Merged { .. } => "merged",
            Self::Anonymised => "anonymised",
        }
    }
}

/// The configurable rules (see the module documentation).
#[derive(Debug, Clone, clap::Args)]
pub struct DetectionRules {
    /// Payload members naming the head contact a merged contact was absorbed into,
    /// comma-separated, looked up at the top level and in `individualContact`.
    #[arg(
        long,
        env = "DETECT_MERGE_HEAD_FIELDS",
        value_name = "DETECT_MERGE_HEAD_FIELDS",
        value_delimiter = ',',
        default_value = "mergedIntoContactNumber,headContactNumber,duplicateOfContactNumber"
    )]
    pub merge_head_fields: Vec<String>,

    /// Payload members marking an anonymised contact when `true` or a non-empty string,
    /// comma-separated, looked up at the top level and in `individualContact`.
    #[arg(
        long,
        env = "DETECT_ANONYMISED_FIELDS",
        value_name = "DETECT_ANONYMISED_FIELDS",
        value_delimiter = ',',
        default_value = "anonymized,isAnonymized,anonymizationDate,anonymised,anonymisationDate"
    )]
    pub anonymised_fields: Vec<String>,

    /// Last names S-360 writes into anonymised contacts, comma-separated, any letter case.
    #[arg(
        long,
        env = "DETECT_ANONYMISED_NAMES",
        value_name = "DETECT_ANONYMISED_NAMES",
        value_delimiter = ',',
        default_value = "ANONYMIZED,ANONYMISED,ANONYMOUS"
    )]
    pub anonymised_names: Vec<String>,

    /// Also treat a contact with every personal field empty as anonymised. Off by default:
    /// anonymisation cannot be undone.
    #[arg(long, env = "DETECT_BLANK_IS_ANONYMISED", value_name = "DETECT_BLANK_IS_ANONYMISED",
          default_value_t = false, action = clap::ArgAction::Set)]
    pub blank_is_anonymised: bool,
}

impl Default for DetectionRules {
    fn default() -> Self {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            rules: DetectionRules,
        }
        // Parsing no arguments cannot fail: every rule has a default.
        Defaults::try_parse_from(["defaults"])
            .map(|d| d.rules)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

impl DetectionRules {
    pub fn classify(&self, contact: &Contact) -> Lifecycle {
        if self.is_anonymised(contact) {
            return Lifecycle::Anonymised;
        }
        let head = self
            .merge_head_fields
            .iter()
            .filter_map(|field| member(&contact.raw, field))
            .filter_map(|value| value.as_str().and_then(|s| ContactNumber::parse(s.trim()).ok()))
            .find(|head| *head != contact.contact_number);
        match head {
            Some(head) => Lifecycle::Merged { head },
            None => Lifecycle::Active,
        }
    }

    fn is_anonymised(&self, contact: &Contact) -> bool {
        let flagged = self
            .anonymised_fields
            .iter()
            .filter_map(|f| member(&contact.raw, f))
            .any(|value| match value {
                Value::Bool(flag) => *flag,
                Value::String(text) => !text.trim().is_empty(),
                _ => false,
            });
        let placeholder = contact
            .last_name
            .as_deref()
            .is_some_and(|name| self.anonymised_names.iter().any(|p| p.eq_ignore_ascii_case(name)));
        let blank = self.blank_is_anonymised
            && contact.first_name.is_none()
            && contact.last_name.is_none()
            && contact.email.is_none()
            && contact.phone.is_none()
            && contact.birth_date.is_none()
            && contact.addresses.iter().all(|a| a.lines.is_empty());
        flagged || placeholder || blank
    }
}

/// A member at the top level of the payload, else inside `individualContact`.
fn member<'a>(raw: &'a Value, field: &str) -> Option<&'a Value> {
    raw.get(field)
        .or_else(|| raw.get("individualContact").and_then(|i| i.get(field)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn contact(payload: Value) -> Contact {
        model::secutix::from_get_contact_data(payload).expect("valid payload")
    }

    fn base() -> Value {
        json!({
            "contactNumber": "0001",
            "individualContact": { "firstname": "Jean", "lastname": "Dupont", "email": "jean@example.org" },
            "addresses": [{ "street1": "Rue du Lac 12", "town": "Lausanne", "zipCode": "1003", "countryCode": "CH" }]
        })
    }

    fn with(mut payload: Value, path: &[&str], value: Value) -> Value {
        let mut target = &mut payload;
        for key in &path[..path.len() - 1] {
            target = &mut target[*key];
        }
        target[path[path.len() - 1]] = value;
        payload
    }

    #[test]
    fn classifies_payloads_by_the_default_rules() {
        let rules = DetectionRules::default();
        let head = |n: &str| Lifecycle::Merged {
            head: ContactNumber::parse(n).expect("valid"),
        };
        let blank = json!({ "contactNumber": "0001", "addresses": [{ "town": "Lausanne", "countryCode": "CH" }] });
        let cases: Vec<(&str, Value, Lifecycle)> = vec![
            ("ordinary update", base(), Lifecycle::Active),
            (
                "flag true",
                with(base(), &["anonymized"], json!(true)),
                Lifecycle::Anonymised,
            ),
            (
                "flag false",
                with(base(), &["anonymized"], json!(false)),
                Lifecycle::Active,
            ),
            (
                "date in individualContact",
                with(base(), &["individualContact", "anonymizationDate"], json!("2025-01-01")),
                Lifecycle::Anonymised,
            ),
            (
                "empty date",
                with(base(), &["anonymizationDate"], json!("")),
                Lifecycle::Active,
            ),
            (
                "placeholder name",
                with(base(), &["individualContact", "lastname"], json!("Anonymized")),
                Lifecycle::Anonymised,
            ),
            ("blank, rule off", blank.clone(), Lifecycle::Active),
            (
                "merged",
                with(base(), &["mergedIntoContactNumber"], json!("0002")),
                head("0002"),
            ),
            (
                "merged, second field",
                with(base(), &["headContactNumber"], json!("0003")),
                head("0003"),
            ),
            (
                "head is itself",
                with(base(), &["headContactNumber"], json!("0001")),
                Lifecycle::Active,
            ),
            (
                "head not a contact number",
                with(base(), &["headContactNumber"], json!("a b")),
                Lifecycle::Active,
            ),
            (
                "head not a string",
                with(base(), &["headContactNumber"], json!(2)),
                Lifecycle::Active,
            ),
            (
                "anonymised wins over merged",
                with(
                    with(base(), &["headContactNumber"], json!("0002")),
                    &["anonymized"],
                    json!(true),
                ),
                Lifecycle::Anonymised,
            ),
        ];
        for (name, payload, expected) in cases {
            assert_eq!(rules.classify(&contact(payload)), expected, "{name}");
        }
    }

    #[test]
    fn blank_contacts_are_anonymised_only_when_configured() {
        let rules = DetectionRules {
            blank_is_anonymised: true,
            ..DetectionRules::default()
        };
        let blank = json!({ "contactNumber": "0001", "addresses": [{ "town": "Lausanne", "countryCode": "CH" }] });
        assert_eq!(rules.classify(&contact(blank)), Lifecycle::Anonymised);
        assert_eq!(
            rules.classify(&contact(base())),
            Lifecycle::Active,
            "a street line is personal data"
        );
    }

    #[test]
    fn rules_are_configurable() {
        let rules = DetectionRules {
            merge_head_fields: vec!["absorbedBy".into()],
            anonymised_names: vec!["XXX".into()],
            ..DetectionRules::default()
        };
        assert_eq!(
            rules.classify(&contact(with(base(), &["absorbedBy"], json!("0009")))),
            Lifecycle::Merged {
                head: ContactNumber::parse("0009").expect("valid")
            }
        );
        assert_eq!(
            rules.classify(&contact(with(base(), &["mergedIntoContactNumber"], json!("0009")))),
            Lifecycle::Active
        );
        assert_eq!(
            rules.classify(&contact(with(base(), &["individualContact", "lastname"], json!("xxx")))),
            Lifecycle::Anonymised
        );
    }
}
