//! "Download my data": everything the installation holds about one account, as one JSON
//! document built by PostgreSQL: the account (never its password hash), the contact as
//! mirrored from S-360, the sessions, the passkeys (never their keys), the linked sign-in services, the refresh tokens (never the tokens), the mails sent and
//! the changes applied to the contact.

use diesel::{prelude::*, sql_types};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use uuid::Uuid;

#[derive(QueryableByName)]
struct Document {
    #[diesel(sql_type = sql_types::Jsonb)]
    document: Value,
}

const EXPORT: &str = "
SELECT jsonb_build_object(
  'exported_at', now(),
  'account', jsonb_build_object(
      'subject_id', a.subject_id, 'login_email', a.login_email, 'email_verified', a.email_verified,
      'password_set', a.password_hash IS NOT NULL, 'contact_number', a.contact_number,
      'created_at', a.created_at, 'updated_at', a.updated_at, 'origin', a.origin),
  'sign_up', CASE WHEN a.origin = 'signup' THEN jsonb_build_object('given_name', a.given_name,
      'family_name', a.family_name, 'language', a.language, 'newsletter', a.newsletter,
      'privacy_accepted_at', a.privacy_accepted_at, 'verified_at', a.verified_at,
      'contact_request', (SELECT jsonb_build_object('state', cc.state, 'attached_by', cc.attached_by,
          'contact_number', cc.contact_number) FROM contact_creations cc WHERE cc.subject_id = a.subject_id)) END,
  'contact', (SELECT to_jsonb(c) - 'raw' || jsonb_build_object('as_received_from_s360', c.raw)
              FROM contacts c WHERE c.contact_number = a.contact_number),
  'sessions', coalesce((SELECT jsonb_agg(jsonb_build_object('created_at', s.created_at,
              'last_seen_at', s.last_seen_at, 'expires_at', s.expires_at, 'revoked_at', s.revoked_at)
              ORDER BY s.created_at) FROM sessions s WHERE s.subject_id = a.subject_id), '[]'),
  'sign_in_services', coalesce((SELECT jsonb_agg(jsonb_build_object('provider', f.provider_id,
              'upstream_subject', f.upstream_subject, 'email_at_link', f.email_at_link,
              'linked_at', f.linked_at, 'last_used_at', f.last_used_at) ORDER BY f.linked_at)
              FROM federated_identities f WHERE f.subject_id = a.subject_id), '[]'),
  'passkeys', coalesce((SELECT jsonb_agg(jsonb_build_object('name', p.name, 'created_at', p.created_at,
              'last_used_at', p.last_used_at, 'synced', p.backup_eligible) ORDER BY p.created_at)
              FROM passkeys p WHERE p.subject_id = a.subject_id), '[]'),
  'refresh_tokens', coalesce((SELECT jsonb_agg(jsonb_build_object('client_id', r.client_id,
              'scope', r.scope, 'created_at', r.created_at, 'expires_at', r.expires_at,
              'used_at', r.used_at, 'revoked_at', r.revoked_at) ORDER BY r.created_at)
              FROM refresh_tokens r WHERE r.subject_id = a.subject_id), '[]'),
  'mails', coalesce((SELECT jsonb_agg(jsonb_build_object('template', m.template,
              'recipient', m.recipient, 'created_at', m.created_at, 'sent_at', m.sent_at)
              ORDER BY m.created_at) FROM mail_outbox m WHERE m.contact_number = a.contact_number
              OR (a.contact_number IS NULL AND lower(m.recipient) = lower(a.login_email))), '[]'),
  'contact_changes', coalesce((SELECT jsonb_agg(jsonb_build_object('at', h.at, 'action', h.action,
              'details', h.details) ORDER BY h.at) FROM contact_audit h
              WHERE h.contact_number = a.contact_number), '[]')
) AS document
FROM accounts a WHERE a.subject_id = $1";

/// The account's data, or `None` when there is no such account.
pub async fn everything(conn: &mut AsyncPgConnection, subject: Uuid) -> QueryResult<Option<Value>> {
    let document: Option<Document> = diesel::sql_query(EXPORT)
        .bind::<sql_types::Uuid, _>(subject)
        .get_result(conn)
        .await
        .optional()?;
    Ok(document.map(|d| d.document))
}
