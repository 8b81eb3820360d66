//! The mails' words: a subject, a plain-text body and an HTML body for each template, in
//! English, French and German, chosen by the contact's language (English when it is another
//! one), each in the club's colours ([`Brand`]: the organisation's name, which ends the subject
//! and signs the mail, the accent of its button and its logo, set to the gateway's theme). The
//! HTML is escaped, so a link can never break out of its attribute.

/// The club's look in its mails, set to the gateway's theme (`GATEWAY_THEME_DIR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    /// The organisation's name (`MAIL_ORGANISATION`).
    pub organisation: String,
    /// The buttons' colour, `#rrggbb` (`MAIL_ACCENT_COLOUR`).
    pub accent: String,
    /// The logo above the mail (`MAIL_LOGO_URL`, e.g. the gateway's `/theme/logo`).
    pub logo_url: Option<String>,
}

impl Brand {
    /// The default theme's look under `organisation`.
    pub fn plain(organisation: &str) -> Self {
        Self {
            organisation: organisation.to_owned(),
            accent: DEFAULT_ACCENT.into(),
            logo_url: None,
        }
    }
}

/// The default theme's primary colour.
pub const DEFAULT_ACCENT: &str = "#0b5d3b";

/// Whether `colour` is `#rrggbb` (the only form a mail's inline style takes from settings).
pub fn is_hex_colour(colour: &str) -> bool {
    colour.len() == 7 && colour.starts_with('#') && colour[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// A mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone, Copy)]
enum Lang {
    En,
    Fr,
    De,
}

/// What each template says: subject, the paragraph before the link, the button's label, the
/// paragraph after it.
struct Words {
    subject: &'static str,
    before: &'static str,
    button: &'static str,
    after: &'static str,
}

fn words(template: &str, lang: Lang) -> Words {
    let w = |subject, before, button, after| Words {
        subject,
        before,
        button,
        after,
    };
    match (template, lang) {
        ("set-password", Lang::En) => w(
            "Set your password",
            "Welcome! Your account is ready: choose your password to sign in at the ticket shop.",
            "Choose my password",
            "The link works once, for 72 hours.",
        ),
        ("set-password", Lang::Fr) => w(
            "Choisissez votre mot de passe",
            "Bienvenue ! Votre compte est prêt : choisissez votre mot de passe pour vous connecter à la billetterie.",
            "Choisir mon mot de passe",
            "Le lien est valable une fois, pendant 72 heures.",
        ),
        ("set-password", Lang::De) => w(
            "Wählen Sie Ihr Passwort",
            "Willkommen! Ihr Konto ist bereit: Wählen Sie Ihr Passwort, um sich im Ticketshop anzumelden.",
            "Passwort wählen",
            "Der Link ist einmal und 72 Stunden lang gültig.",
        ),
        ("password-reset", Lang::En) => w(
            "Reset your password",
            "Someone asked to reset your password. If it was you, follow this link.",
            "Reset my password",
            "The link works once, for 60 minutes. If it was not you, ignore this mail.",
        ),
        ("password-reset", Lang::Fr) => w(
            "Réinitialisez votre mot de passe",
            "Une réinitialisation de votre mot de passe a été demandée. Si c'est vous, suivez ce lien.",
            "Réinitialiser mon mot de passe",
            "Le lien est valable une fois, pendant 60 minutes. Sinon, ignorez ce message.",
        ),
        ("password-reset", Lang::De) => w(
            "Setzen Sie Ihr Passwort zurück",
            "Jemand hat verlangt, Ihr Passwort zurückzusetzen. Wenn Sie es waren, folgen Sie diesem Link.",
            "Passwort zurücksetzen",
            "Der Link ist einmal und 60 Minuten lang gültig. Andernfalls ignorieren Sie diese E-Mail.",
        ),
        ("password-changed", Lang::En) => w(
            "Your password was changed",
            "Your password was just changed and every session was signed out.",
            "",
            "If it was not you, reset your password at once.",
        ),
        ("password-changed", Lang::Fr) => w(
            "Votre mot de passe a été modifié",
            "Votre mot de passe vient d'être modifié et toutes les sessions ont été fermées.",
            "",
            "Si ce n'était pas vous, réinitialisez-le immédiatement.",
        ),
        ("password-changed", Lang::De) => w(
            "Ihr Passwort wurde geändert",
            "Ihr Passwort wurde soeben geändert, und alle Sitzungen wurden abgemeldet.",
            "",
            "Wenn Sie es nicht waren, setzen Sie es sofort zurück.",
        ),
        ("verify-email", Lang::En) => w(
            "Confirm your e-mail address",
            "Welcome! Confirm your e-mail address to finish creating your account and sign in at the ticket shop.",
            "Confirm my address",
            "The link works once, for 24 hours. If you did not create an account, ignore this mail: without confirmation it is never used.",
        ),
        ("verify-email", Lang::Fr) => w(
            "Confirmez votre adresse e-mail",
            "Bienvenue ! Confirmez votre adresse e-mail pour terminer la création de votre compte et vous connecter à la billetterie.",
            "Confirmer mon adresse",
            "Le lien est valable une fois, pendant 24 heures. Si vous n'avez pas créé de compte, ignorez ce message : sans confirmation, il n'est jamais utilisé.",
        ),
        ("verify-email", Lang::De) => w(
            "Bestätigen Sie Ihre E-Mail-Adresse",
            "Willkommen! Bestätigen Sie Ihre E-Mail-Adresse, um Ihr Konto fertig zu erstellen und sich im Ticketshop anzumelden.",
            "Adresse bestätigen",
            "Der Link ist einmal und 24 Stunden lang gültig. Haben Sie kein Konto erstellt, ignorieren Sie diese E-Mail: Ohne Bestätigung wird es nie verwendet.",
        ),
        ("signup-exists", Lang::En) => w(
            "Someone tried to register with your address",
            "Someone, maybe you, tried to create a new account with this e-mail address. It already has an account: sign in with it, or choose a new password if you forgot it.",
            "Choose a new password",
            "If it was not you, ignore this mail: your account did not change.",
        ),
        ("signup-exists", Lang::Fr) => w(
            "Quelqu'un a tenté de s'inscrire avec votre adresse",
            "Quelqu'un, peut-être vous, a tenté de créer un compte avec cette adresse e-mail. Elle a déjà un compte : connectez-vous avec, ou choisissez un nouveau mot de passe si vous l'avez oublié.",
            "Choisir un nouveau mot de passe",
            "Si ce n'était pas vous, ignorez ce message : votre compte n'a pas changé.",
        ),
        ("signup-exists", Lang::De) => w(
            "Jemand wollte sich mit Ihrer Adresse registrieren",
            "Jemand, vielleicht Sie, wollte mit dieser E-Mail-Adresse ein neues Konto erstellen. Sie hat bereits ein Konto: Melden Sie sich damit an, oder wählen Sie ein neues Passwort, falls Sie es vergessen haben.",
            "Neues Passwort wählen",
            "Wenn Sie es nicht waren, ignorieren Sie diese E-Mail: Ihr Konto wurde nicht verändert.",
        ),
        ("sign-in-code", Lang::En) => w(
            "Your sign-in code",
            "Here is your code to sign in. Follow the link, or type the code on the page where you asked for it.",
            "Sign me in",
            "The code works once, for 10 minutes, and only in the browser where you asked for it. If you did not ask for it, ignore this mail: nobody can sign in without that browser.",
        ),
        ("sign-in-code", Lang::Fr) => w(
            "Votre code de connexion",
            "Voici votre code pour vous connecter. Suivez le lien, ou saisissez le code sur la page où vous l'avez demandé.",
            "Me connecter",
            "Le code est valable une fois, pendant 10 minutes, et uniquement dans le navigateur où vous l'avez demandé. Si vous ne l'avez pas demandé, ignorez ce message : personne ne peut se connecter sans ce navigateur.",
        ),
        ("sign-in-code", Lang::De) => w(
            "Ihr Anmeldecode",
            "Hier ist Ihr Code zum Anmelden. Folgen Sie dem Link, oder geben Sie den Code auf der Seite ein, auf der Sie ihn angefordert haben.",
            "Jetzt anmelden",
            "Der Code ist einmal und 10 Minuten lang gültig, nur in dem Browser, in dem Sie ihn angefordert haben. Haben Sie ihn nicht angefordert, ignorieren Sie diese E-Mail: Ohne diesen Browser kann sich niemand anmelden.",
        ),
        ("email-verify", Lang::En) => w(
            "Confirm your new e-mail address",
            "You asked to sign in with this address from now on. Confirm it with this link.",
            "Use this address",
            "The link works once, for 60 minutes. If you did not ask for it, ignore this mail: nothing changes.",
        ),
        ("email-verify", Lang::Fr) => w(
            "Confirmez votre nouvelle adresse e-mail",
            "Vous avez demandé à vous connecter désormais avec cette adresse. Confirmez-la avec ce lien.",
            "Utiliser cette adresse",
            "Le lien est valable une fois, pendant 60 minutes. Si vous ne l'avez pas demandé, ignorez ce message : rien ne change.",
        ),
        ("email-verify", Lang::De) => w(
            "Bestätigen Sie Ihre neue E-Mail-Adresse",
            "Sie möchten sich ab jetzt mit dieser Adresse anmelden. Bestätigen Sie sie mit diesem Link.",
            "Diese Adresse verwenden",
            "Der Link ist einmal und 60 Minuten lang gültig. Haben Sie das nicht verlangt, ignorieren Sie diese E-Mail: Nichts ändert sich.",
        ),
        ("email-changed", Lang::En) => w(
            "Your e-mail address was changed",
            "Your account no longer signs in with this address: it was changed to another one.",
            "",
            "If it was not you, contact the club's support at once.",
        ),
        ("email-changed", Lang::Fr) => w(
            "Votre adresse e-mail a été modifiée",
            "Votre compte ne se connecte plus avec cette adresse : elle a été remplacée par une autre.",
            "",
            "Si ce n'était pas vous, contactez immédiatement le support du club.",
        ),
        ("email-changed", Lang::De) => w(
            "Ihre E-Mail-Adresse wurde geändert",
            "Ihr Konto meldet sich nicht mehr mit dieser Adresse an: Sie wurde durch eine andere ersetzt.",
            "",
            "Wenn Sie es nicht waren, wenden Sie sich sofort an den Support des Clubs.",
        ),
        ("erasure-request", _) => w(
            "Erasure request to complete at S-360",
            "A fan deleted their account at the identity provider. The account, its password, sessions and tokens are erased. The contact at S-360 and its SSO link are kept: complete the request in the S-360 back office if it covers them (the request's row holds the contact number). The request:",
            "",
            "The request is listed in the erasure_requests table until it is marked completed.",
        ),
        (_, Lang::Fr) => w("Message de la billetterie", "", "Ouvrir", ""),
        (_, Lang::De) => w("Nachricht des Ticketshops", "", "Öffnen", ""),
        (_, Lang::En) => w("Message from the ticket office", "", "Open", ""),
    }
}

/// The mail for `template` in the language of `locale` (ISO 639-1, possibly with a region),
/// in `brand`, quoting `reference` when it is not empty.
pub fn render(template: &str, locale: &str, link: &str, reference: &str, brand: &Brand) -> Rendered {
    let organisation = brand.organisation.as_str();
    let accent = if is_hex_colour(&brand.accent) {
        brand.accent.as_str()
    } else {
        DEFAULT_ACCENT
    };
    let lang = match locale.get(..2).map(str::to_ascii_lowercase).as_deref() {
        Some("fr") => Lang::Fr,
        Some("de") => Lang::De,
        _ => Lang::En,
    };
    let html_lang = match lang {
        Lang::En => "en",
        Lang::Fr => "fr",
        Lang::De => "de",
    };
    let w = words(template, lang);
    let mut text = String::new();
    let mut html = format!(
        "<!doctype html>\n<html lang=\"{html_lang}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family: sans-serif; max-width: 36em\">",
        escape(w.subject)
    );
    if let Some(logo) = &brand.logo_url {
        html.push_str(&format!(
            "<p><img src=\"{}\" alt=\"{}\" width=\"48\" height=\"48\"></p>",
            escape(logo),
            escape(organisation)
        ));
    }
    if !w.before.is_empty() {
        text.push_str(w.before);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(w.before)));
    }
    if !link.is_empty() {
        text.push_str(link);
        text.push_str("\n\n");
        html.push_str(&format!(
            "<p><a href=\"{0}\" style=\"display: inline-block; padding: .6em 1.2em; background: {accent}; color: #fff; \
             text-decoration: none; border-radius: 4px\">{1}</a></p><p style=\"font-size: small\">{0}</p>",
            escape(link),
            escape(w.button)
        ));
    }
    if !reference.is_empty() {
        text.push_str(&format!("{reference}\n\n"));
        html.push_str(&format!("<p><strong>{}</strong></p>", escape(reference)));
    }
    if !w.after.is_empty() {
        text.push_str(w.after);
        text.push('\n');
        html.push_str(&format!("<p>{}</p>", escape(w.after)));
    }
    text.push_str(&format!("\n-- \n{organisation}\n"));
    html.push_str(&format!("<p style=\"color: #4d5a55\">{}</p>", escape(organisation)));
    html.push_str("</body></html>\n");
    Rendered {
        subject: format!("{} · {organisation}", w.subject),
        text,
        html,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_template_in_each_language_with_the_link_in_both_parts() {
        let link = "https://id.example.org/password/reset?token=abc&x=1";
        for (locale, subject) in [
            ("fr-CH", "Choisissez votre mot de passe"),
            ("de", "Wählen Sie Ihr Passwort"),
            ("en", "Set your password"),
            ("it", "Set your password"),
            ("", "Set your password"),
        ] {
            let mail = render("set-password", locale, link, "", &Brand::plain("FC Example"));
            assert_eq!(mail.subject, format!("{subject} · FC Example"));
            assert!(mail.text.ends_with("\n-- \nFC Example\n") && mail.html.contains(">FC Example</p>"));
            assert!(mail.text.contains(link));
            assert!(
                mail.html
                    .contains("https://id.example.org/password/reset?token=abc&amp;x=1")
            );
        }
        let changed = render("password-changed", "de", "", "", &Brand::plain("FC <Example>"));
        assert!(changed.text.contains("geändert") && !changed.html.contains("<a "));
        assert!(changed.html.contains("FC &lt;Example&gt;"));
    }

    #[test]
    fn the_sign_in_code_is_in_the_text_and_the_html_in_each_language() {
        let link = "https://id.example.org/login/code/verify?code=01234567";
        for (locale, subject) in [
            ("en", "Your sign-in code"),
            ("fr", "Votre code de connexion"),
            ("de-CH", "Ihr Anmeldecode"),
        ] {
            let mail = render("sign-in-code", locale, link, "01234567", &Brand::plain("FC Example"));
            assert_eq!(mail.subject, format!("{subject} · FC Example"));
            assert!(mail.text.contains("\n01234567\n") && mail.text.contains(link));
            assert!(mail.html.contains("<strong>01234567</strong>") && mail.html.contains(link));
            assert!(mail.text.contains("10"), "the lifetime is said: {}", mail.text);
        }
    }

    #[test]
    fn mails_wear_the_clubs_colour_and_logo() {
        let brand = Brand {
            organisation: "FC Example".into(),
            accent: "#aa0011".into(),
            logo_url: Some("https://login.fc.example/theme/logo".into()),
        };
        let mail = render("verify-email", "en", "https://login.fc.example/x", "", &brand);
        assert!(mail.html.contains("background: #aa0011"));
        assert!(
            mail.html
                .contains("<img src=\"https://login.fc.example/theme/logo\" alt=\"FC Example\"")
        );
        let odd = Brand {
            accent: "red; position: fixed".into(),
            ..brand
        };
        let mail = render("verify-email", "en", "https://login.fc.example/x", "", &odd);
        assert!(
            mail.html.contains(&format!("background: {DEFAULT_ACCENT}")),
            "only #rrggbb is taken"
        );
    }

    #[test]
    fn links_cannot_break_out_of_the_html() {
        let mail = render(
            "password-reset",
            "en",
            "https://x.example/\"><script>alert(1)</script>",
            "",
            &Brand::plain("FC"),
        );
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&quot;&gt;&lt;script&gt;"));
    }
}
