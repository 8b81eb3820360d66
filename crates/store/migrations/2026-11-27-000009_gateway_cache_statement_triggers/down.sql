DROP TRIGGER contacts_deleted_gateway_cache ON contacts;
DROP TRIGGER contacts_updated_gateway_cache ON contacts;
DROP FUNCTION gateway_cache_notify_contacts();

CREATE FUNCTION gateway_cache_notify_contact() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    number varchar(20);
BEGIN
    number := CASE WHEN TG_OP = 'DELETE' THEN OLD.contact_number ELSE NEW.contact_number END;
    PERFORM pg_notify('gateway_cache', subject_id::text) FROM accounts WHERE contact_number = number;
    RETURN NULL;
END $$;
CREATE TRIGGER contacts_gateway_cache AFTER UPDATE ON contacts
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW)
    EXECUTE FUNCTION gateway_cache_notify_contact();
CREATE TRIGGER contacts_deleted_gateway_cache AFTER DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION gateway_cache_notify_contact();
