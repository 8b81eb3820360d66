-- Every change that can alter what the gateway answers for a subject (its userinfo, or whether
-- its tokens stand) notifies channel `gateway_cache` with the subject id, or `*` when the
-- subject is not known; every gateway replica listening drops its cached answers for it.
-- NOTIFY is delivered at commit, once per distinct payload per transaction.

CREATE FUNCTION gateway_cache_notify_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('gateway_cache', OLD.subject_id::text);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('gateway_cache', NEW.subject_id::text);
        RETURN NEW;
    END IF;
    RETURN OLD;
END $$;

CREATE FUNCTION gateway_cache_notify_contact() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    number varchar(20);
BEGIN
    number := CASE WHEN TG_OP = 'DELETE' THEN OLD.contact_number ELSE NEW.contact_number END;
    PERFORM pg_notify('gateway_cache', subject_id::text) FROM accounts WHERE contact_number = number;
    RETURN NULL;
END $$;

CREATE FUNCTION gateway_cache_notify_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gateway_cache', '*');
    RETURN NULL;
END $$;

-- Password changes, merges (the account moves to the head), anonymisations (deleted).
CREATE TRIGGER accounts_gateway_cache AFTER UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION gateway_cache_notify_subject();
-- Logout and session revocation (not the idle timer's touches).
CREATE TRIGGER sessions_gateway_cache AFTER UPDATE ON sessions
    FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
    EXECUTE FUNCTION gateway_cache_notify_subject();
-- A revoked grant (refresh-token family), by /revoke or reuse detection.
CREATE TRIGGER refresh_tokens_gateway_cache AFTER UPDATE ON refresh_tokens
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION gateway_cache_notify_subject();
-- A revoked access token carries no subject here: everything is dropped (rare).
CREATE TRIGGER revoked_tokens_gateway_cache AFTER INSERT ON revoked_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION gateway_cache_notify_all();
-- Any change of a contact with an account: webhook updates, profile updates, merges,
-- anonymisations.
CREATE TRIGGER contacts_gateway_cache AFTER UPDATE ON contacts
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW)
    EXECUTE FUNCTION gateway_cache_notify_contact();
CREATE TRIGGER contacts_deleted_gateway_cache AFTER DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION gateway_cache_notify_contact();
