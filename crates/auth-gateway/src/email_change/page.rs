//! The pages of an e-mail change, in English, French and German: the request form (the new
//! address and the current password), "check the new mailbox", the confirmation button the
//! link opens, and the outcomes.

use crate::pages::{Lang, escape, layout};

pub struct Words {
    pub title: &'static str,
    pub intro: &'static str,
    pub current: &'static str,
    pub new_email: &'static str,
    pub password: &'static str,
    pub submit: &'static str,
    pub invalid_email: &'static str,
    pub same_email: &'static str,
    pub wrong_password: &'static str,
    pub sent: &'static str,
    pub confirm_body: &'static str,
    pub confirm_button: &'static str,
    pub changed: &'static str,
    pub clash: &'static str,
    pub link_invalid: &'static str,
    pub back: &'static str,
}

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &Words {
            title: "Change my e-mail address",
            intro: "You sign in with this address, and the ticket office writes to it. We send a link to the new address first; it changes when you open it.",
            current: "Current address",
            new_email: "New e-mail address",
            password: "Your password",
            submit: "Send the link",
            invalid_email: "Enter an e-mail address such as name@example.org.",
            same_email: "This is already your address.",
            wrong_password: "The password is not right.",
            sent: "We have sent a link to the new address. Your address changes when you open it; until then, nothing changes. The link works once, for 60 minutes.",
            confirm_body: "Confirm that this is your new sign-in address. The ticket office is told too, and your old address gets a notice.",
            confirm_button: "Use this address",
            changed: "Your e-mail address is changed. Sign in with the new one from now on; the ticket shop may ask you to sign in again.",
            clash: "This address cannot be used: it belongs to another account. Nothing changed; the club's support team has been told.",
            link_invalid: "This link has expired or was already used. Ask for a new one from your account page.",
            back: "Back to my account",
        },
        Lang::Fr => &Words {
            title: "Changer mon adresse e-mail",
            intro: "Vous vous connectez avec cette adresse, et la billetterie vous y écrit. Nous envoyons d'abord un lien à la nouvelle adresse ; elle change quand vous l'ouvrez.",
            current: "Adresse actuelle",
            new_email: "Nouvelle adresse e-mail",
            password: "Votre mot de passe",
            submit: "Envoyer le lien",
            invalid_email: "Saisissez une adresse e-mail comme nom@exemple.fr.",
            same_email: "C'est déjà votre adresse.",
            wrong_password: "Le mot de passe n'est pas correct.",
            sent: "Nous avons envoyé un lien à la nouvelle adresse. Votre adresse change quand vous l'ouvrez ; d'ici là, rien ne change. Le lien est valable une fois, pendant 60 minutes.",
            confirm_body: "Confirmez qu'il s'agit de votre nouvelle adresse de connexion. La billetterie en est informée, et votre ancienne adresse reçoit un avis.",
            confirm_button: "Utiliser cette adresse",
            changed: "Votre adresse e-mail est modifiée. Connectez-vous désormais avec la nouvelle ; la billetterie peut vous demander de vous reconnecter.",
            clash: "Cette adresse ne peut pas être utilisée : elle appartient à un autre compte. Rien n'a changé ; le support du club est informé.",
            link_invalid: "Ce lien a expiré ou a déjà été utilisé. Demandez-en un nouveau depuis votre compte.",
            back: "Retour à mon compte",
        },
        Lang::De => &Words {
            title: "E-Mail-Adresse ändern",
            intro: "Mit dieser Adresse melden Sie sich an, und der Ticketshop schreibt Ihnen dorthin. Wir schicken zuerst einen Link an die neue Adresse; sie ändert sich, wenn Sie ihn öffnen.",
            current: "Aktuelle Adresse",
            new_email: "Neue E-Mail-Adresse",
            password: "Ihr Passwort",
            submit: "Link senden",
            invalid_email: "Geben Sie eine E-Mail-Adresse wie name@beispiel.de ein.",
            same_email: "Das ist bereits Ihre Adresse.",
            wrong_password: "Das Passwort ist nicht richtig.",
            sent: "Wir haben einen Link an die neue Adresse geschickt. Ihre Adresse ändert sich, wenn Sie ihn öffnen; bis dahin ändert sich nichts. Der Link ist einmal und 60 Minuten lang gültig.",
            confirm_body: "Bestätigen Sie, dass dies Ihre neue Anmeldeadresse ist. Der Ticketshop wird informiert, und Ihre alte Adresse erhält eine Mitteilung.",
            confirm_button: "Diese Adresse verwenden",
            changed: "Ihre E-Mail-Adresse ist geändert. Melden Sie sich ab jetzt mit der neuen an; der Ticketshop kann Sie bitten, sich neu anzumelden.",
            clash: "Diese Adresse kann nicht verwendet werden: Sie gehört zu einem anderen Konto. Nichts wurde geändert; der Support des Clubs ist informiert.",
            link_invalid: "Dieser Link ist abgelaufen oder wurde schon benutzt. Fordern Sie auf Ihrer Kontoseite einen neuen an.",
            back: "Zurück zu meinem Konto",
        },
    }
}

/// The request form; `problem` names the field it is about (`email` or `password`).
pub fn form(lang: Lang, csrf: &str, current: &str, typed: &str, problem: Option<(&str, &str)>) -> String {
    let w = words(lang);
    let described = |field: &str| match problem {
        Some((f, _)) if f == field => format!(" aria-invalid=\"true\" aria-describedby=\"{field}-error\""),
        _ => String::new(),
    };
    let error = |field: &str| match problem {
        Some((f, text)) if f == field => format!(
            "<span class=\"field-error\" id=\"{field}-error\" role=\"alert\">{}</span>",
            escape(text)
        ),
        _ => String::new(),
    };
    let body = format!(
        "<h1>{title}</h1><p>{intro}</p><p>{current_label}: <strong>{current}</strong></p>\
         <form method=\"post\" action=\"/account/email\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"email\">{new_email}</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required value=\"{typed}\"{email_described}>{email_error}\
         <label for=\"password\">{password}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required{password_described}>{password_error}\
         <button type=\"submit\">{submit}</button></form><p class=\"links\"><a href=\"/account\">{back}</a></p>",
        title = escape(w.title),
        intro = escape(w.intro),
        current_label = escape(w.current),
        current = escape(current),
        csrf = escape(csrf),
        new_email = escape(w.new_email),
        typed = escape(typed),
        email_described = described("email"),
        email_error = error("email"),
        password = escape(w.password),
        password_described = described("password"),
        password_error = error("password"),
        submit = escape(w.submit),
        back = escape(w.back),
    );
    layout(lang, w.title, &body)
}

/// The page the link opens: one button (a mail scanner does not use the link up).
pub fn confirm(lang: Lang, csrf: &str, token: &str) -> String {
    let w = words(lang);
    layout(
        lang,
        w.title,
        &format!(
            "<h1>{}</h1><p>{}</p><form method=\"post\" action=\"/account/email/verify\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
             <button type=\"submit\">{}</button></form>",
            escape(w.title),
            escape(w.confirm_body),
            escape(csrf),
            escape(token),
            escape(w.confirm_button)
        ),
    )
}

/// An outcome, with the way back to the account page.
pub fn outcome(lang: Lang, message: &str) -> String {
    let w = words(lang);
    layout(
        lang,
        w.title,
        &format!(
            "<h1>{}</h1><p role=\"status\">{}</p><p><a href=\"/account\">{}</a></p>",
            escape(w.title),
            escape(message),
            escape(w.back)
        ),
    )
}
