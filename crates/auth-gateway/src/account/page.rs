//! The "my account" pages: the sessions with "sign out everywhere", "download my data" and
//! "delete my account" with what deletion erases and what it does not. No JavaScript; every
//! value is HTML-escaped.

use chrono::{DateTime, Utc};

use crate::pages::{Lang, escape, layout};

pub struct Texts {
    pub title: &'static str,
    pub sessions: &'static str,
    pub created: &'static str,
    pub last_seen: &'static str,
    pub this_browser: &'static str,
    pub sign_out_everywhere: &'static str,
    pub signed_out_everywhere: &'static str,
    pub data: &'static str,
    pub data_intro: &'static str,
    pub download: &'static str,
    pub delete: &'static str,
    pub delete_intro: &'static str,
    pub delete_erases: &'static str,
    pub delete_keeps: &'static str,
    pub password: &'static str,
    pub confirm: &'static str,
    pub delete_button: &'static str,
    pub wrong_password: &'static str,
    pub not_confirmed: &'static str,
    pub deleted_title: &'static str,
    pub deleted: &'static str,
    pub profile: &'static str,
    pub email: &'static str,
    pub email_intro: &'static str,
    pub email_change: &'static str,
}

const EN: Texts = Texts {
    title: "My account",
    sessions: "Where you are signed in",
    created: "Signed in",
    last_seen: "Last active",
    this_browser: "this browser",
    sign_out_everywhere: "Sign out everywhere",
    signed_out_everywhere: "You are signed out on every device, and the ticket shop and the club's apps have been told.",
    data: "Your data",
    data_intro: "Download everything we hold about you, as a JSON file.",
    download: "Download my data",
    delete: "Delete my account",
    delete_intro: "Deleting your account signs you out everywhere and cannot be undone.",
    delete_erases: "Erased at once: your account, its login e-mail address and password, every session and every token.",
    delete_keeps: "Kept: your customer record at the ticket office (S-360), your tickets and orders. Your request to erase them too is recorded for the club's data protection team.",
    password: "Your password",
    confirm: "I understand that my account is deleted for good.",
    delete_button: "Delete my account",
    wrong_password: "The password is not right.",
    not_confirmed: "Please tick the box to confirm.",
    deleted_title: "Your account is deleted",
    deleted: "Your account is deleted and you are signed out everywhere. Your request to erase the rest of your data is recorded for the club's data protection team.",
    profile: "My profile",
    email: "Sign-in e-mail address",
    email_intro: "You sign in with your e-mail address; the ticket office writes to it.",
    email_change: "Change my e-mail address",
};

const FR: Texts = Texts {
    title: "Mon compte",
    sessions: "Où vous êtes connecté",
    created: "Connexion",
    last_seen: "Dernière activité",
    this_browser: "ce navigateur",
    sign_out_everywhere: "Me déconnecter partout",
    signed_out_everywhere: "Vous êtes déconnecté sur tous vos appareils ; la billetterie et les applications du club en ont été informées.",
    data: "Vos données",
    data_intro: "Téléchargez tout ce que nous conservons à votre sujet, dans un fichier JSON.",
    download: "Télécharger mes données",
    delete: "Supprimer mon compte",
    delete_intro: "La suppression de votre compte vous déconnecte partout et ne peut pas être annulée.",
    delete_erases: "Effacés immédiatement : votre compte, son adresse e-mail de connexion et son mot de passe, toutes les sessions et tous les jetons.",
    delete_keeps: "Conservés : votre fiche client à la billetterie (S-360), vos billets et commandes. Votre demande de les effacer aussi est enregistrée pour l'équipe de protection des données du club.",
    password: "Votre mot de passe",
    confirm: "Je comprends que mon compte est supprimé définitivement.",
    delete_button: "Supprimer mon compte",
    wrong_password: "Le mot de passe n'est pas correct.",
    not_confirmed: "Veuillez cocher la case pour confirmer.",
    deleted_title: "Votre compte est supprimé",
    deleted: "Votre compte est supprimé et vous êtes déconnecté partout. Votre demande d'effacer le reste de vos données est enregistrée pour l'équipe de protection des données du club.",
    profile: "Mon profil",
    email: "Adresse e-mail de connexion",
    email_intro: "Vous vous connectez avec votre adresse e-mail ; la billetterie vous y écrit.",
    email_change: "Changer mon adresse e-mail",
};

const DE: Texts = Texts {
    title: "Mein Konto",
    sessions: "Wo Sie angemeldet sind",
    created: "Angemeldet",
    last_seen: "Zuletzt aktiv",
    this_browser: "dieser Browser",
    sign_out_everywhere: "Überall abmelden",
    signed_out_everywhere: "Sie sind auf allen Geräten abgemeldet; der Ticketshop und die Apps des Clubs wurden informiert.",
    data: "Ihre Daten",
    data_intro: "Laden Sie alles herunter, was wir über Sie speichern, als JSON-Datei.",
    download: "Meine Daten herunterladen",
    delete: "Mein Konto löschen",
    delete_intro: "Das Löschen Ihres Kontos meldet Sie überall ab und kann nicht rückgängig gemacht werden.",
    delete_erases: "Sofort gelöscht: Ihr Konto, seine Anmelde-E-Mail-Adresse und sein Passwort, alle Sitzungen und alle Tokens.",
    delete_keeps: "Erhalten bleiben: Ihr Kundendatensatz beim Ticketing (S-360), Ihre Tickets und Bestellungen. Ihr Antrag, auch diese zu löschen, wird für das Datenschutzteam des Clubs erfasst.",
    password: "Ihr Passwort",
    confirm: "Ich verstehe, dass mein Konto endgültig gelöscht wird.",
    delete_button: "Mein Konto löschen",
    wrong_password: "Das Passwort ist nicht richtig.",
    not_confirmed: "Bitte bestätigen Sie mit dem Häkchen.",
    deleted_title: "Ihr Konto ist gelöscht",
    deleted: "Ihr Konto ist gelöscht und Sie sind überall abgemeldet. Ihr Antrag, Ihre übrigen Daten zu löschen, ist für das Datenschutzteam des Clubs erfasst.",
    profile: "Mein Profil",
    email: "Anmelde-E-Mail-Adresse",
    email_intro: "Sie melden sich mit Ihrer E-Mail-Adresse an; der Ticketshop schreibt Ihnen dorthin.",
    email_change: "E-Mail-Adresse ändern",
};

pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::De => &DE,
    }
}

/// One session as listed.
pub struct Row {
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub current: bool,
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The account page; `social` is the linked sign-in services' section (`crate::social`),
/// `problem` the deletion form's error, shown beside it.
pub fn render(lang: Lang, csrf: &str, sessions: &[Row], social: &str, problem: Option<&str>) -> String {
    let t = texts(lang);
    let rows: String = sessions
        .iter()
        .map(|s| {
            let marker = if s.current {
                format!(" <strong>({})</strong>", escape(t.this_browser))
            } else {
                String::new()
            };
            format!(
                "<tr><td>{}{marker}</td><td>{}</td></tr>",
                escape(&when(s.created_at)),
                escape(&when(s.last_seen_at))
            )
        })
        .collect();
    let problem_html = problem
        .map(|p| {
            format!(
                "<p class=\"error\" id=\"delete-error\" role=\"alert\">{}</p>",
                escape(p)
            )
        })
        .unwrap_or_default();
    let described = if problem.is_some() {
        " aria-describedby=\"delete-error\""
    } else {
        ""
    };
    let csrf = escape(csrf);
    let body = format!(
        "<h1>{title}</h1><p><a href=\"/profile\">{profile}</a></p>\
         <section aria-labelledby=\"sessions\"><h2 id=\"sessions\">{sessions}</h2>\
         <table><thead><tr><th scope=\"col\">{created}</th><th scope=\"col\">{last_seen}</th></tr></thead><tbody>{rows}</tbody></table>\
         <form method=\"post\" action=\"/account/sessions/end\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\">{everywhere}</button></form></section>{social}\
         <section aria-labelledby=\"email\"><h2 id=\"email\">{email}</h2><p>{email_intro}</p>\
         <p><a href=\"/account/email\">{email_change}</a></p></section>\
         <section aria-labelledby=\"data\"><h2 id=\"data\">{data}</h2><p>{data_intro}</p>\
         <p><a href=\"/account/export\" download>{download}</a></p></section>\
         <section aria-labelledby=\"delete\"><h2 id=\"delete\">{delete}</h2><p>{delete_intro}</p><p>{erases}</p><p>{keeps}</p>{problem_html}\
         <form method=\"post\" action=\"/account/delete\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"password\">{password}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required{described}>\
         <p><input id=\"confirm\" name=\"confirm\" type=\"checkbox\" value=\"yes\" required> <label for=\"confirm\">{confirm}</label></p>\
         <button type=\"submit\">{delete_button}</button></form></section>",
        title = escape(t.title),
        profile = escape(t.profile),
        sessions = escape(t.sessions),
        created = escape(t.created),
        last_seen = escape(t.last_seen),
        everywhere = escape(t.sign_out_everywhere),
        email = escape(t.email),
        email_intro = escape(t.email_intro),
        email_change = escape(t.email_change),
        data = escape(t.data),
        data_intro = escape(t.data_intro),
        download = escape(t.download),
        delete = escape(t.delete),
        delete_intro = escape(t.delete_intro),
        erases = escape(t.delete_erases),
        keeps = escape(t.delete_keeps),
        password = escape(t.password),
        confirm = escape(t.confirm),
        delete_button = escape(t.delete_button),
    );
    layout(lang, t.title, &body)
}
