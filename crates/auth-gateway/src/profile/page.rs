//! The "complete or update my profile" page, in English, French or German, with each field's error
//! beside it. No JavaScript; every value is HTML-escaped.

use super::form::{LANGUAGES, NAME_MAX, Problem, Problems, Profile, TOWN_MAX, ZIP_MAX};
use crate::pages::{Lang, escape, layout};

struct Texts {
    title: &'static str,
    intro: &'static str,
    first_name: &'static str,
    last_name: &'static str,
    birth_date: &'static str,
    phone: &'static str,
    language: &'static str,
    address: &'static str,
    street: &'static str,
    street2: &'static str,
    zip_code: &'static str,
    town: &'static str,
    country: &'static str,
    opt_ins: &'static str,
    save: &'static str,
    invalid: &'static str,
    saved: &'static str,
    unchanged: &'static str,
    back: &'static str,
    email_link: &'static str,
    passkeys_link: &'static str,
}

const EN: Texts = Texts {
    title: "My profile",
    intro: "Complete or update your details. The ticket shop receives your changes.",
    first_name: "First name",
    last_name: "Last name",
    birth_date: "Birth date (YYYY-MM-DD)",
    phone: "Mobile phone",
    language: "Language",
    address: "Main address",
    street: "Street",
    street2: "Address line 2 (optional)",
    zip_code: "Post code",
    town: "Town",
    country: "Country (two letters, e.g. CH, FR, GB)",
    opt_ins: "I agree to receive",
    save: "Save",
    invalid: "Please correct the fields marked below.",
    saved: "Your changes are saved. The ticket shop will show them shortly.",
    unchanged: "Nothing was changed.",
    back: "Back to my profile",
    email_link: "Change my e-mail address (it is checked by a link first)",
    passkeys_link: "My passkeys: sign in without a password (add, see or remove them)",
};

const FR: Texts = Texts {
    title: "Mon profil",
    intro: "Complétez ou mettez à jour vos données. La billetterie reçoit vos modifications.",
    first_name: "Prénom",
    last_name: "Nom",
    birth_date: "Date de naissance (AAAA-MM-JJ)",
    phone: "Téléphone mobile",
    language: "Langue",
    address: "Adresse principale",
    street: "Rue",
    street2: "Complément d'adresse (facultatif)",
    zip_code: "Code postal",
    town: "Localité",
    country: "Pays (deux lettres, p. ex. CH, FR, GB)",
    opt_ins: "J'accepte de recevoir",
    save: "Enregistrer",
    invalid: "Veuillez corriger les champs indiqués ci-dessous.",
    saved: "Vos modifications sont enregistrées. La billetterie les affichera sous peu.",
    unchanged: "Rien n'a été modifié.",
    back: "Retour à mon profil",
    email_link: "Changer mon adresse e-mail (vérifiée d'abord par un lien)",
    passkeys_link: "Mes clés d'accès : se connecter sans mot de passe (les ajouter, les voir ou les supprimer)",
};

const DE: Texts = Texts {
    title: "Mein Profil",
    intro: "Ergänzen oder aktualisieren Sie Ihre Angaben. Der Ticketshop erhält Ihre Änderungen.",
    first_name: "Vorname",
    last_name: "Nachname",
    birth_date: "Geburtsdatum (JJJJ-MM-TT)",
    phone: "Mobiltelefon",
    language: "Sprache",
    address: "Hauptadresse",
    street: "Strasse",
    street2: "Adresszusatz (optional)",
    zip_code: "Postleitzahl",
    town: "Ort",
    country: "Land (zwei Buchstaben, z. B. CH, DE, AT)",
    opt_ins: "Ich möchte erhalten",
    save: "Speichern",
    invalid: "Bitte korrigieren Sie die unten markierten Felder.",
    saved: "Ihre Änderungen sind gespeichert. Der Ticketshop zeigt sie in Kürze an.",
    unchanged: "Es wurde nichts geändert.",
    back: "Zurück zu meinem Profil",
    email_link: "E-Mail-Adresse ändern (zuerst per Link bestätigt)",
    passkeys_link: "Meine Passkeys: ohne Passwort anmelden (hinzufügen, ansehen oder entfernen)",
};

fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::De => &DE,
    }
}

fn problem_text(lang: Lang, problem: Problem) -> String {
    match (lang, problem) {
        (Lang::En, Problem::Required) => "This field is required.".into(),
        (Lang::Fr, Problem::Required) => "Ce champ est obligatoire.".into(),
        (Lang::De, Problem::Required) => "Dieses Feld ist erforderlich.".into(),
        (Lang::En, Problem::TooLong(max)) => format!("At most {max} characters."),
        (Lang::Fr, Problem::TooLong(max)) => format!("{max} caractères au plus."),
        (Lang::De, Problem::TooLong(max)) => format!("Höchstens {max} Zeichen."),
        (Lang::En, Problem::Control) => "Contains characters that are not allowed.".into(),
        (Lang::Fr, Problem::Control) => "Contient des caractères non autorisés.".into(),
        (Lang::De, Problem::Control) => "Enthält nicht erlaubte Zeichen.".into(),
        (Lang::En, Problem::Date) => "Enter a past date as YYYY-MM-DD, after 1900.".into(),
        (Lang::Fr, Problem::Date) => "Saisissez une date passée, au format AAAA-MM-JJ, après 1900.".into(),
        (Lang::De, Problem::Date) => "Geben Sie ein vergangenes Datum nach 1900 als JJJJ-MM-TT ein.".into(),
        (Lang::En, Problem::Phone) => "Enter digits only, optionally starting with +.".into(),
        (Lang::Fr, Problem::Phone) => "Saisissez uniquement des chiffres, éventuellement précédés de +.".into(),
        (Lang::De, Problem::Phone) => "Geben Sie nur Ziffern ein, wahlweise mit + am Anfang.".into(),
        (Lang::En, Problem::Language) => "Choose a language from the list.".into(),
        (Lang::Fr, Problem::Language) => "Choisissez une langue dans la liste.".into(),
        (Lang::De, Problem::Language) => "Wählen Sie eine Sprache aus der Liste.".into(),
        (Lang::En, Problem::Country) => "Enter the two-letter ISO country code.".into(),
        (Lang::Fr, Problem::Country) => "Saisissez le code pays ISO à deux lettres.".into(),
        (Lang::De, Problem::Country) => "Geben Sie den zweistelligen ISO-Ländercode ein.".into(),
        (Lang::En, Problem::CountryUk) => "For the United Kingdom, enter GB.".into(),
        (Lang::Fr, Problem::CountryUk) => "Pour le Royaume-Uni, saisissez GB.".into(),
        (Lang::De, Problem::CountryUk) => "Für das Vereinigte Königreich geben Sie GB ein.".into(),
    }
}

/// The form, filled with `profile`; `base` is the mirror's S-360 modification time it shows.
pub fn render(lang: Lang, csrf: &str, base: &str, profile: &Profile, problems: &Problems) -> String {
    let t = texts(lang);
    let input = |name: &'static str, label: &str, value: &str, kind: &str, max: usize, extra: &str| {
        let error = problems.get(name).map(|p| {
            format!(
                "<p class=\"error\" id=\"{name}-error\">{}</p>",
                escape(&problem_text(lang, *p))
            )
        });
        let described = if error.is_some() {
            format!(" aria-invalid=\"true\" aria-describedby=\"{name}-error\"")
        } else {
            String::new()
        };
        format!(
            "<label for=\"{name}\">{}</label><input name=\"{name}\" value=\"{}\" id=\"{name}\" type=\"{kind}\" maxlength=\"{max}\"{extra}{described}>{}",
            escape(label),
            escape(value),
            error.unwrap_or_default()
        )
    };
    let mut body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/account/email\">{}</a></p><p><a href=\"/profile/passkeys\">{}</a></p>",
        escape(t.title),
        escape(t.intro),
        escape(t.email_link),
        escape(t.passkeys_link)
    );
    if !problems.is_empty() {
        body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>", escape(t.invalid)));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/profile\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <input type=\"hidden\" name=\"base\" value=\"{}\">",
        escape(csrf),
        escape(base)
    ));
    body.push_str(&input(
        "first_name",
        t.first_name,
        &profile.first_name,
        "text",
        NAME_MAX,
        " autocomplete=\"given-name\"",
    ));
    body.push_str(&input(
        "last_name",
        t.last_name,
        &profile.last_name,
        "text",
        NAME_MAX,
        " autocomplete=\"family-name\" required",
    ));
    body.push_str(&input(
        "birth_date",
        t.birth_date,
        &profile.birth_date,
        "date",
        10,
        " autocomplete=\"bday\"",
    ));
    body.push_str(&input(
        "phone",
        t.phone,
        &profile.phone,
        "tel",
        20,
        " autocomplete=\"tel\"",
    ));
    let kept = (!profile.language.is_empty() && !LANGUAGES.iter().any(|(code, _)| *code == profile.language))
        .then_some((profile.language.as_str(), profile.language.as_str()));
    let options: String = LANGUAGES
        .iter()
        .copied()
        .chain(kept)
        .map(|(code, name)| {
            let selected = if code == profile.language { " selected" } else { "" };
            format!("<option value=\"{}\"{selected}>{}</option>", escape(code), escape(name))
        })
        .collect();
    let language_error = problems
        .get("language")
        .map(|p| format!("<p class=\"error\">{}</p>", escape(&problem_text(lang, *p))))
        .unwrap_or_default();
    body.push_str(&format!(
        "<label for=\"language\">{}</label><select id=\"language\" name=\"language\"><option value=\"\"></option>{options}</select>{language_error}",
        escape(t.language)
    ));
    body.push_str(&format!("<fieldset><legend>{}</legend>", escape(t.address)));
    body.push_str(&input(
        "street1",
        t.street,
        &profile.lines[0],
        "text",
        100,
        " autocomplete=\"address-line1\"",
    ));
    body.push_str(&input(
        "street2",
        t.street2,
        &profile.lines[1],
        "text",
        100,
        " autocomplete=\"address-line2\"",
    ));
    body.push_str(&input(
        "zip_code",
        t.zip_code,
        &profile.zip_code,
        "text",
        ZIP_MAX,
        " autocomplete=\"postal-code\"",
    ));
    body.push_str(&input(
        "town",
        t.town,
        &profile.town,
        "text",
        TOWN_MAX,
        " autocomplete=\"address-level2\"",
    ));
    body.push_str(&input(
        "country",
        t.country,
        &profile.country,
        "text",
        2,
        " autocomplete=\"country\"",
    ));
    body.push_str("</fieldset>");
    if !profile.opt_ins.is_empty() {
        body.push_str(&format!("<fieldset><legend>{}</legend>", escape(t.opt_ins)));
        for (code, allowed) in &profile.opt_ins {
            let checked = if *allowed { " checked" } else { "" };
            body.push_str(&format!(
                "<label><input type=\"checkbox\" name=\"optin.{0}\" value=\"yes\"{checked} style=\"width:auto\"> {0}</label>",
                escape(code)
            ));
        }
        body.push_str("</fieldset>");
    }
    body.push_str(&format!("<button type=\"submit\">{}</button></form>", escape(t.save)));
    layout(lang, t.title, &body)
}

/// For a fan who just signed up: the customer record at the ticket office is created at the
/// first visit to the shop (or by the worker), and the profile is edited there once it exists.
pub fn no_contact(lang: Lang) -> String {
    let t = texts(lang);
    let message = match lang {
        Lang::En => {
            "Your customer record at the ticket office is being set up: it is created when you first visit the ticket shop. Your profile can be completed here once it exists."
        }
        Lang::Fr => {
            "Votre fiche client à la billetterie est en cours de création : elle est créée lors de votre première visite de la billetterie. Vous pourrez compléter votre profil ici ensuite."
        }
        Lang::De => {
            "Ihr Kundendatensatz beim Ticketshop wird eingerichtet: Er entsteht bei Ihrem ersten Besuch im Ticketshop. Danach können Sie Ihr Profil hier ergänzen."
        }
    };
    let account = match lang {
        Lang::En => "My account",
        Lang::Fr => "Mon compte",
        Lang::De => "Mein Konto",
    };
    layout(
        lang,
        t.title,
        &format!(
            "<h1>{}</h1><p role=\"status\">{}</p><p><a href=\"/account\">{}</a></p>",
            escape(t.title),
            escape(message),
            escape(account)
        ),
    )
}

/// After a submission: saved, or nothing to save.
pub fn done(lang: Lang, changed: bool) -> String {
    let t = texts(lang);
    let message = if changed { t.saved } else { t.unchanged };
    layout(
        lang,
        t.title,
        &format!(
            "<h1>{}</h1><p role=\"status\">{}</p><p><a href=\"/profile\">{}</a></p>",
            escape(t.title),
            escape(message),
            escape(t.back)
        ),
    )
}
