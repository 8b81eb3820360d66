//! Server-rendered pages (no JavaScript needed), in English, French or German following the
//! user's language. Every value shown is HTML-escaped.

pub mod passkey;

/// A supported page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    De,
}

impl Lang {
    /// From `ui_locales` or `Accept-Language`: the first supported tag, else English.
    pub fn negotiate(preferences: &str) -> Self {
        for tag in preferences.split([',', ' ']) {
            let primary = tag
                .split([';', '-', '_'])
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            match primary.as_str() {
                "fr" => return Self::Fr,
                "de" => return Self::De,
                "en" => return Self::En,
                _ => {}
            }
        }
        Self::En
    }

    /// From the request's `Accept-Language`.
    pub fn of_request(req: &actix_web::HttpRequest) -> Self {
        let header = req.headers().get(actix_web::http::header::ACCEPT_LANGUAGE);
        Self::negotiate(header.and_then(|v| v.to_str().ok()).unwrap_or(""))
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
            Self::De => "de",
        }
    }
}

/// Texts of the pages.
pub struct Texts {
    pub sign_in: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub submit: &'static str,
    pub failed: &'static str,
    pub locked: &'static str,
    pub error: &'static str,
    pub signed_in: &'static str,
    pub signed_out: &'static str,
    pub continue_link: &'static str,
    pub busy_title: &'static str,
    pub busy: &'static str,
    pub forgot: &'static str,
    pub forgot_sent: &'static str,
    pub new_password: &'static str,
    pub repeat_password: &'static str,
    pub password_rules: &'static str,
    pub password_changed: &'static str,
    pub link_invalid: &'static str,
    pub send_link: &'static str,
    pub save: &'static str,
    pub forgot_link: &'static str,
    pub email_code: &'static str,
    pub no_account: &'static str,
    pub create_account: &'static str,
    /// The heading of the social sign-in buttons, and each button (`{name}`: the provider).
    pub other_services: &'static str,
    pub continue_with: &'static str,
    pub footer_label: &'static str,
    pub privacy: &'static str,
    pub terms: &'static str,
    pub imprint: &'static str,
}

pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &Texts {
            sign_in: "Sign in",
            email: "E-mail address",
            password: "Password",
            submit: "Sign in",
            failed: "The e-mail address or the password is not right.",
            locked: "Too many attempts. Please wait a moment and try again.",
            error: "This request cannot be completed",
            signed_in: "You are signed in.",
            signed_out: "You are signed out.",
            continue_link: "Continue",
            busy_title: "Almost there",
            busy: "Lots of fans are signing in right now. This page tries again by itself in a few seconds; there is no need to do anything.",
            forgot: "Forgotten password",
            forgot_sent: "If an account exists for this address, we have sent it a link to choose a new password.",
            new_password: "New password",
            repeat_password: "Repeat the new password",
            password_rules: "Use at least 10 characters, and type the same password twice.",
            password_changed: "Your password is set. Every other session was signed out; please sign in.",
            link_invalid: "This link has expired or was already used. Ask for a new one.",
            send_link: "Send me a link",
            save: "Save the password",
            forgot_link: "Forgot your password?",
            email_code: "Email me a code",
            no_account: "New here?",
            create_account: "Create an account",
            other_services: "Or sign in with",
            continue_with: "Continue with {name}",
            footer_label: "Legal",
            privacy: "Privacy policy",
            terms: "Terms of use",
            imprint: "Imprint",
        },
        Lang::Fr => &Texts {
            sign_in: "Connexion",
            email: "Adresse e-mail",
            password: "Mot de passe",
            submit: "Se connecter",
            failed: "L'adresse e-mail ou le mot de passe n'est pas correct.",
            locked: "Trop de tentatives. Veuillez patienter un moment avant de réessayer.",
            error: "Cette demande ne peut pas aboutir",
            signed_in: "Vous êtes connecté.",
            signed_out: "Vous êtes déconnecté.",
            continue_link: "Continuer",
            busy_title: "Encore un instant",
            busy: "Beaucoup de fans se connectent en ce moment. Cette page réessaie d'elle-même dans quelques secondes ; vous n'avez rien à faire.",
            forgot: "Mot de passe oublié",
            forgot_sent: "Si un compte existe pour cette adresse, nous lui avons envoyé un lien pour choisir un nouveau mot de passe.",
            new_password: "Nouveau mot de passe",
            repeat_password: "Répétez le nouveau mot de passe",
            password_rules: "Utilisez au moins 10 caractères et saisissez deux fois le même mot de passe.",
            password_changed: "Votre mot de passe est enregistré. Toutes les autres sessions ont été fermées ; veuillez vous connecter.",
            link_invalid: "Ce lien a expiré ou a déjà été utilisé. Demandez-en un nouveau.",
            send_link: "M'envoyer un lien",
            save: "Enregistrer le mot de passe",
            forgot_link: "Mot de passe oublié ?",
            email_code: "Recevoir un code par e-mail",
            no_account: "Pas encore de compte ?",
            create_account: "Créer un compte",
            other_services: "Ou connectez-vous avec",
            continue_with: "Continuer avec {name}",
            footer_label: "Informations légales",
            privacy: "Politique de confidentialité",
            terms: "Conditions d'utilisation",
            imprint: "Mentions légales",
        },
        Lang::De => &Texts {
            sign_in: "Anmelden",
            email: "E-Mail-Adresse",
            password: "Passwort",
            submit: "Anmelden",
            failed: "Die E-Mail-Adresse oder das Passwort ist nicht richtig.",
            locked: "Zu viele Versuche. Bitte warten Sie einen Moment und versuchen Sie es erneut.",
            error: "Diese Anfrage kann nicht ausgeführt werden",
            signed_in: "Sie sind angemeldet.",
            signed_out: "Sie sind abgemeldet.",
            continue_link: "Weiter",
            busy_title: "Gleich geschafft",
            busy: "Gerade melden sich sehr viele Fans an. Diese Seite versucht es in wenigen Sekunden von selbst erneut; Sie müssen nichts tun.",
            forgot: "Passwort vergessen",
            forgot_sent: "Falls für diese Adresse ein Konto besteht, haben wir ihr einen Link geschickt, um ein neues Passwort zu wählen.",
            new_password: "Neues Passwort",
            repeat_password: "Neues Passwort wiederholen",
            password_rules: "Verwenden Sie mindestens 10 Zeichen und geben Sie zweimal dasselbe Passwort ein.",
            password_changed: "Ihr Passwort ist gespeichert. Alle anderen Sitzungen wurden abgemeldet; bitte melden Sie sich an.",
            link_invalid: "Dieser Link ist abgelaufen oder wurde bereits verwendet. Fordern Sie einen neuen an.",
            send_link: "Link senden",
            save: "Passwort speichern",
            forgot_link: "Passwort vergessen?",
            email_code: "Code per E-Mail erhalten",
            no_account: "Noch kein Konto?",
            create_account: "Konto erstellen",
            other_services: "Oder anmelden mit",
            continue_with: "Weiter mit {name}",
            footer_label: "Rechtliches",
            privacy: "Datenschutzerklärung",
            terms: "Nutzungsbedingungen",
            imprint: "Impressum",
        },
    }
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            other => out.push(other),
        }
    }
    out
}

/// A whole page in the installed theme (`crate::theme`): the club's name and logo above a card
/// holding `body`, the theme's footer links below.
pub fn layout(lang: Lang, title: &str, body: &str) -> String {
    let theme = crate::theme::current();
    let t = texts(lang);
    let links: String = theme
        .footer
        .iter()
        .map(|(kind, url)| {
            let label = match *kind {
                "privacy" => t.privacy,
                "terms" => t.terms,
                _ => t.imprint,
            };
            format!("<a href=\"{}\">{}</a>", escape(url), escape(label))
        })
        .collect();
    let nav = if links.is_empty() {
        String::new()
    } else {
        format!("<nav aria-label=\"{}\">{links}</nav>", escape(t.footer_label))
    };
    let organisation = escape(&theme.organisation);
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {organisation}</title><link rel=\"stylesheet\" href=\"/theme/style.css?v={version}\"></head>\
         <body><header class=\"brand\"><img src=\"/theme/logo?v={version}\" alt=\"\" width=\"48\" height=\"48\"><span>{organisation}</span></header>\
         <main><div class=\"card\">{body}</div></main><footer>{nav}<p>{organisation}</p></footer></body></html>",
        lang = lang.code(),
        title = escape(title),
        version = theme.version,
    )
}

/// The sign-in form. `return_to` is an /authorize URL of ours; the sign-up and the e-mail code
/// sign-in keep it. With `passkeys`, the e-mail field offers the browser's passkeys as autofill
/// and a passkey button follows the form (both driven by `passkeys.js`).
pub fn login(lang: Lang, csrf: &str, return_to: &str, email: &str, message: Option<&str>, passkeys: bool) -> String {
    let t = texts(lang);
    let return_to_query = escape(&url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>());
    let message = message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    let body = format!(
        "<h1>{}</h1>{message}<form method=\"post\" action=\"/login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"return_to\" value=\"{}\">\
         <label for=\"email\">{}</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"{autocomplete}\" required value=\"{}\">\
         <label for=\"password\">{}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\">{}</button></form>{passkey}\
         <p class=\"links\"><a href=\"/password/forgot\">{}</a><a href=\"/login/code?return_to={return_to_query}\">{}</a></p>\
         {providers}<p class=\"muted\">{} <a href=\"/signup?return_to={return_to_query}\">{}</a></p>",
        escape(t.sign_in),
        escape(csrf),
        escape(return_to),
        escape(t.email),
        escape(email),
        escape(t.password),
        escape(t.submit),
        escape(t.forgot_link),
        escape(t.email_code),
        escape(t.no_account),
        escape(t.create_account),
        providers = provider_buttons(lang, crate::federation::buttons(), &return_to_query),
        autocomplete = if passkeys { "username webauthn" } else { "username" },
        passkey = if passkeys {
            passkey::sign_in_button(lang)
        } else {
            String::new()
        },
    );
    layout(lang, t.sign_in, &body)
}

/// One button per upstream provider (social sign-in), each a plain link keeping `return_to`
/// (given URL-encoded and escaped); nothing without providers.
fn provider_buttons(lang: Lang, providers: &[(String, String)], return_to_query: &str) -> String {
    if providers.is_empty() {
        return String::new();
    }
    let t = texts(lang);
    let links: String = providers
        .iter()
        .map(|(id, name)| {
            format!(
                "<a class=\"button provider\" href=\"/login/social/{}?return_to={return_to_query}\">{}</a>",
                escape(id),
                escape(&t.continue_with.replace("{name}", name))
            )
        })
        .collect();
    format!(
        "<section class=\"providers\" aria-labelledby=\"providers-title\"><h2 id=\"providers-title\">{}</h2>{links}</section>",
        escape(t.other_services)
    )
}

pub fn error(lang: Lang, detail: &str) -> String {
    let t = texts(lang);
    layout(
        lang,
        t.error,
        &format!("<h1>{}</h1><p>{}</p>", escape(t.error), escape(detail)),
    )
}

/// The signed-in page; `extra` is trusted HTML (the passkey offer).
pub fn signed_in(lang: Lang, extra: &str) -> String {
    let t = texts(lang);
    layout(lang, t.signed_in, &format!("<h1>{}</h1>{extra}", escape(t.signed_in)))
}

/// The forgotten-password form.
pub fn forgot(lang: Lang, csrf: &str) -> String {
    let t = texts(lang);
    let body = format!(
        "<h1>{}</h1><form method=\"post\" action=\"/password/forgot\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <label for=\"email\">{}</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required>\
         <button type=\"submit\">{}</button></form>",
        escape(t.forgot),
        escape(csrf),
        escape(t.email),
        escape(t.send_link)
    );
    layout(lang, t.forgot, &body)
}

/// The form to choose a password from a single-use link.
pub fn set_password(lang: Lang, csrf: &str, token: &str, message: Option<&str>) -> String {
    let t = texts(lang);
    let message = message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    let body = format!(
        "<h1>{}</h1>{message}<p>{}</p><form method=\"post\" action=\"/password/reset\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
         <label for=\"password\">{}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required>\
         <label for=\"repeat\">{}</label><input id=\"repeat\" name=\"repeat\" type=\"password\" autocomplete=\"new-password\" required>\
         <button type=\"submit\">{}</button></form>",
        escape(t.new_password),
        escape(t.password_rules),
        escape(csrf),
        escape(token),
        escape(t.new_password),
        escape(t.repeat_password),
        escape(t.save)
    );
    layout(lang, t.new_password, &body)
}

/// A page with one message.
pub fn notice(lang: Lang, title: &str, message: &str) -> String {
    layout(
        lang,
        title,
        &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(message)),
    )
}

/// The page of a sign-in shed at the on-sale rush: it goes back to `retry` (the sign-in's own
/// authorization request) after `seconds`, without JavaScript.
pub fn busy(lang: Lang, retry: &str, seconds: u64) -> String {
    let t = texts(lang);
    layout(
        lang,
        t.busy_title,
        &format!(
            "<meta http-equiv=\"refresh\" content=\"{seconds};url={0}\"><h1>{1}</h1><p role=\"status\">{2}</p><p><a href=\"{0}\">{3}</a></p>",
            escape(retry),
            escape(t.busy_title),
            escape(t.busy),
            escape(t.continue_link)
        ),
    )
}

/// The signed-out page. It loads each relying party's front-channel logout page in an
/// invisible iframe, then goes on to `next` (the client's registered post-logout URI) after two
/// seconds, without JavaScript (a meta refresh; a link for those who disabled it).
pub fn signed_out(lang: Lang, front_channel: &[String], next: Option<&str>) -> String {
    let t = texts(lang);
    let frames: String = front_channel
        .iter()
        .map(|url| format!("<iframe src=\"{}\" title=\"\" hidden></iframe>", escape(url)))
        .collect();
    let onward = next
        .map(|url| {
            format!(
                "<p><a href=\"{0}\">{1}</a></p><meta http-equiv=\"refresh\" content=\"2;url={0}\">",
                escape(url),
                escape(t.continue_link)
            )
        })
        .unwrap_or_default();
    layout(
        lang,
        t.signed_out,
        &format!("<h1>{}</h1>{onward}{frames}", escape(t.signed_out)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_the_language_and_escapes_values() {
        assert_eq!(Lang::negotiate("fr-CH, en;q=0.8"), Lang::Fr);
        assert_eq!(Lang::negotiate("de, en-GB"), Lang::De);
        assert_eq!(Lang::negotiate("it, de-CH;q=0.9, fr;q=0.8"), Lang::De);
        assert_eq!(Lang::negotiate("de_AT"), Lang::De);
        assert_eq!(Lang::negotiate("it"), Lang::En);
        assert_eq!(Lang::negotiate(""), Lang::En);
        let page = login(Lang::Fr, "tok", "/authorize?a=1&b=\"2\"", "<script>", None, false);
        assert!(page.contains("lang=\"fr\"") && page.contains("Mot de passe"));
        assert!(page.contains("&lt;script&gt;") && !page.contains("<script>"));
        assert!(page.contains("/authorize?a=1&amp;b=&quot;2&quot;"));
        let page = login(Lang::De, "tok", "/authorize", "", None, false);
        assert!(page.contains("lang=\"de\"") && page.contains("Passwort"));
    }

    #[test]
    fn the_sign_in_page_leads_to_sign_up_with_the_same_return_to_and_to_the_forgotten_password() {
        let page = login(Lang::En, "tok", "/authorize?client_id=shop&state=a b", "", None, true);
        assert!(page.contains("autocomplete=\"username webauthn\"") && page.contains("id=\"passkey-button\""));
        assert!(page.contains("href=\"/password/forgot\""));
        assert!(page.contains("href=\"/signup?return_to=%2Fauthorize%3Fclient_id%3Dshop%26state%3Da+b\""));
        assert!(page.contains("href=\"/login/code?return_to=%2Fauthorize%3Fclient_id%3Dshop%26state%3Da+b\""));
    }

    #[test]
    fn each_upstream_provider_is_a_link_keeping_the_return_target() {
        assert_eq!(provider_buttons(Lang::En, &[], "%2F"), "");
        let html = provider_buttons(
            Lang::De,
            &[("google".into(), "Google".into()), ("apple".into(), "<Apple>".into())],
            "%2Fauthorize%3Fclient_id%3Dshop",
        );
        assert!(html.contains("href=\"/login/social/google?return_to=%2Fauthorize%3Fclient_id%3Dshop\""));
        assert!(html.contains("Weiter mit Google") && html.contains("Weiter mit &lt;Apple&gt;"));
    }

    #[test]
    fn every_page_is_in_the_theme() {
        let page = error(Lang::Fr, "x");
        let theme = crate::theme::current();
        assert!(page.contains(&format!("/theme/style.css?v={}", theme.version)));
        assert!(page.contains(&escape(&theme.organisation)) && page.contains("class=\"card\""));
    }
}
