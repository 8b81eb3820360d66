//! The passkey parts of the shared pages, in English, French and German: the sign-in page's
//! "Sign in with a passkey" button (rendered `hidden`, shown by `passkeys.js` where the browser
//! supports passkeys) and the offer of a passkey on the signed-in page. Here rather than in
//! `crate::passkeys`, which builds on the pages and routes.

use super::{Lang, escape};

/// The pages' only script, served by `crate::passkeys::script`.
pub const SCRIPT: &str = "/passkeys.js";

struct Words {
    sign_in_with: &'static str,
    failed: &'static str,
    or: &'static str,
    offer: &'static str,
}

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &Words {
            sign_in_with: "Sign in with a passkey",
            failed: "That did not work. Try again, or sign in with your password or an e-mail code.",
            or: "or",
            offer: "Sign in faster next time: add a passkey",
        },
        Lang::Fr => &Words {
            sign_in_with: "Se connecter avec une clé d'accès",
            failed: "Cela n'a pas fonctionné. Réessayez, ou connectez-vous avec votre mot de passe ou un code par e-mail.",
            or: "ou",
            offer: "Connectez-vous plus vite la prochaine fois : ajoutez une clé d'accès",
        },
        Lang::De => &Words {
            sign_in_with: "Mit einem Passkey anmelden",
            failed: "Das hat nicht geklappt. Versuchen Sie es erneut oder melden Sie sich mit Ihrem Passwort oder einem Code per E-Mail an.",
            or: "oder",
            offer: "Nächstes Mal schneller anmelden: einen Passkey hinzufügen",
        },
    }
}

/// The script tag of `passkeys.js`.
pub fn script() -> String {
    format!("<script src=\"{SCRIPT}\" defer></script>")
}

/// The sign-in page's passkey button, its problem line (announced) and the script.
pub fn sign_in_button(lang: Lang) -> String {
    let w = words(lang);
    format!(
        "<div id=\"passkey-sign-in\" hidden data-failed=\"{failed}\"><p class=\"or\">{or}</p>\
         <button type=\"button\" id=\"passkey-button\" class=\"secondary\">{label}</button>\
         <p class=\"error\" role=\"alert\" id=\"passkey-problem\" hidden></p></div>{script}",
        failed = escape(w.failed),
        or = escape(w.or),
        label = escape(w.sign_in_with),
        script = script(),
    )
}

/// The offer of a passkey, for a signed-in fan who has none.
pub fn offer(lang: Lang) -> String {
    format!(
        "<p class=\"links\"><a href=\"/profile/passkeys\">{}</a></p>",
        escape(words(lang).offer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_button_starts_hidden_and_loads_the_script_in_each_language() {
        for lang in [Lang::En, Lang::Fr, Lang::De] {
            let button = sign_in_button(lang);
            assert!(button.contains("<div id=\"passkey-sign-in\" hidden"));
            assert!(button.contains("<script src=\"/passkeys.js\" defer></script>"));
            assert!(button.contains(&escape(words(lang).sign_in_with)));
            assert!(offer(lang).contains("href=\"/profile/passkeys\""));
        }
    }
}
