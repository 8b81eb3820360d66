//! The sign-up pages, in English, French and German: the form (each rule beside its field,
//! each problem beside its input and announced), "check your mailbox", the confirmation
//! button a verification link opens, and the page of a sign-in whose address is not confirmed.

use crate::{
    pages::{Lang, escape, layout},
    password_policy::Refusal,
    signup_form::form::{Problem, Problems, SignupForm},
};

/// The words of the sign-up pages.
pub struct Words {
    pub title: &'static str,
    pub intro: &'static str,
    pub given_name: &'static str,
    pub family_name: &'static str,
    pub language: &'static str,
    pub password_hint: &'static str,
    pub privacy_before: &'static str,
    pub privacy_link: &'static str,
    pub privacy_after: &'static str,
    pub newsletter: &'static str,
    pub submit: &'static str,
    pub have_account: &'static str,
    pub sign_in: &'static str,
    pub fix_below: &'static str,
    pub check_title: &'static str,
    pub check_body: &'static str,
    pub confirm_title: &'static str,
    pub confirm_body: &'static str,
    pub confirm_button: &'static str,
    pub link_invalid: &'static str,
    pub unverified: &'static str,
    pub resend: &'static str,
    pub resent: &'static str,
    pub trap_label: &'static str,
}

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &Words {
            title: "Create your account",
            intro: "One account for the ticket shop and the club's services.",
            given_name: "First name",
            family_name: "Last name",
            language: "Language",
            password_hint: "At least 10 characters. Not your e-mail address, and not a common or leaked password.",
            privacy_before: "I have read and accept the ",
            privacy_link: "privacy policy",
            privacy_after: " (required).",
            newsletter: "Send me the club's newsletter (you can unsubscribe at any time).",
            submit: "Create my account",
            have_account: "Already have an account?",
            sign_in: "Sign in",
            fix_below: "Please correct the fields marked below.",
            check_title: "Check your mailbox",
            check_body: "We have sent a link to confirm your e-mail address. Open it to finish creating your account; it works for 24 hours. If the address already has an account, we have written to it instead.",
            confirm_title: "Confirm your e-mail address",
            confirm_body: "One last step: confirm that this address is yours, and you are signed in.",
            confirm_button: "Confirm my address",
            link_invalid: "This link has expired or was already used. Sign in to get a new one.",
            unverified: "Please confirm your e-mail address first: open the link we sent you. We can send it again.",
            resend: "Send the link again",
            resent: "If this address has an account waiting for confirmation, we have sent it a new link.",
            trap_label: "Leave this field empty",
        },
        Lang::Fr => &Words {
            title: "Créez votre compte",
            intro: "Un seul compte pour la billetterie et les services du club.",
            given_name: "Prénom",
            family_name: "Nom",
            language: "Langue",
            password_hint: "Au moins 10 caractères. Ni votre adresse e-mail, ni un mot de passe courant ou divulgué.",
            privacy_before: "J'ai lu et j'accepte la ",
            privacy_link: "politique de confidentialité",
            privacy_after: " (obligatoire).",
            newsletter: "Envoyez-moi la newsletter du club (désinscription possible à tout moment).",
            submit: "Créer mon compte",
            have_account: "Vous avez déjà un compte ?",
            sign_in: "Se connecter",
            fix_below: "Veuillez corriger les champs signalés ci-dessous.",
            check_title: "Consultez votre messagerie",
            check_body: "Nous avons envoyé un lien pour confirmer votre adresse e-mail. Ouvrez-le pour terminer la création de votre compte ; il est valable 24 heures. Si l'adresse a déjà un compte, nous lui avons écrit à la place.",
            confirm_title: "Confirmez votre adresse e-mail",
            confirm_body: "Dernière étape : confirmez que cette adresse est la vôtre, et vous êtes connecté.",
            confirm_button: "Confirmer mon adresse",
            link_invalid: "Ce lien a expiré ou a déjà été utilisé. Connectez-vous pour en recevoir un nouveau.",
            unverified: "Veuillez d'abord confirmer votre adresse e-mail en ouvrant le lien envoyé. Nous pouvons le renvoyer.",
            resend: "Renvoyer le lien",
            resent: "Si cette adresse a un compte en attente de confirmation, nous lui avons envoyé un nouveau lien.",
            trap_label: "Laissez ce champ vide",
        },
        Lang::De => &Words {
            title: "Konto erstellen",
            intro: "Ein Konto für den Ticketshop und die Angebote des Clubs.",
            given_name: "Vorname",
            family_name: "Nachname",
            language: "Sprache",
            password_hint: "Mindestens 10 Zeichen. Nicht Ihre E-Mail-Adresse und kein gängiges oder geleaktes Passwort.",
            privacy_before: "Ich habe die ",
            privacy_link: "Datenschutzerklärung",
            privacy_after: " gelesen und akzeptiere sie (erforderlich).",
            newsletter: "Schicken Sie mir den Newsletter des Clubs (jederzeit abbestellbar).",
            submit: "Konto erstellen",
            have_account: "Sie haben schon ein Konto?",
            sign_in: "Anmelden",
            fix_below: "Bitte korrigieren Sie die markierten Felder.",
            check_title: "Sehen Sie in Ihr Postfach",
            check_body: "Wir haben Ihnen einen Link geschickt, um Ihre E-Mail-Adresse zu bestätigen. Öffnen Sie ihn, um Ihr Konto fertig zu erstellen; er ist 24 Stunden gültig. Hat die Adresse schon ein Konto, haben wir stattdessen dorthin geschrieben.",
            confirm_title: "E-Mail-Adresse bestätigen",
            confirm_body: "Ein letzter Schritt: Bestätigen Sie, dass diese Adresse Ihnen gehört, und Sie sind angemeldet.",
            confirm_button: "Adresse bestätigen",
            link_invalid: "Dieser Link ist abgelaufen oder wurde schon benutzt. Melden Sie sich an, um einen neuen zu erhalten.",
            unverified: "Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse über den Link, den wir Ihnen geschickt haben. Wir können ihn erneut senden.",
            resend: "Link erneut senden",
            resent: "Wenn für diese Adresse ein Konto auf Bestätigung wartet, haben wir ihm einen neuen Link geschickt.",
            trap_label: "Dieses Feld leer lassen",
        },
    }
}

/// What a problem says, in the page's language.
pub fn problem_text(lang: Lang, problem: Problem) -> &'static str {
    use Lang::*;
    match (problem, lang) {
        (Problem::EmailInvalid, En) => "Enter an e-mail address such as name@example.org.",
        (Problem::EmailInvalid, Fr) => "Saisissez une adresse e-mail comme nom@exemple.fr.",
        (Problem::EmailInvalid, De) => "Geben Sie eine E-Mail-Adresse wie name@beispiel.de ein.",
        (Problem::NameMissing, En) => "This field is required.",
        (Problem::NameMissing, Fr) => "Ce champ est obligatoire.",
        (Problem::NameMissing, De) => "Dieses Feld ist erforderlich.",
        (Problem::NameTooLong, En) => "Use at most 100 characters.",
        (Problem::NameTooLong, Fr) => "Utilisez au plus 100 caractères.",
        (Problem::NameTooLong, De) => "Höchstens 100 Zeichen.",
        (Problem::PrivacyRequired, En) => "Please accept the privacy policy to create an account.",
        (Problem::PrivacyRequired, Fr) => "Veuillez accepter la politique de confidentialité pour créer un compte.",
        (Problem::PrivacyRequired, De) => "Bitte akzeptieren Sie die Datenschutzerklärung, um ein Konto zu erstellen.",
        (Problem::Password(refusal), lang) => refusal_text(lang, refusal),
    }
}

/// Why a password is refused, in the page's language (the sign-up and set-password pages).
pub fn refusal_text(lang: Lang, refusal: Refusal) -> &'static str {
    use Lang::*;
    match (refusal, lang) {
        (Refusal::TooShort, En) => "Use at least 10 characters.",
        (Refusal::TooShort, Fr) => "Utilisez au moins 10 caractères.",
        (Refusal::TooShort, De) => "Verwenden Sie mindestens 10 Zeichen.",
        (Refusal::TooLong, En) => "This password is too long.",
        (Refusal::TooLong, Fr) => "Ce mot de passe est trop long.",
        (Refusal::TooLong, De) => "Dieses Passwort ist zu lang.",
        (Refusal::LikeEmail, En) => "Do not use your e-mail address as the password.",
        (Refusal::LikeEmail, Fr) => "N'utilisez pas votre adresse e-mail comme mot de passe.",
        (Refusal::LikeEmail, De) => "Verwenden Sie nicht Ihre E-Mail-Adresse als Passwort.",
        (Refusal::Repetitive, En) => "Do not repeat one character.",
        (Refusal::Repetitive, Fr) => "Ne répétez pas un seul caractère.",
        (Refusal::Repetitive, De) => "Wiederholen Sie nicht ein einziges Zeichen.",
        (Refusal::Common, En) => "This password is among the most common ones; choose another.",
        (Refusal::Common, Fr) => "Ce mot de passe fait partie des plus courants ; choisissez-en un autre.",
        (Refusal::Common, De) => "Dieses Passwort gehört zu den häufigsten; wählen Sie ein anderes.",
        (Refusal::Breached, En) => "This password appeared in a data breach; choose another.",
        (Refusal::Breached, Fr) => "Ce mot de passe figure dans une fuite de données ; choisissez-en un autre.",
        (Refusal::Breached, De) => "Dieses Passwort ist in einem Datenleck aufgetaucht; wählen Sie ein anderes.",
    }
}

/// The sign-up form, with `form`'s values (never the password) and its problems.
pub fn form(lang: Lang, csrf: &str, return_to: &str, form: &SignupForm, problems: &Problems) -> String {
    let w = words(lang);
    let t = crate::pages::texts(lang);
    let problem_of = |field: &str| problems.iter().find(|(f, _)| *f == field).map(|(_, p)| *p);
    // Each input names its hint and its problem, so screen readers read them with the label.
    let described = |field: &str, hint: bool| {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{field}-hint"));
        }
        if problem_of(field).is_some() {
            ids.push(format!("{field}-error"));
        }
        let invalid = if problem_of(field).is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        };
        if ids.is_empty() {
            invalid.to_owned()
        } else {
            format!(" aria-describedby=\"{}\"{invalid}", ids.join(" "))
        }
    };
    let error_of = |field: &str| {
        problem_of(field)
            .map(|p| {
                format!(
                    "<span class=\"field-error\" id=\"{field}-error\">{}</span>",
                    escape(problem_text(lang, p))
                )
            })
            .unwrap_or_default()
    };
    let text_field = |field: &str, label: &str, kind: &str, autocomplete: &str, value: &str| {
        format!(
            "<label for=\"{field}\">{}</label><input id=\"{field}\" name=\"{field}\" type=\"{kind}\" \
             autocomplete=\"{autocomplete}\" required value=\"{}\"{}>{}",
            escape(label),
            escape(value),
            described(field, false),
            error_of(field)
        )
    };
    let summary = if problems.is_empty() {
        String::new()
    } else {
        format!("<p class=\"error\" role=\"alert\">{}</p>", escape(w.fix_below))
    };
    let languages = language_options(&form.language);
    let privacy_link = privacy_link(w.privacy_link);
    let checked = |on: bool| if on { " checked" } else { "" };
    let body = format!(
        "<h1>{title}</h1><p class=\"muted\">{intro}</p>{summary}\
         <form method=\"post\" action=\"/signup\" novalidate>\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"return_to\" value=\"{return_to}\">\
         {email}\
         <label for=\"password\">{password}</label><input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"new-password\" required minlength=\"10\"{password_described}>\
         <span class=\"hint\" id=\"password-hint\">{password_hint}</span>{password_error}\
         {given}{family}\
         <label for=\"language\">{language}</label><select id=\"language\" name=\"language\">{languages}</select>\
         <label class=\"check\"><input type=\"checkbox\" name=\"privacy\" value=\"yes\" required{privacy_checked}{privacy_described}>\
         <span>{privacy_before}{privacy_link}{privacy_after}</span></label>{privacy_error}\
         <label class=\"check\"><input type=\"checkbox\" name=\"newsletter\" value=\"yes\"{newsletter_checked}><span>{newsletter}</span></label>\
         <div class=\"trap\" aria-hidden=\"true\"><label for=\"website\">{trap}</label>\
         <input id=\"website\" name=\"website\" type=\"text\" tabindex=\"-1\" autocomplete=\"off\"></div>\
         <button type=\"submit\">{submit}</button></form>\
         <p class=\"muted\">{have} <a href=\"/login?return_to={return_encoded}\">{sign_in}</a></p>",
        title = escape(w.title),
        intro = escape(w.intro),
        csrf = escape(csrf),
        return_to = escape(return_to),
        email = text_field("email", t.email, "email", "email", &form.email),
        password = escape(t.password),
        password_described = described("password", true),
        password_hint = escape(w.password_hint),
        password_error = error_of("password"),
        given = text_field("given_name", w.given_name, "text", "given-name", &form.given_name),
        family = text_field("family_name", w.family_name, "text", "family-name", &form.family_name),
        language = escape(w.language),
        privacy_checked = checked(form.privacy),
        privacy_described = described("privacy", false),
        privacy_before = escape(w.privacy_before),
        privacy_link = privacy_link,
        privacy_after = escape(w.privacy_after),
        privacy_error = error_of("privacy"),
        newsletter_checked = checked(form.newsletter),
        newsletter = escape(w.newsletter),
        trap = escape(w.trap_label),
        submit = escape(w.submit),
        have = escape(w.have_account),
        return_encoded = escape(&url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()),
        sign_in = escape(w.sign_in),
    );
    layout(lang, w.title, &body)
}

/// The `<option>`s of the language a fan's mail comes in, `selected` chosen; each names itself
/// in its own language.
pub fn language_options(selected: &str) -> String {
    [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
        .iter()
        .map(|(code, name)| {
            let chosen = if selected == *code { " selected" } else { "" };
            format!("<option value=\"{code}\" lang=\"{code}\"{chosen}>{name}</option>")
        })
        .collect()
}

/// The theme's privacy policy as a link named `label`, opening apart from the form; without a
/// policy configured, its name alone (never a dead link).
pub fn privacy_link(label: &str) -> String {
    crate::theme::current()
        .footer
        .iter()
        .find(|(kind, _)| *kind == "privacy")
        .map(|(_, url)| {
            format!(
                "<a href=\"{}\" target=\"_blank\" rel=\"noopener\">{}</a>",
                escape(url),
                escape(label)
            )
        })
        .unwrap_or_else(|| escape(label))
}

/// After a sign-up, whatever happened: the same words for a new address and a taken one.
pub fn check_mailbox(lang: Lang) -> String {
    let w = words(lang);
    layout(
        lang,
        w.check_title,
        &format!(
            "<h1>{}</h1><p role=\"status\">{}</p>",
            escape(w.check_title),
            escape(w.check_body)
        ),
    )
}

/// The page a verification link opens: one button, so that a mail scanner following the link
/// does not use it up.
pub fn confirm(lang: Lang, csrf: &str, token: &str, return_to: &str) -> String {
    let w = words(lang);
    layout(
        lang,
        w.confirm_title,
        &format!(
            "<h1>{}</h1><p>{}</p><form method=\"post\" action=\"/signup/verify\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"token\" value=\"{}\">\
             <input type=\"hidden\" name=\"return_to\" value=\"{}\"><button type=\"submit\">{}</button></form>",
            escape(w.confirm_title),
            escape(w.confirm_body),
            escape(csrf),
            escape(token),
            escape(return_to),
            escape(w.confirm_button)
        ),
    )
}

/// A sign-in with the right password for an address not confirmed yet: no session, and a
/// button to have the link sent again.
pub fn unverified(lang: Lang, csrf: &str, email: &str, return_to: &str) -> String {
    let w = words(lang);
    layout(
        lang,
        w.confirm_title,
        &format!(
            "<h1>{}</h1><p class=\"error\" role=\"alert\">{}</p><form method=\"post\" action=\"/signup/resend\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"email\" value=\"{}\">\
             <input type=\"hidden\" name=\"return_to\" value=\"{}\"><button type=\"submit\">{}</button></form>",
            escape(w.confirm_title),
            escape(w.unverified),
            escape(csrf),
            escape(email),
            escape(return_to),
            escape(w.resend)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_shown_beside_their_fields_and_the_password_is_never_echoed() {
        let typed = SignupForm {
            email: "bad\"><script>".into(),
            password: "secret-never-shown".into(),
            given_name: "Anna".into(),
            ..Default::default()
        };
        let problems = vec![("email", Problem::EmailInvalid), ("privacy", Problem::PrivacyRequired)];
        for lang in [Lang::En, Lang::Fr, Lang::De] {
            let page = form(lang, "tok", "/authorize?client_id=shop", &typed, &problems);
            assert!(page.contains("id=\"email-error\"") && page.contains("aria-describedby=\"email-error\""));
            assert!(page.contains("id=\"privacy-error\"") && page.contains("role=\"alert\""));
            assert!(!page.contains("secret-never-shown") && !page.contains("<script>"));
            assert!(page.contains("value=\"Anna\"") && page.contains("name=\"website\""));
            assert!(page.contains("href=\"/login?return_to=%2Fauthorize%3Fclient_id%3Dshop\""));
            assert!(!page.contains("name=\"newsletter\" value=\"yes\" checked"));
        }
    }
}
