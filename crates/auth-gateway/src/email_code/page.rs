//! The pages of the e-mail code sign-in, in English, French and German, in the theme's layout:
//! the form asking for the address, the page to type the code (after asking, from the mailed
//! link, or again after a wrong code), and the page of a link opened in another browser. Every
//! field is labelled and every problem announced (`role="alert"`).

use store::auth::email_codes::{DIGITS, LIFETIME};

use crate::pages::{Lang, escape, layout, texts};

/// The words of the e-mail code pages; `{email}`, `{minutes}` and `{digits}` are filled in.
pub struct Words {
    pub request_title: &'static str,
    pub request_intro: &'static str,
    pub send: &'static str,
    pub email_missing: &'static str,
    pub enter_title: &'static str,
    pub sent: &'static str,
    pub code_label: &'static str,
    pub code_hint: &'static str,
    pub sign_in: &'static str,
    pub wrong: &'static str,
    pub elsewhere: &'static str,
    pub new_code: &'static str,
    pub with_password: &'static str,
}

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &Words {
            request_title: "Sign in with a code",
            request_intro: "We e-mail you a one-time code: no password needed.",
            send: "Email me a code",
            email_missing: "Enter the e-mail address of your account.",
            enter_title: "Enter your code",
            sent: "If an account exists for {email}, we have sent it a code. It works once, for {minutes} minutes, in this browser only.",
            code_label: "Code from the e-mail",
            code_hint: "{digits} digits. You can also follow the link in the e-mail, in this browser.",
            sign_in: "Sign in",
            wrong: "This code is not right, or it has expired. Check the e-mail, or ask for a new code.",
            elsewhere: "This link works only in the browser where you asked for the code. Type the code from the e-mail there, or ask for a new code in this browser.",
            new_code: "Email me a new code",
            with_password: "Sign in with a password",
        },
        Lang::Fr => &Words {
            request_title: "Se connecter avec un code",
            request_intro: "Nous vous envoyons un code à usage unique par e-mail : pas besoin de mot de passe.",
            send: "M'envoyer un code",
            email_missing: "Saisissez l'adresse e-mail de votre compte.",
            enter_title: "Saisissez votre code",
            sent: "Si un compte existe pour {email}, nous lui avons envoyé un code. Il est valable une fois, pendant {minutes} minutes, dans ce navigateur uniquement.",
            code_label: "Code reçu par e-mail",
            code_hint: "{digits} chiffres. Vous pouvez aussi suivre le lien de l'e-mail, dans ce navigateur.",
            sign_in: "Se connecter",
            wrong: "Ce code n'est pas correct ou a expiré. Vérifiez l'e-mail ou demandez un nouveau code.",
            elsewhere: "Ce lien ne fonctionne que dans le navigateur où vous avez demandé le code. Saisissez-y le code reçu par e-mail, ou demandez un nouveau code dans ce navigateur.",
            new_code: "M'envoyer un nouveau code",
            with_password: "Se connecter avec un mot de passe",
        },
        Lang::De => &Words {
            request_title: "Mit einem Code anmelden",
            request_intro: "Wir senden Ihnen einen Einmalcode per E-Mail: Sie brauchen kein Passwort.",
            send: "Code senden",
            email_missing: "Geben Sie die E-Mail-Adresse Ihres Kontos ein.",
            enter_title: "Code eingeben",
            sent: "Falls für {email} ein Konto besteht, haben wir ihm einen Code geschickt. Er ist einmal und {minutes} Minuten lang gültig, nur in diesem Browser.",
            code_label: "Code aus der E-Mail",
            code_hint: "{digits} Ziffern. Sie können auch dem Link in der E-Mail folgen, in diesem Browser.",
            sign_in: "Anmelden",
            wrong: "Dieser Code ist nicht richtig oder abgelaufen. Prüfen Sie die E-Mail, oder fordern Sie einen neuen Code an.",
            elsewhere: "Dieser Link funktioniert nur in dem Browser, in dem Sie den Code angefordert haben. Geben Sie den Code aus der E-Mail dort ein, oder fordern Sie in diesem Browser einen neuen Code an.",
            new_code: "Neuen Code senden",
            with_password: "Mit Passwort anmelden",
        },
    }
}

/// `text` (already escaped) with the lifetime and the number of digits filled in.
fn filled(text: &str) -> String {
    escape(text)
        .replace("{minutes}", &LIFETIME.num_minutes().to_string())
        .replace("{digits}", &DIGITS.to_string())
}

fn query(return_to: &str) -> String {
    escape(&url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>())
}

/// The links under each form: a new code, or the password after all.
fn links(lang: Lang, return_to: &str, with_new_code: bool) -> String {
    let w = words(lang);
    let new_code = if with_new_code {
        format!(
            "<a href=\"/login/code?return_to={}\">{}</a>",
            query(return_to),
            escape(w.new_code)
        )
    } else {
        String::new()
    };
    format!(
        "<p class=\"links\">{new_code}<a href=\"/login?return_to={}\">{}</a></p>",
        query(return_to),
        escape(w.with_password)
    )
}

fn alert(message: Option<&str>) -> String {
    message
        .map(|m| format!("<p class=\"error\" role=\"alert\" id=\"problem\">{}</p>", escape(m)))
        .unwrap_or_default()
}

/// The form asking for the address; `problem` when it was not one.
pub fn request(lang: Lang, csrf: &str, return_to: &str, email: &str, problem: Option<&str>) -> String {
    let w = words(lang);
    let invalid = if problem.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"problem\""
    } else {
        ""
    };
    let body = format!(
        "<h1>{title}</h1>{alert}<p>{intro}</p><form method=\"post\" action=\"/login/code\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"return_to\" value=\"{return_to}\">\
         <label for=\"email\">{label}</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required value=\"{email}\"{invalid}>\
         <button type=\"submit\">{send}</button></form>{links}",
        title = escape(w.request_title),
        alert = alert(problem),
        intro = escape(w.request_intro),
        csrf = escape(csrf),
        return_to = escape(return_to),
        label = escape(texts(lang).email),
        email = escape(email),
        send = escape(w.send),
        links = links(lang, return_to, false),
    );
    layout(lang, w.request_title, &body)
}

/// The page to type the code: after asking for it (`sent_to`, the address typed), from the
/// mailed link in the browser that asked (`code` filled in), or again with `problem`.
pub fn enter(
    lang: Lang,
    csrf: &str,
    return_to: &str,
    sent_to: Option<&str>,
    code: &str,
    problem: Option<&str>,
) -> String {
    let w = words(lang);
    let sent = sent_to
        .map(|email| format!("<p>{}</p>", filled(w.sent).replace("{email}", &escape(email))))
        .unwrap_or_default();
    let described = if problem.is_some() {
        " aria-invalid=\"true\" aria-describedby=\"code-hint problem\""
    } else {
        " aria-describedby=\"code-hint\""
    };
    let body = format!(
        "<h1>{title}</h1>{alert}{sent}<form method=\"post\" action=\"/login/code/verify\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"return_to\" value=\"{return_to}\">\
         <label for=\"code\">{label}</label><input id=\"code\" name=\"code\" type=\"text\" inputmode=\"numeric\" \
         autocomplete=\"one-time-code\" spellcheck=\"false\" maxlength=\"20\" required value=\"{code}\"{described}>\
         <span class=\"hint\" id=\"code-hint\">{hint}</span>\
         <button type=\"submit\">{sign_in}</button></form>{links}",
        title = escape(w.enter_title),
        alert = alert(problem),
        csrf = escape(csrf),
        return_to = escape(return_to),
        label = escape(w.code_label),
        code = escape(code),
        hint = filled(w.code_hint),
        sign_in = escape(w.sign_in),
        links = links(lang, return_to, true),
    );
    layout(lang, w.enter_title, &body)
}

/// The mailed link opened in a browser that did not ask for the code: it signs nobody in, and
/// says where to type the code.
pub fn elsewhere(lang: Lang) -> String {
    let w = words(lang);
    let body = format!(
        "<h1>{}</h1><p role=\"status\">{}</p>{}",
        escape(w.enter_title),
        escape(w.elsewhere),
        links(lang, "/", true)
    );
    layout(lang, w.enter_title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_labelled_and_every_problem_announced_in_each_language() {
        for lang in [Lang::En, Lang::Fr, Lang::De] {
            let page = request(
                lang,
                "tok",
                "/authorize?a=1&b=2",
                "<x>",
                Some(words(lang).email_missing),
            );
            assert!(page.contains(&format!("lang=\"{}\"", lang.code())));
            assert!(page.contains("<label for=\"email\">") && page.contains("id=\"email\""));
            assert!(page.contains("role=\"alert\"") && page.contains("aria-invalid=\"true\""));
            assert!(page.contains("value=\"/authorize?a=1&amp;b=2\"") && page.contains("&lt;x&gt;"));
            let page = enter(lang, "tok", "/", Some("fan@example.org"), "", None);
            assert!(page.contains("<label for=\"code\">") && page.contains("autocomplete=\"one-time-code\""));
            assert!(page.contains("fan@example.org") && page.contains(" 10 ") && page.contains("8 "));
            assert!(!page.contains("role=\"alert\"") && !page.contains('{'));
            let page = enter(lang, "tok", "/", None, "12345678", Some(words(lang).wrong));
            assert!(page.contains("value=\"12345678\"") && page.contains("role=\"alert\""));
            assert!(elsewhere(lang).contains("href=\"/login/code?return_to=%2F\""));
        }
    }
}
