-- Erasure requests a fan made by deleting their account at the gateway, kept for the
-- organisation's records (GDPR Art. 17 and 30): what was erased at once, and what is left for
-- the organisation to do at S-360, which is the master of the contact and offers no API to
-- anonymise it or to remove the SSO link. The subject id and contact number are kept, never
-- the e-mail address or any other contact data.
CREATE TABLE erasure_requests (
    id            bigserial   PRIMARY KEY,
    subject_id    uuid        NOT NULL,
    contact_number varchar,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    -- What the gateway erased in the request's transaction.
    erased        jsonb       NOT NULL,
    -- What remains for the organisation (the contact at S-360, the SSO link); cleared when done.
    pending       jsonb       NOT NULL,
    completed_at  timestamptz
);
CREATE INDEX erasure_requests_open_idx ON erasure_requests (requested_at) WHERE completed_at IS NULL;
