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
        head_contact_number -> Nullable<Varchar>,
    }
}

diesel::table! {
    accounts (subject_id) {
        subject_id -> Uuid,
        contact_number -> Nullable<Varchar>,
        origin_contact_number -> Nullable<Varchar>,
        login_email -> Text,
        password_hash -> Nullable<Text>,
        email_verified -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        origin -> Text,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        language -> Nullable<Varchar>,
        newsletter -> Bool,
        privacy_accepted_at -> Nullable<Timestamptz>,
        verified_at -> Nullable<Timestamptz>,
        pending_email -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Bytea,
        subject_id -> Uuid,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        auth_method -> Text,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Bytea,
        family_id -> Uuid,
        subject_id -> Uuid,
        client_id -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        code_hash -> Nullable<Bytea>,
        scope -> Text,
        auth_time -> Timestamptz,
        successor_sealed -> Nullable<Bytea>,
    }
}

diesel::table! {
    authorization_codes (code_hash) {
        code_hash -> Bytea,
        client_id -> Text,
        subject_id -> Uuid,
        session_id -> Nullable<Bytea>,
        redirect_uri -> Text,
        scope -> Text,
        nonce -> Nullable<Text>,
        code_challenge -> Nullable<Text>,
        auth_time -> Timestamptz,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        auth_method -> Text,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Int4,
        locked_until -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Uuid,
        contact_number -> Nullable<Varchar>,
        recipient -> Text,
        template -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    contact_audit (id) {
        id -> Int8,
        at -> Timestamptz,
        contact_number -> Varchar,
        action -> Text,
        event_id -> Uuid,
        details -> Jsonb,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Uuid,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    password_tokens (token_hash) {
        token_hash -> Bytea,
        subject_id -> Uuid,
        purpose -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    import_runs (id) {
        id -> Int8,
        source_key -> Text,
        format -> Text,
        total -> Int8,
        position -> Int8,
        counts -> Jsonb,
        started_at -> Timestamptz,
        updated_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    import_issues (run_id, contact_number) {
        run_id -> Int8,
        contact_number -> Varchar,
        reason -> Text,
        email_group -> Nullable<Text>,
    }
}

diesel::table! {
    import_links (contact_number) {
        contact_number -> Varchar,
        subject_id -> Uuid,
        state -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    import_followups (id) {
        id -> Int8,
        run_id -> Int8,
        subject_ids -> Array<Uuid>,
        link_base -> Text,
        link_lifetime -> Interval,
        mails_pending -> Bool,
        links_pending -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    contact_checks (contact_number) {
        contact_number -> Varchar,
        verified_at -> Timestamptz,
        outcome -> Text,
    }
}

diesel::table! {
    writeback_outbox (id) {
        id -> Int8,
        command_id -> Uuid,
        contact_number -> Varchar,
        fields -> Jsonb,
        base_modified_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        state -> Text,
        last_error -> Nullable<Text>,
        completed_at -> Nullable<Timestamptz>,
        pushed_modified_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    pushed_authorization_requests (request_uri_hash) {
        request_uri_hash -> Bytea,
        client_id -> Text,
        parameters -> Jsonb,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    reconcile_reports (id) {
        id -> Int8,
        scheduled -> Bool,
        started_at -> Timestamptz,
        finished_at -> Timestamptz,
        report -> Jsonb,
    }
}

diesel::table! {
    replay_runs (id) {
        id -> Int8,
        requested_by -> Text,
        from_offset -> Nullable<Int8>,
        since -> Nullable<Timestamptz>,
        dry_run -> Bool,
        state -> Text,
        totals -> Nullable<Jsonb>,
        diff -> Nullable<Jsonb>,
        created_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    secutix_budget (name) {
        name -> Text,
        next_slot -> Timestamptz,
    }
}

diesel::table! {
    logout_deliveries (id) {
        id -> Int8,
        client_id -> Text,
        subject_id -> Uuid,
        sid -> Text,
        created_at -> Timestamptz,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
        state -> Text,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    erasure_requests (id) {
        id -> Int8,
        subject_id -> Uuid,
        contact_number -> Nullable<Varchar>,
        requested_at -> Timestamptz,
        erased -> Jsonb,
        pending -> Jsonb,
        completed_at -> Nullable<Timestamptz>,
        completed_by -> Nullable<Uuid>,
    }
}

diesel::table! {
    contact_creations (subject_id) {
        subject_id -> Uuid,
        state -> Text,
        attached_by -> Nullable<Text>,
        contact_number -> Nullable<Varchar>,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    account_issues (id) {
        id -> Int8,
        subject_id -> Nullable<Uuid>,
        contact_number -> Nullable<Varchar>,
        kind -> Text,
        details -> Jsonb,
        created_at -> Timestamptz,
        resolved_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(sessions -> accounts (subject_id));
diesel::joinable!(contact_creations -> accounts (subject_id));
diesel::joinable!(password_tokens -> accounts (subject_id));
diesel::joinable!(refresh_tokens -> accounts (subject_id));
diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    account_issues,
    contact_creations,
    contacts,
    sessions,
    refresh_tokens,
    mail_outbox,
    contact_audit,
    authorization_codes,
    login_throttle,
    revoked_tokens,
    password_tokens,
    writeback_outbox,
    import_runs,
    import_issues,
    import_links,
    import_followups,
    contact_checks,
    pushed_authorization_requests,
    logout_deliveries,
    erasure_requests,
    secutix_budget,
    reconcile_reports,
    replay_runs
);

diesel::table! {
    claims_requests (code_hash) {
        code_hash -> Bytea,
        id_token -> Array<Text>,
        userinfo -> Array<Text>,
    }
}

diesel::joinable!(claims_requests -> authorization_codes (code_hash));
diesel::allow_tables_to_appear_in_same_query!(claims_requests, authorization_codes);
diesel::allow_tables_to_appear_in_same_query!(claims_requests, refresh_tokens);

diesel::table! {
    email_codes (binding_hash) {
        binding_hash -> Bytea,
        subject_id -> Uuid,
        code_mac -> Bytea,
        return_to -> Text,
        attempts -> Int4,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(email_codes -> accounts (subject_id));
diesel::allow_tables_to_appear_in_same_query!(email_codes, accounts);

diesel::table! {
    federated_identities (provider_id, upstream_subject) {
        provider_id -> Text,
        upstream_subject -> Text,
        subject_id -> Uuid,
        email_at_link -> Nullable<Text>,
        linked_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    federation_requests (binding_hash) {
        binding_hash -> Bytea,
        stage -> Text,
        provider_id -> Text,
        state -> Nullable<Text>,
        nonce -> Nullable<Text>,
        pkce_verifier -> Nullable<Text>,
        upstream_subject -> Nullable<Text>,
        email -> Nullable<Text>,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        subject_id -> Nullable<Uuid>,
        return_to -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(federated_identities -> accounts (subject_id));
diesel::allow_tables_to_appear_in_same_query!(federated_identities, accounts);

diesel::table! {
    passkeys (id) {
        id -> Uuid,
        subject_id -> Uuid,
        credential_id -> Bytea,
        name -> Text,
        credential -> Jsonb,
        sign_count -> Int8,
        backup_eligible -> Bool,
        backup_state -> Bool,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    passkey_ceremonies_spent (id) {
        id -> Uuid,
    }
}

diesel::joinable!(passkeys -> accounts (subject_id));
diesel::allow_tables_to_appear_in_same_query!(passkeys, accounts);
diesel::allow_tables_to_appear_in_same_query!(passkeys, contacts);

diesel::table! {
    staff_accounts (staff_id) {
        staff_id -> Uuid,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        totp_secret -> Bytea,
        totp_last_step -> Int8,
        created_at -> Timestamptz,
        disabled_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    staff_authorization_codes (code_hash) {
        code_hash -> Bytea,
        client_id -> Text,
        staff_id -> Uuid,
        redirect_uri -> Text,
        nonce -> Nullable<Text>,
        code_challenge -> Text,
        auth_time -> Timestamptz,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    staff_sessions (id) {
        id -> Bytea,
        staff_id -> Uuid,
        role -> Text,
        auth_time -> Timestamptz,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    staff_audit (id) {
        id -> Int8,
        at -> Timestamptz,
        staff_id -> Uuid,
        staff_email -> Text,
        action -> Text,
        target -> Nullable<Text>,
        outcome -> Text,
        details -> Jsonb,
    }
}

diesel::table! {
    sign_in_audit (id) {
        id -> Int8,
        at -> Timestamptz,
        subject_id -> Uuid,
        outcome -> Text,
    }
}

diesel::joinable!(staff_authorization_codes -> staff_accounts (staff_id));
diesel::joinable!(staff_sessions -> staff_accounts (staff_id));
diesel::allow_tables_to_appear_in_same_query!(staff_authorization_codes, staff_accounts);
diesel::allow_tables_to_appear_in_same_query!(staff_sessions, staff_accounts);
