"""An independent OpenID Connect relying party (Authlib) against the running gateway.

Drives discovery, the authorization code flow with PKCE (signing in through the HTML form),
the token exchange, ID-token validation through the JWKS (signature, iss, aud, exp, nonce),
userinfo, silent sign-in with prompt=none, refresh-token rotation, a max_age=0
re-authentication, and an RP-initiated logout. Prints one JSON object with what it observed;
the Rust test asserts on it.

Usage: authlib_client.py BASE_URL CLIENT_ID CLIENT_SECRET REDIRECT_URI EMAIL PASSWORD POST_LOGOUT_URI
"""

import json
import re
import sys
import time
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


def sign_in(base, url, headers, email, password):
    """Signs in on the page the authorization request shows; returns the session cookie and
    the redirect to the client's callback."""
    page = requests.get(url, headers=headers, allow_redirects=False, timeout=10)
    assert page.status_code == 200 and 'name="password"' in page.text, page.status_code
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return_to = re.search(r'name="return_to" value="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    cookie = "__Host-csrf=" + cookie_value(page, "__Host-csrf")
    if headers:
        cookie += "; " + headers["Cookie"]
    login = requests.post(f"{base}/login", data={"csrf": csrf, "return_to": return_to, "email": email,
                                                 "password": password},
                          headers={"Cookie": cookie}, allow_redirects=False, timeout=10)
    assert login.status_code == 303, login.status_code
    sid = cookie_value(login, "__Host-session")
    back = requests.get(base + login.headers["Location"], headers={"Cookie": "__Host-session=" + sid},
                        allow_redirects=False, timeout=10)
    return sid, back.headers["Location"]


def main():
    base, client_id, secret, redirect_uri, email, password, post_logout = sys.argv[1:8]
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

    sid, callback = sign_in(base, url, {}, email, password)
    cookies = {"Cookie": "__Host-session=" + sid}
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

    # max_age=0: the live session is not enough; the fan signs in again and auth_time advances.
    time.sleep(1.1)
    verifier2, nonce2 = generate_token(48), generate_token(20)
    again_url, again_state = session.create_authorization_url(discovery["authorization_endpoint"], max_age=0,
                                                              code_verifier=verifier2, nonce=nonce2)
    again_url = base + again_url[again_url.index("/authorize"):]
    sid2, callback2 = sign_in(base, again_url, cookies, email, password)
    token2 = session.fetch_token(local(discovery["token_endpoint"]), authorization_response=callback2,
                                 code_verifier=verifier2, state=again_state)
    claims2 = jwt.decode(token2["id_token"], jwks, claims_options={
        "iss": {"essential": True, "value": discovery["issuer"]},
        "aud": {"essential": True, "value": client_id},
        "nonce": {"essential": True, "value": nonce2},
    })
    claims2.validate()

    # RP-initiated logout with the new ID token as the hint: back to the registered URI with
    # the state, and the session is over.
    cookies2 = {"Cookie": "__Host-session=" + sid2}
    end = requests.get(local(discovery["end_session_endpoint"]),
                       params={"id_token_hint": token2["id_token"], "post_logout_redirect_uri": post_logout,
                               "state": "bye"},
                       headers=cookies2, allow_redirects=False, timeout=10)
    if end.status_code in (302, 303):
        onward = end.headers["Location"]
    else:
        onward = re.search(r'http-equiv="refresh" content="\d+;url=([^"]+)"', end.text).group(1).replace("&amp;", "&")
    after = requests.get(silent_url, headers=cookies2, allow_redirects=False, timeout=10)
    after_params = parse_qs(urlparse(after.headers["Location"]).query)

    print(json.dumps({
        "id_token_sub": claims["sub"],
        "id_token_email": claims.get("email"),
        "contact_number": claims.get("contact_number"),
        "userinfo_sub": userinfo.get("sub"),
        "userinfo_given_name": userinfo.get("given_name"),
        "silent_has_code": "code" in silent_params,
        "anonymous_error": anonymous_params.get("error", [None])[0],
        "refresh_rotated": refreshed["refresh_token"] != first_refresh,
        "reauth_auth_time_advanced": claims2["auth_time"] > claims["auth_time"],
        "reauth_same_sub": claims2["sub"] == claims["sub"],
        "logout_onward": onward,
        "after_logout_error": after_params.get("error", [None])[0],
    }))


if __name__ == "__main__":
    main()
