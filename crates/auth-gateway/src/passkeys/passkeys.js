// Passkeys at the gateway (served as /passkeys.js; no inline script anywhere): enrolment on
// /profile/passkeys, and sign-in on the sign-in page, by its button or by the browser's
// autofill on the e-mail field (conditional mediation). Without JavaScript, or without
// WebAuthn, the controls stay hidden and the pages work through their forms.
'use strict';
(() => {
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  const decode = (text) => {
    const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  };
  const encode = (buffer) => {
    let binary = '';
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };

  // A JSON POST to the gateway; throws on any answer but 2xx.
  const post = async (url, body) => {
    const answer = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) throw new Error(data.error || String(answer.status));
    return data;
  };
  const say = (problem, text) => {
    problem.textContent = text;
    problem.hidden = false;
  };

  const enrol = (form) => {
    const problem = document.getElementById('passkey-problem');
    form.hidden = false;
    const note = document.getElementById('passkey-needs-script');
    if (note) note.hidden = true;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      problem.hidden = true;
      const csrf = form.elements.csrf.value;
      try {
        const { publicKey } = await post('/profile/passkeys/options', { csrf, name: form.elements.name.value });
        publicKey.challenge = decode(publicKey.challenge);
        publicKey.user.id = decode(publicKey.user.id);
        for (const excluded of publicKey.excludeCredentials || []) excluded.id = decode(excluded.id);
        const created = await navigator.credentials.create({ publicKey });
        const credential = {
          id: created.id,
          rawId: encode(created.rawId),
          type: created.type,
          response: {
            attestationObject: encode(created.response.attestationObject),
            clientDataJSON: encode(created.response.clientDataJSON),
          },
          extensions: created.getClientExtensionResults(),
        };
        const done = await post('/profile/passkeys', { csrf, credential });
        window.location.assign(done.redirect);
      } catch (error) {
        say(problem, form.dataset.failed);
      }
    });
  };

  const signIn = (box) => {
    const problem = document.getElementById('passkey-problem');
    const returnTo = document.querySelector('input[name=return_to]');
    let pending = null;
    // One ceremony at a time: the button's replaces the autofill's (a new challenge each).
    const ceremony = async (mediation) => {
      if (pending) pending.abort();
      const controller = new AbortController();
      pending = controller;
      let got;
      try {
        const { publicKey } = await post('/login/passkey/options', { return_to: returnTo ? returnTo.value : '/' });
        publicKey.challenge = decode(publicKey.challenge);
        for (const allowed of publicKey.allowCredentials || []) allowed.id = decode(allowed.id);
        const request = { publicKey, signal: controller.signal };
        if (mediation) request.mediation = mediation;
        got = await navigator.credentials.get(request);
      } catch (error) {
        // The autofill was not used (or not offered): nothing the fan asked for failed.
        if (mediation) return;
        throw error;
      }
      const assertion = {
        id: got.id,
        rawId: encode(got.rawId),
        type: got.type,
        response: {
          authenticatorData: encode(got.response.authenticatorData),
          clientDataJSON: encode(got.response.clientDataJSON),
          signature: encode(got.response.signature),
          userHandle: got.response.userHandle ? encode(got.response.userHandle) : null,
        },
        extensions: got.getClientExtensionResults(),
      };
      const done = await post('/login/passkey', assertion);
      window.location.assign(done.redirect);
    };
    const failed = (error) => {
      if (error && error.name === 'AbortError') return;
      say(problem, box.dataset.failed);
    };
    box.hidden = false;
    document.getElementById('passkey-button').addEventListener('click', () => {
      problem.hidden = true;
      ceremony(null).catch(failed);
    });
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
        if (available) ceremony('conditional').catch(failed);
      });
    }
  };

  const form = document.getElementById('passkey-add');
  if (form) enrol(form);
  const box = document.getElementById('passkey-sign-in');
  if (box) signIn(box);
})();
