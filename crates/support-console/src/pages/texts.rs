//! The console's texts in English, French and German, and the language of a request.

use store::console::Role;

/// A supported page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
    De,
}

impl Lang {
    /// The first supported tag of `Accept-Language`, else English.
    pub fn of_request(req: &actix_web::HttpRequest) -> Self {
        let header = req.headers().get(actix_web::http::header::ACCEPT_LANGUAGE);
        let preferences = header.and_then(|v| v.to_str().ok()).unwrap_or("");
        for tag in preferences.split([',', ' ']) {
            let primary = tag
                .split([';', '-', '_'])
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            match primary.as_str() {
                "fr" => return Self::Fr,
                "de" => return Self::De,
                "en" => return Self::En,
                _ => {}
            }
        }
        Self::En
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fr => "fr",
            Self::De => "de",
        }
    }
}

/// Every text of the console's pages.
pub struct Texts {
    pub console: &'static str,
    pub nav_label: &'static str,
    pub search: &'static str,
    pub sync: &'static str,
    pub audit: &'static str,
    pub sign_out: &'static str,
    pub back: &'static str,
    pub unavailable_title: &'static str,
    pub unavailable: &'static str,
    pub viewer: &'static str,
    pub support: &'static str,
    pub admin: &'static str,
    pub search_label: &'static str,
    pub search_hint: &'static str,
    pub search_button: &'static str,
    pub too_short: &'static str,
    pub no_results: &'static str,
    pub results: &'static str,
    pub col_contact: &'static str,
    pub col_subject: &'static str,
    pub col_name: &'static str,
    pub col_email: &'static str,
    pub col_state: &'static str,
    pub next_page: &'static str,
    pub previous_page: &'static str,
    pub fan_title: &'static str,
    pub contact_section: &'static str,
    pub no_contact: &'static str,
    pub account_section: &'static str,
    pub no_account: &'static str,
    pub version: &'static str,
    pub source: &'static str,
    pub merged_into: &'static str,
    pub phone: &'static str,
    pub language: &'static str,
    pub verified: &'static str,
    pub password_set: &'static str,
    pub origin: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub lock: &'static str,
    pub locked_until: &'static str,
    pub not_locked: &'static str,
    pub sessions_section: &'static str,
    pub created: &'static str,
    pub last_seen: &'static str,
    pub families_section: &'static str,
    pub client: &'static str,
    pub live: &'static str,
    pub sign_ins_section: &'static str,
    pub when: &'static str,
    pub outcome: &'static str,
    pub mails_section: &'static str,
    pub template: &'static str,
    pub sent: &'static str,
    pub pending: &'static str,
    pub tasks_section: &'static str,
    pub kind: &'static str,
    pub attempts: &'static str,
    pub last_error: &'static str,
    pub timeline_section: &'static str,
    pub action: &'static str,
    pub nothing: &'static str,
    pub actions_section: &'static str,
    pub actions_hint: &'static str,
    pub lift_lock: &'static str,
    pub revoke_sessions: &'static str,
    pub resend_mail: &'static str,
    pub done_resend: &'static str,
    pub resend_limited: &'static str,
    pub not_found_title: &'static str,
    pub not_found: &'static str,
    pub done_unlock: &'static str,
    pub done_revoke: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden: &'static str,
    pub csrf_refused: &'static str,
    pub fresh_title: &'static str,
    pub fresh: &'static str,
    pub sign_in_again: &'static str,
    pub audit_intro: &'static str,
    pub who: &'static str,
    pub target: &'static str,
    pub export: &'static str,
    pub sign_in_title: &'static str,
    pub sign_in_intro: &'static str,
    pub sign_in_button: &'static str,
    pub sign_in_failed: &'static str,
    pub queues_title: &'static str,
    pub queue: &'static str,
    pub messages: &'static str,
    pub consumers: &'static str,
    pub absent: &'static str,
    pub broker_down: &'static str,
    pub budget_title: &'static str,
    pub budget: &'static str,
    pub reserved: &'static str,
}

impl Texts {
    pub fn role(&self, role: Role) -> &'static str {
        match role {
            Role::Viewer => self.viewer,
            Role::Support => self.support,
            Role::Admin => self.admin,
        }
    }
}
