//! The passkey management page, in English, French and German: the list, a remove button
//! each, the "Add a passkey" form (the sign-in page's button and the offer once signed in are
//! `crate::pages::passkey`'s). Script-driven controls are rendered `hidden` and shown
//! by `passkeys.js` only where the browser supports passkeys, so a page without JavaScript
//! shows only what works (the password form, the list and its remove buttons).

use actix_web::{HttpResponse, http::header};
use store::auth::passkeys::{NAME_MAX, StoredPasskey};

use crate::pages::{Lang, escape, layout};

/// The content security policy of a page running `passkeys.js`: its own scripts and requests,
/// nothing inline.
pub const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; \
                       img-src 'self'; frame-ancestors 'none'";

pub struct Words {
    pub title: &'static str,
    pub intro: &'static str,
    pub recovery: &'static str,
    pub yours: &'static str,
    pub none: &'static str,
    pub added: &'static str,
    pub last_used: &'static str,
    pub never: &'static str,
    pub remove: &'static str,
    pub add_title: &'static str,
    pub name: &'static str,
    pub name_hint: &'static str,
    pub add: &'static str,
    pub needs_script: &'static str,
    pub failed: &'static str,
    pub back: &'static str,
}

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &Words {
            title: "Passkeys",
            intro: "A passkey signs you in with your fingerprint, face or screen lock instead of a password. It stays on your device or in your password manager; we only keep its public key.",
            recovery: "Lost every passkey? Sign in with your password, a forgotten-password link or an e-mail code, then remove the lost ones here.",
            yours: "Your passkeys",
            none: "You have no passkey yet.",
            added: "Added",
            last_used: "last used",
            never: "never used",
            remove: "Remove",
            add_title: "Add a passkey",
            name: "Name of the passkey",
            name_hint: "So you can tell them apart, e.g. \"My phone\".",
            add: "Add a passkey",
            needs_script: "Adding a passkey needs JavaScript and a browser that supports passkeys.",
            failed: "The passkey was not added. Try again, or use another device.",
            back: "Back to my profile",
        },
        Lang::Fr => &Words {
            title: "Clés d'accès",
            intro: "Une clé d'accès vous connecte avec votre empreinte, votre visage ou le verrouillage de l'écran au lieu d'un mot de passe. Elle reste sur votre appareil ou dans votre gestionnaire de mots de passe ; nous n'en gardons que la clé publique.",
            recovery: "Vous avez perdu toutes vos clés d'accès ? Connectez-vous avec votre mot de passe, un lien de mot de passe oublié ou un code par e-mail, puis supprimez ici celles qui sont perdues.",
            yours: "Vos clés d'accès",
            none: "Vous n'avez pas encore de clé d'accès.",
            added: "Ajoutée le",
            last_used: "dernière utilisation",
            never: "jamais utilisée",
            remove: "Supprimer",
            add_title: "Ajouter une clé d'accès",
            name: "Nom de la clé d'accès",
            name_hint: "Pour les distinguer, par exemple « Mon téléphone ».",
            add: "Ajouter une clé d'accès",
            needs_script: "L'ajout d'une clé d'accès nécessite JavaScript et un navigateur qui prend en charge les clés d'accès.",
            failed: "La clé d'accès n'a pas été ajoutée. Réessayez, ou utilisez un autre appareil.",
            back: "Retour à mon profil",
        },
        Lang::De => &Words {
            title: "Passkeys",
            intro: "Mit einem Passkey melden Sie sich per Fingerabdruck, Gesicht oder Bildschirmsperre an statt mit einem Passwort. Er bleibt auf Ihrem Gerät oder in Ihrem Passwort-Manager; wir speichern nur seinen öffentlichen Schlüssel.",
            recovery: "Alle Passkeys verloren? Melden Sie sich mit Ihrem Passwort, einem Link für ein vergessenes Passwort oder einem Code per E-Mail an und entfernen Sie die verlorenen hier.",
            yours: "Ihre Passkeys",
            none: "Sie haben noch keinen Passkey.",
            added: "Hinzugefügt am",
            last_used: "zuletzt verwendet",
            never: "noch nie verwendet",
            remove: "Entfernen",
            add_title: "Passkey hinzufügen",
            name: "Name des Passkeys",
            name_hint: "Damit Sie sie unterscheiden können, z. B. „Mein Telefon“.",
            add: "Passkey hinzufügen",
            needs_script: "Zum Hinzufügen eines Passkeys sind JavaScript und ein Browser mit Passkey-Unterstützung nötig.",
            failed: "Der Passkey wurde nicht hinzugefügt. Versuchen Sie es erneut oder verwenden Sie ein anderes Gerät.",
            back: "Zurück zu meinem Profil",
        },
    }
}

/// Lets a page run `passkeys.js` (and nothing inline).
pub fn allow_script(response: &mut HttpResponse) {
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CSP));
}

/// `/profile/passkeys`: the fan's passkeys and the form to add one (`enabled`: the relying
/// party is configured).
pub fn manage(lang: Lang, csrf: &str, list: &[StoredPasskey], enabled: bool) -> String {
    let w = words(lang);
    let csrf = escape(csrf);
    let items: String = list
        .iter()
        .map(|p| {
            let used = match p.last_used_at {
                Some(at) => format!("{} {}", escape(w.last_used), at.format("%Y-%m-%d")),
                None => escape(w.never),
            };
            format!(
                "<li><div><strong>{name}</strong><span class=\"hint\">{added} {created} · {used}</span></div>\
                 <form method=\"post\" action=\"/profile/passkeys/remove\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <input type=\"hidden\" name=\"id\" value=\"{id}\"><button type=\"submit\" class=\"secondary\" \
                 aria-label=\"{remove} {name}\">{remove}</button></form></li>",
                name = escape(&p.name),
                added = escape(w.added),
                created = p.created_at.format("%Y-%m-%d"),
                id = p.id,
                remove = escape(w.remove),
            )
        })
        .collect();
    let list = if items.is_empty() {
        format!("<p>{}</p>", escape(w.none))
    } else {
        format!("<ul class=\"passkeys\">{items}</ul>")
    };
    let add = if enabled {
        format!(
            "<form id=\"passkey-add\" hidden data-failed=\"{failed}\"><h2>{add_title}</h2>\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label for=\"passkey-name\">{name}</label><input id=\"passkey-name\" name=\"name\" type=\"text\" \
             maxlength=\"{NAME_MAX}\" autocomplete=\"off\" required aria-describedby=\"passkey-name-hint\">\
             <span class=\"hint\" id=\"passkey-name-hint\">{hint}</span>\
             <p class=\"error\" role=\"alert\" id=\"passkey-problem\" hidden></p>\
             <button type=\"submit\">{add}</button></form>\
             <p class=\"hint\" id=\"passkey-needs-script\">{needs_script}</p>{script}",
            failed = escape(w.failed),
            add_title = escape(w.add_title),
            name = escape(w.name),
            hint = escape(w.name_hint),
            add = escape(w.add),
            needs_script = escape(w.needs_script),
            script = crate::pages::passkey::script(),
        )
    } else {
        String::new()
    };
    let body = format!(
        "<h1>{title}</h1><p>{intro}</p><h2>{yours}</h2>{list}{add}<p class=\"hint\">{recovery}</p>\
         <p class=\"links\"><a href=\"/profile\">{back}</a></p>",
        title = escape(w.title),
        intro = escape(w.intro),
        yours = escape(w.yours),
        recovery = escape(w.recovery),
        back = escape(w.back),
    );
    layout(lang, w.title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_is_labelled_and_script_driven_ones_start_hidden() {
        let passkey = StoredPasskey {
            id: uuid::Uuid::nil(),
            subject_id: uuid::Uuid::nil(),
            credential_id: vec![1],
            name: "<My phone>".into(),
            credential: serde_json::Value::Null,
            sign_count: 0,
            backup_eligible: true,
            backup_state: true,
            created_at: chrono::Utc::now(),
            last_used_at: None,
        };
        for lang in [Lang::En, Lang::Fr, Lang::De] {
            let page = manage(lang, "tok", std::slice::from_ref(&passkey), true);
            assert!(page.contains("&lt;My phone&gt;") && !page.contains("<My phone>"));
            assert!(page.contains("<label for=\"passkey-name\">") && page.contains("id=\"passkey-name\""));
            assert!(page.contains("<form id=\"passkey-add\" hidden"));
            assert!(page.contains("action=\"/profile/passkeys/remove\"") && page.contains(words(lang).never));
            assert!(page.contains("<script src=\"/passkeys.js") && !page.contains("<script>"));
            assert!(!manage(lang, "tok", &[], false).contains("passkey-add"));
        }
    }
}
