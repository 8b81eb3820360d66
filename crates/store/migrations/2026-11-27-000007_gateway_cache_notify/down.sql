DROP TRIGGER contacts_deleted_gateway_cache ON contacts;
DROP TRIGGER contacts_gateway_cache ON contacts;
DROP TRIGGER revoked_tokens_gateway_cache ON revoked_tokens;
DROP TRIGGER refresh_tokens_gateway_cache ON refresh_tokens;
DROP TRIGGER sessions_gateway_cache ON sessions;
DROP TRIGGER accounts_gateway_cache ON accounts;
DROP FUNCTION gateway_cache_notify_all();
DROP FUNCTION gateway_cache_notify_contact();
DROP FUNCTION gateway_cache_notify_subject();
