//! The staff sign-in page: e-mail, password and the authenticator app's code, in the club's
//! theme, in English, French or German. The authorization request rides along in a hidden
//! field and is checked again when the form comes back.

use actix_web::{HttpResponse, http::StatusCode, http::header};

use crate::{
    pages::{self, Lang, escape},
    routes::html::html,
};

struct Texts {
    title: &'static str,
    intro: &'static str,
    email: &'static str,
    password: &'static str,
    code: &'static str,
    code_hint: &'static str,
    submit: &'static str,
    failed: &'static str,
    locked: &'static str,
    invalid: &'static str,
}

const EN: Texts = Texts {
    title: "Staff sign-in",
    intro: "For the club's staff only. Fans sign in on the ticket shop.",
    email: "Staff e-mail",
    password: "Password",
    code: "Authenticator code",
    code_hint: "The 6 digits your authenticator app shows now.",
    submit: "Sign in",
    failed: "The e-mail, password or code is not right.",
    locked: "Too many failed attempts. Wait a few minutes, then try again.",
    invalid: "This sign-in request is not valid. Go back to the console and try again.",
};

const FR: Texts = Texts {
    title: "Connexion du personnel",
    intro: "Réservé au personnel du club. Les fans se connectent sur la billetterie.",
    email: "E-mail professionnel",
    password: "Mot de passe",
    code: "Code de l'application d'authentification",
    code_hint: "Les 6 chiffres que votre application affiche maintenant.",
    submit: "Se connecter",
    failed: "L'e-mail, le mot de passe ou le code est incorrect.",
    locked: "Trop de tentatives échouées. Attendez quelques minutes puis réessayez.",
    invalid: "Cette demande de connexion n'est pas valable. Revenez à la console et réessayez.",
};

const DE: Texts = Texts {
    title: "Anmeldung für Mitarbeitende",
    intro: "Nur für Mitarbeitende des Vereins. Fans melden sich im Ticketshop an.",
    email: "Dienstliche E-Mail",
    password: "Passwort",
    code: "Code der Authenticator-App",
    code_hint: "Die 6 Ziffern, die Ihre App gerade anzeigt.",
    submit: "Anmelden",
    failed: "E-Mail, Passwort oder Code stimmen nicht.",
    locked: "Zu viele Fehlversuche. Warten Sie einige Minuten und versuchen Sie es erneut.",
    invalid: "Diese Anmeldeanfrage ist ungültig. Kehren Sie zur Konsole zurück und versuchen Sie es erneut.",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::De => &DE,
    }
}

/// What the form says above its fields.
#[derive(Debug, Clone, Copy)]
pub enum Message {
    Failed,
    Locked,
}

/// The form, with a fresh CSRF token. Like the fans' sign-in form, the policy has no
/// `form-action`: the sign-in ends with a redirect to the console.
pub fn form(lang: Lang, request: &str, message: Option<Message>, status: StatusCode) -> HttpResponse {
    let Some((csrf, cookie)) = crate::csrf::issue() else {
        return HttpResponse::ServiceUnavailable().finish();
    };
    let t = texts(lang);
    let message = message
        .map(|m| match m {
            Message::Failed => t.failed,
            Message::Locked => t.locked,
        })
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    let body = format!(
        "<h1>{title}</h1><p class=\"muted\">{intro}</p>{message}<form method=\"post\" action=\"/staff/login\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"request\" value=\"{request}\">\
         <label for=\"email\">{email}</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required>\
         <label for=\"password\">{password}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <label for=\"code\">{code}</label><input id=\"code\" name=\"code\" inputmode=\"numeric\" pattern=\"[0-9]{{6}}\" maxlength=\"6\" autocomplete=\"one-time-code\" required aria-describedby=\"code-hint\">\
         <p id=\"code-hint\" class=\"muted\">{code_hint}</p>\
         <button type=\"submit\">{submit}</button></form>",
        title = escape(t.title),
        intro = escape(t.intro),
        csrf = escape(&csrf),
        request = escape(request),
        email = escape(t.email),
        password = escape(t.password),
        code = escape(t.code),
        code_hint = escape(t.code_hint),
        submit = escape(t.submit),
    );
    let mut response = html(status, pages::layout(lang, t.title, &body), Some(cookie));
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

/// 429 with `Retry-After`: the form again, saying to wait.
pub fn locked(lang: Lang, request: &str, retry_after: i64) -> HttpResponse {
    let mut response = form(lang, request, Some(Message::Locked), StatusCode::TOO_MANY_REQUESTS);
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(retry_after.max(1) as u64),
    );
    response
}

/// 400: the carried request is not a staff client's valid authorization request.
pub fn invalid(lang: Lang) -> HttpResponse {
    html(StatusCode::BAD_REQUEST, pages::error(lang, texts(lang).invalid), None)
}
