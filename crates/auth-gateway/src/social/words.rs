//! The words of the social sign-in pages, in English, French and German. `{name}` stands for
//! the provider's display name, `{email}` for the address it gave.

use crate::pages::Lang;

pub struct Words {
    pub back: &'static str,
    pub problem_title: &'static str,
    pub unavailable: &'static str,
    pub cancelled: &'static str,
    pub failed: &'static str,
    pub expired: &'static str,
    pub unverified: &'static str,
    pub link_title: &'static str,
    pub link_body: &'static str,
    pub link_password: &'static str,
    pub link_code: &'static str,
    pub signup_title: &'static str,
    pub signup_intro: &'static str,
    pub linked_title: &'static str,
    pub linked_none: &'static str,
    pub linked_since: &'static str,
    pub unlink: &'static str,
    pub unlinked: &'static str,
    pub last_way: &'static str,
}

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &Words {
            back: "Back to sign-in",
            problem_title: "Sign-in with {name} did not complete",
            unavailable: "We could not reach {name} just now. Please try again in a moment, or sign in another way.",
            cancelled: "Sign-in with {name} was cancelled. You can try again, or sign in another way.",
            failed: "{name}'s answer could not be verified, so you are not signed in. Please try again, or sign in another way.",
            expired: "This sign-in has expired or was already used. Please start again from the sign-in page.",
            unverified: "{name} has not confirmed your e-mail address, so we cannot use it for your account. Please sign in, or create an account, with your e-mail address.",
            link_title: "You already have an account",
            link_body: "An account with the address {email} exists already. To use {name} with it, sign in to that account once, in this browser, within 10 minutes: then {name} is linked, and signs you in from then on.",
            link_password: "Sign in with my password",
            link_code: "Email me a code",
            signup_title: "Create your account with {name}",
            signup_intro: "{name} confirmed your address {email}. Check your name and accept the privacy policy to finish; no password is needed.",
            linked_title: "Sign-in services",
            linked_none: "No sign-in service is linked to your account.",
            linked_since: "linked on",
            unlink: "Unlink",
            unlinked: "{name} is no longer linked to your account.",
            last_way: "{name} is your only way to sign in. Set a password first (Forgot your password?), then you can unlink it.",
        },
        Lang::Fr => &Words {
            back: "Retour à la connexion",
            problem_title: "La connexion avec {name} n'a pas abouti",
            unavailable: "Nous n'avons pas pu joindre {name} pour l'instant. Réessayez dans un moment, ou connectez-vous autrement.",
            cancelled: "La connexion avec {name} a été annulée. Vous pouvez réessayer, ou vous connecter autrement.",
            failed: "La réponse de {name} n'a pas pu être vérifiée, vous n'êtes donc pas connecté. Réessayez, ou connectez-vous autrement.",
            expired: "Cette connexion a expiré ou a déjà été utilisée. Recommencez depuis la page de connexion.",
            unverified: "{name} n'a pas confirmé votre adresse e-mail ; nous ne pouvons donc pas l'utiliser pour votre compte. Connectez-vous, ou créez un compte, avec votre adresse e-mail.",
            link_title: "Vous avez déjà un compte",
            link_body: "Un compte existe déjà pour l'adresse {email}. Pour l'utiliser avec {name}, connectez-vous une fois à ce compte, dans ce navigateur, dans les 10 minutes : {name} sera alors lié et vous connectera désormais.",
            link_password: "Me connecter avec mon mot de passe",
            link_code: "Recevoir un code par e-mail",
            signup_title: "Créez votre compte avec {name}",
            signup_intro: "{name} a confirmé votre adresse {email}. Vérifiez votre nom et acceptez la politique de confidentialité pour terminer ; aucun mot de passe n'est nécessaire.",
            linked_title: "Services de connexion",
            linked_none: "Aucun service de connexion n'est lié à votre compte.",
            linked_since: "lié le",
            unlink: "Délier",
            unlinked: "{name} n'est plus lié à votre compte.",
            last_way: "{name} est votre seul moyen de connexion. Choisissez d'abord un mot de passe (Mot de passe oublié ?), puis vous pourrez le délier.",
        },
        Lang::De => &Words {
            back: "Zurück zur Anmeldung",
            problem_title: "Die Anmeldung mit {name} wurde nicht abgeschlossen",
            unavailable: "{name} ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal oder melden Sie sich anders an.",
            cancelled: "Die Anmeldung mit {name} wurde abgebrochen. Sie können es erneut versuchen oder sich anders anmelden.",
            failed: "Die Antwort von {name} konnte nicht geprüft werden, Sie sind daher nicht angemeldet. Bitte versuchen Sie es erneut oder melden Sie sich anders an.",
            expired: "Diese Anmeldung ist abgelaufen oder wurde schon verwendet. Bitte beginnen Sie auf der Anmeldeseite neu.",
            unverified: "{name} hat Ihre E-Mail-Adresse nicht bestätigt, daher können wir sie nicht für Ihr Konto verwenden. Bitte melden Sie sich mit Ihrer E-Mail-Adresse an oder erstellen Sie damit ein Konto.",
            link_title: "Sie haben schon ein Konto",
            link_body: "Für die Adresse {email} besteht bereits ein Konto. Um {name} damit zu nutzen, melden Sie sich innerhalb von 10 Minuten in diesem Browser einmal bei diesem Konto an: Dann ist {name} verknüpft und meldet Sie künftig an.",
            link_password: "Mit meinem Passwort anmelden",
            link_code: "Code per E-Mail erhalten",
            signup_title: "Konto mit {name} erstellen",
            signup_intro: "{name} hat Ihre Adresse {email} bestätigt. Prüfen Sie Ihren Namen und akzeptieren Sie die Datenschutzerklärung; ein Passwort ist nicht nötig.",
            linked_title: "Anmeldedienste",
            linked_none: "Mit Ihrem Konto ist kein Anmeldedienst verknüpft.",
            linked_since: "verknüpft am",
            unlink: "Trennen",
            unlinked: "{name} ist nicht mehr mit Ihrem Konto verknüpft.",
            last_way: "{name} ist Ihre einzige Anmeldemöglichkeit. Legen Sie zuerst ein Passwort fest (Passwort vergessen?), dann können Sie die Verknüpfung trennen.",
        },
    }
}

/// `text` with its `{name}` and `{email}` filled in (the caller escapes the result).
pub fn fill(text: &str, name: &str, email: &str) -> String {
    text.replace("{name}", name).replace("{email}", email)
}
