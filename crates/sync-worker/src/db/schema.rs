//! Diesel table definitions, kept in step with `migrations/` by hand (and by the tests, which
//! run every query against a freshly migrated database).

diesel::table! {
    contacts (contact_number) {
        contact_number -> Varchar,
        state -> Text,
        title -> Nullable<Text>,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        birth_date -> Nullable<Date>,
        language -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        role -> Nullable<Text>,
        has_login -> Nullable<Bool>,
        addresses -> Jsonb,
        authorizations -> Jsonb,
        raw -> Jsonb,
        version_time -> Timestamptz,
        version_event_id -> Uuid,
        source -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}
