"""An independent OpenID Connect relying party (Authlib) against the running gateway.

Drives discovery, the authorization code flow with PKCE (signing in through the HTML form),
the token exchange, ID-token validation through the JWKS (signature, iss, aud, exp, nonce),
userinfo, silent sign-in with prompt=none, and refresh-token rotation. Prints one JSON object
with what it observed; the Rust test asserts on it.

Usage: authlib_client.py BASE_URL CLIENT_ID CLIENT_SECRET REDIRECT_URI EMAIL PASSWORD
"""

import json
import re
import sys
from urllib.parse import parse_qs, urlparse

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.common.security import generate_token


def cookie_value(response, name):
    for header in response.raw.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise SystemExit(f"no {name} cookie")


def main():
    base, client_id, secret, redirect_uri, email, password = sys.argv[1:7]
    discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    # The discovery document names the configured issuer's host; the gateway under test listens
    # on another port, so its endpoints are reached under BASE_URL with the same paths.
    local = lambda endpoint: base + urlparse(endpoint).path  # noqa: E731
    jwks = JsonWebKey.import_key_set(requests.get(local(discovery["jwks_uri"]), timeout=10).json())

    session = OAuth2Session(client_id, secret, scope="openid email profile", redirect_uri=redirect_uri,
                            code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
    verifier = generate_token(48)
    nonce = generate_token(20)
    url, state = session.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier,
                                                  nonce=nonce)
    url = base + url[url.index("/authorize"):]

    page = requests.get(url, allow_redirects=False, timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return_to = re.search(r'name="return_to" value="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    login = requests.post(f"{base}/login", data={"csrf": csrf, "return_to": return_to, "email": email,
                                                 "password": password},
                          headers={"Cookie": "__Host-csrf=" + cookie_value(page, "__Host-csrf")},
                          allow_redirects=False, timeout=10)
    assert login.status_code == 303, login.status_code
    sid = cookie_value(login, "__Host-session")
    cookies = {"Cookie": "__Host-session=" + sid}
    back = requests.get(base + login.headers["Location"], headers=cookies, allow_redirects=False, timeout=10)
    callback = back.headers["Location"]

    token = session.fetch_token(local(discovery["token_endpoint"]), authorization_response=callback, code_verifier=verifier, state=state)
    claims = jwt.decode(token["id_token"], jwks, claims_options={
        "iss": {"essential": True, "value": discovery["issuer"]},
        "aud": {"essential": True, "value": client_id},
        "nonce": {"essential": True, "value": nonce},
    })
    claims.validate()

    userinfo = session.get(local(discovery["userinfo_endpoint"])).json()

    silent_url, _ = session.create_authorization_url(discovery["authorization_endpoint"], prompt="none",
                                                     code_verifier=generate_token(48), nonce=generate_token(20))
    silent_url = base + silent_url[silent_url.index("/authorize"):]
    silent = requests.get(silent_url, headers=cookies, allow_redirects=False, timeout=10)
    silent_params = parse_qs(urlparse(silent.headers["Location"]).query)
    anonymous = requests.get(silent_url, allow_redirects=False, timeout=10)
    anonymous_params = parse_qs(urlparse(anonymous.headers["Location"]).query)

    first_refresh = token["refresh_token"]
    refreshed = session.refresh_token(local(discovery["token_endpoint"]), refresh_token=first_refresh)

    print(json.dumps({
        "id_token_sub": claims["sub"],
        "id_token_email": claims.get("email"),
        "contact_number": claims.get("contact_number"),
        "userinfo_sub": userinfo.get("sub"),
        "userinfo_given_name": userinfo.get("given_name"),
        "silent_has_code": "code" in silent_params,
        "anonymous_error": anonymous_params.get("error", [None])[0],
        "refresh_rotated": refreshed["refresh_token"] != first_refresh,
    }))


if __name__ == "__main__":
    main()
