-- No query looks contacts up by e-mail: sign-in and password resets find accounts through
-- `accounts_login_email_idx`. The contacts' e-mail index only cost every contact write (a sixth
-- of the import's copy).
DROP INDEX contacts_email_lower_idx;
