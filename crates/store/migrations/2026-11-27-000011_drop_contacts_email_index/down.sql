CREATE INDEX contacts_email_lower_idx ON contacts (lower(email));
