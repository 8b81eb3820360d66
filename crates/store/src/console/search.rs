//! Finding a fan: by e-mail (exact, any letter case, the contact's or the login's), by contact
//! number or subject id (exact), or by a part of the name (trigrams), a page at a time. Each
//! form runs on an index of its own (the migration `support_console` says which); the query
//! plans are checked by `tests/journeys/support_console_search.rs`.

use diesel::sql_types::{BigInt, Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// Shortest name fragment searched: trigrams need three characters to use the index.
pub const MIN_NAME_CHARS: usize = 3;

/// What the search box holds, recognised by its form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Email(String),
    ContactNumber(String),
    Subject(Uuid),
    Name(String),
}

impl Query {
    /// `None` for an empty box or a name fragment too short to search.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.contains('@') {
            return Some(Self::Email(text.to_lowercase()));
        }
        if let Ok(subject) = Uuid::parse_str(text) {
            return Some(Self::Subject(subject));
        }
        if !text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Self::ContactNumber(text.to_owned()));
        }
        (text.chars().count() >= MIN_NAME_CHARS).then(|| Self::Name(text.to_lowercase()))
    }

    /// The kind of search, for the audit (never the searched text, which is personal data).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Email(_) => "email",
            Self::ContactNumber(_) => "contact_number",
            Self::Subject(_) => "subject",
            Self::Name(_) => "name",
        }
    }
}

/// One fan found: a contact, an account, or both.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = Nullable<Text>)]
    pub contact_number: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub subject_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub state: Option<String>,
}

/// What each hit shows, from a contact `c` left-joined to its account `a` or the reverse.
const COLUMNS: &str = "c.contact_number::text AS contact_number, a.subject_id, \
    nullif(trim(coalesce(c.first_name, a.given_name, '') || ' ' || coalesce(c.last_name, a.family_name, '')), '') AS name, \
    coalesce(a.login_email, c.email) AS email, c.state";

/// The SQL of a search, with `$1` the value, `$2` the limit and `$3` the offset.
pub fn sql(query: &Query) -> String {
    let from_contacts =
        format!("SELECT {COLUMNS} FROM contacts c LEFT JOIN accounts a ON a.contact_number = c.contact_number");
    let from_accounts =
        format!("SELECT {COLUMNS} FROM accounts a LEFT JOIN contacts c ON c.contact_number = a.contact_number");
    let filter = match query {
        Query::Email(_) => {
            format!("{from_contacts} WHERE lower(c.email) = $1 UNION {from_accounts} WHERE lower(a.login_email) = $1")
        }
        Query::ContactNumber(_) => {
            format!("{from_contacts} WHERE c.contact_number = $1 UNION {from_accounts} WHERE a.contact_number = $1")
        }
        Query::Subject(_) => format!("{from_accounts} WHERE a.subject_id = $1::uuid"),
        Query::Name(_) => format!(
            "{from_contacts} WHERE lower(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')) \
             LIKE '%' || $1 || '%' ESCAPE '\\'"
        ),
    };
    format!("SELECT * FROM ({filter}) hits ORDER BY contact_number NULLS LAST, subject_id LIMIT $2 OFFSET $3")
}

/// The value bound to `$1`.
pub fn value(query: &Query) -> String {
    match query {
        Query::Email(v) | Query::ContactNumber(v) => v.clone(),
        Query::Subject(subject) => subject.to_string(),
        Query::Name(fragment) => fragment.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"),
    }
}

/// A page of hits (`page` from 0) and whether another page follows.
pub async fn search(
    conn: &mut AsyncPgConnection,
    query: &Query,
    page: i64,
    per_page: i64,
) -> diesel::QueryResult<(Vec<Hit>, bool)> {
    let mut hits: Vec<Hit> = diesel::sql_query(sql(query))
        .bind::<Text, _>(value(query))
        .bind::<BigInt, _>(per_page + 1)
        .bind::<BigInt, _>(page.max(0) * per_page)
        .load(conn)
        .await?;
    let more = hits.len() as i64 > per_page;
    hits.truncate(per_page as usize);
    Ok((hits, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_is_read_by_its_form() {
        assert_eq!(
            Query::parse(" Ana@Club.Example "),
            Some(Query::Email("ana@club.example".into()))
        );
        assert_eq!(
            Query::parse("0001234567"),
            Some(Query::ContactNumber("0001234567".into()))
        );
        let subject = Uuid::new_v4();
        assert_eq!(Query::parse(&subject.to_string()), Some(Query::Subject(subject)));
        assert_eq!(Query::parse("Dupont"), Some(Query::Name("dupont".into())));
        assert_eq!(Query::parse("du"), None);
        assert_eq!(Query::parse("  "), None);
    }

    #[test]
    fn wildcards_in_a_name_are_literal() {
        assert_eq!(value(&Query::Name("50%_a\\".into())), "50\\%\\_a\\\\");
    }
}
