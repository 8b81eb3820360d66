-- Social sign-in (`store::auth::federation`): fans sign in through an upstream OpenID provider
-- (Google, Apple, Microsoft, any OIDC provider) configured in GATEWAY_UPSTREAMS_FILE.
--
-- An upstream identity, (provider, upstream `sub`), is linked to at most one account. It is
-- linked when a fan signs up through the provider, or after the fan proved the existing account
-- of that address (never on the address alone). `email_at_link` is the upstream's address when
-- the link was made, kept for the support desk; the account's own address may change later.
CREATE TABLE federated_identities (
    provider_id      text        NOT NULL,
    upstream_subject text        NOT NULL,
    subject_id       uuid        NOT NULL REFERENCES accounts ON DELETE CASCADE,
    email_at_link    text,
    linked_at        timestamptz NOT NULL DEFAULT now(),
    last_used_at     timestamptz,
    PRIMARY KEY (provider_id, upstream_subject)
);
CREATE INDEX federated_identities_subject_idx ON federated_identities (subject_id);

-- A social sign-in under way, bound to one browser: `binding_hash` is the SHA-256 of the random
-- `__Host-federation` cookie set on it. Stored here, not in memory, since several gateway
-- replicas serve one sign-in. Each row is single-use (`used_at`) and lives 10 minutes; it moves
-- through stages, each taken once:
-- - `upstream`: sent to the provider with `state`, `nonce` and the PKCE verifier, waiting for
--   its callback;
-- - `signup`: a first-time fan with a verified address, shown the sign-up form (the upstream
--   identity and its claims wait here);
-- - `link`: the address belongs to an existing account (`subject_id`); the upstream identity is
--   linked only once this browser signs in to THAT account by its own means.
CREATE TABLE federation_requests (
    binding_hash     bytea       PRIMARY KEY,
    stage            text        NOT NULL CHECK (stage IN ('upstream', 'signup', 'link')),
    provider_id      text        NOT NULL,
    state            text,
    nonce            text,
    pkce_verifier    text,
    upstream_subject text,
    email            text,
    given_name       text,
    family_name      text,
    subject_id       uuid        REFERENCES accounts ON DELETE CASCADE,
    -- One of the gateway's own pages or authorization requests (checked when stored and used).
    return_to        text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz
);
CREATE INDEX federation_requests_expiry_idx ON federation_requests (expires_at);

-- `fed` (RFC 8176): the session was opened by an upstream provider's sign-in. The RFC 8176
-- values of the passkey sign-in (`hwk`, `swk`, `user`) are allowed too, so the two features'
-- migrations may land in either order without one dropping the other's values.
ALTER TABLE sessions DROP CONSTRAINT sessions_auth_method_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_auth_method_check
    CHECK (auth_method IN ('pwd', 'otp', 'fed', 'hwk', 'swk', 'user'));
ALTER TABLE authorization_codes DROP CONSTRAINT authorization_codes_auth_method_check;
ALTER TABLE authorization_codes ADD CONSTRAINT authorization_codes_auth_method_check
    CHECK (auth_method IN ('pwd', 'otp', 'fed', 'hwk', 'swk', 'user'));
