-- The `claims` request parameter (OpenID Connect Core §5.5) of an authorization request: the
-- claims asked for in the ID token and from userinfo beyond those the scopes give. Kept with
-- the code (only for requests that carried one); once the code is redeemed, the refresh-token
-- family it started finds it again through its first token's `code_hash`, so refreshed access
-- tokens ask userinfo for the same claims. Only names of claims the gateway can return are kept.
CREATE TABLE claims_requests (
    code_hash bytea  PRIMARY KEY REFERENCES authorization_codes ON DELETE CASCADE,
    id_token  text[] NOT NULL,
    userinfo  text[] NOT NULL
);
