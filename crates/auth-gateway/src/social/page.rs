//! The social sign-in pages (the sign-in page's provider buttons are in `crate::pages`): the
//! page of a sign-in that did not complete (always with the way back to sign-in), the
//! "you already have an account" page, and the sign-up form of a first-time fan.

use super::words::{fill, words};
use crate::{
    pages::{Lang, escape, layout},
    signup_form::{
        form::{Problems, SignupForm},
        page as signup_page,
    },
};

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A sign-in through `name` that did not complete: `message` and the way back to sign-in.
pub fn problem(lang: Lang, name: &str, message: &str, return_to: &str) -> String {
    let w = words(lang);
    let title = fill(w.problem_title, name, "");
    let body = format!(
        "<h1>{}</h1><p role=\"alert\">{}</p><a class=\"button\" href=\"/login?return_to={}\">{}</a>",
        escape(&title),
        escape(&fill(message, name, "")),
        escape(&encode(return_to)),
        escape(w.back)
    );
    layout(lang, &title, &body)
}

/// A later stage with no live sign-in behind it (expired, spent, another browser).
pub fn expired(lang: Lang) -> String {
    let t = crate::pages::texts(lang);
    let body = format!(
        "<h1>{}</h1><p role=\"alert\">{}</p><a class=\"button\" href=\"/login\">{}</a>",
        escape(t.error),
        escape(words(lang).expired),
        escape(words(lang).back)
    );
    layout(lang, t.error, &body)
}

/// The address has an account: sign in to it (password or e-mail code) to link `name`.
pub fn link_required(lang: Lang, name: &str, email: &str, return_to: &str) -> String {
    let w = words(lang);
    let return_to = escape(&encode(return_to));
    let body = format!(
        "<h1>{}</h1><p>{}</p><a class=\"button\" href=\"/login?return_to={return_to}\">{}</a>\
         <p class=\"links\"><a href=\"/login/code?return_to={return_to}\">{}</a></p>",
        escape(w.link_title),
        escape(&fill(w.link_body, name, email)),
        escape(w.link_password),
        escape(w.link_code),
    );
    layout(lang, w.link_title, &body)
}

/// The sign-up form of a first-time fan coming from `name`: no password, the address as the
/// provider confirmed it, the names prefilled, the same consents as `/signup`.
pub fn signup(lang: Lang, name: &str, csrf: &str, form: &SignupForm, problems: &Problems) -> String {
    let w = words(lang);
    let s = signup_page::words(lang);
    let title = fill(w.signup_title, name, "");
    let problem_of = |field: &str| problems.iter().find(|(f, _)| *f == field).map(|(_, p)| *p);
    let error_of = |field: &str| {
        problem_of(field)
            .map(|p| {
                format!(
                    "<span class=\"field-error\" id=\"{field}-error\">{}</span>",
                    escape(signup_page::problem_text(lang, p))
                )
            })
            .unwrap_or_default()
    };
    let invalid = |field: &str| {
        if problem_of(field).is_some() {
            format!(" aria-describedby=\"{field}-error\" aria-invalid=\"true\"")
        } else {
            String::new()
        }
    };
    let text_field = |field: &str, label: &str, autocomplete: &str, value: &str| {
        format!(
            "<label for=\"{field}\">{}</label><input id=\"{field}\" name=\"{field}\" type=\"text\" \
             autocomplete=\"{autocomplete}\" required value=\"{}\"{}>{}",
            escape(label),
            escape(value),
            invalid(field),
            error_of(field)
        )
    };
    let languages = crate::signup_form::page::language_options(&form.language);
    let privacy_link = crate::signup_form::page::privacy_link(s.privacy_link);
    let checked = |on: bool| if on { " checked" } else { "" };
    let summary = if problems.is_empty() {
        String::new()
    } else {
        format!("<p class=\"error\" role=\"alert\">{}</p>", escape(s.fix_below))
    };
    let body = format!(
        "<h1>{title}</h1><p class=\"muted\">{intro}</p>{summary}\
         <form method=\"post\" action=\"/login/social/signup\" novalidate>\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{given}{family}\
         <label for=\"language\">{language}</label><select id=\"language\" name=\"language\">{languages}</select>\
         <label class=\"check\"><input type=\"checkbox\" name=\"privacy\" value=\"yes\" required{privacy_checked}{privacy_invalid}>\
         <span>{privacy_before}{privacy_link}{privacy_after}</span></label>{privacy_error}\
         <label class=\"check\"><input type=\"checkbox\" name=\"newsletter\" value=\"yes\"{newsletter_checked}><span>{newsletter}</span></label>\
         <button type=\"submit\">{submit}</button></form>",
        title = escape(&title),
        intro = escape(&fill(w.signup_intro, name, &form.email)),
        csrf = escape(csrf),
        given = text_field("given_name", s.given_name, "given-name", &form.given_name),
        family = text_field("family_name", s.family_name, "family-name", &form.family_name),
        language = escape(s.language),
        privacy_checked = checked(form.privacy),
        privacy_invalid = invalid("privacy"),
        privacy_before = escape(s.privacy_before),
        privacy_after = escape(s.privacy_after),
        privacy_error = error_of("privacy"),
        newsletter_checked = checked(form.newsletter),
        newsletter = escape(s.newsletter),
        submit = escape(s.submit),
    );
    layout(lang, &title, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_page_leads_back_to_sign_in_and_escapes_the_provider_name() {
        let html = problem(Lang::Fr, "<Evil>", words(Lang::Fr).unavailable, "/profile");
        assert!(html.contains("&lt;Evil&gt;") && !html.contains("<Evil>"));
        assert!(html.contains("href=\"/login?return_to=%2Fprofile\""));
    }
}
