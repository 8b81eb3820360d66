#!/usr/bin/env bash
# Installs what the tests use besides cargo, each only when missing: the independent
# implementations they check against (the Standard Webhooks reference library, the Authlib
# OIDC client, jose as a relying party following a key rotation), a real SMTP server
# (aiosmtpd) for the mail tests, Debian's Chromium, playwright-core and axe-core for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import standardwebhooks, authlib, requests, aiosmtpd' 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check standardwebhooks==1.1.0 authlib==1.6.5 requests==2.32.5 \
       aiosmtpd==1.4.6

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: sudo apt-get install chromium" >&2
    exit 1
  fi
fi

if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/jose ] \
   || [ ! -d tests/browser/node_modules/openid-client ] || [ ! -d tests/browser/node_modules/axe-core ] \
   || [ ! -d tests/browser/node_modules/oidc-provider ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
