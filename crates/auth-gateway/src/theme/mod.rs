//! The club's look: organisation name, logo, colours (CSS variables), footer links and extra
//! CSS, read from `GATEWAY_THEME_DIR` (`theme.toml`, optional `extra.css`) at start-up, else the
//! default theme built into the binary. Installed once per process; `pages::layout` and the
//! `/theme/*` routes read it.

mod load;
pub mod routes;

use std::sync::OnceLock;

pub use load::{ThemeError, load};

/// The default style sheet; a theme's colours override its variables.
const DEFAULT_CSS: &str = include_str!("default.css");
/// The default logo: a neutral crest.
const DEFAULT_LOGO: &[u8] = include_bytes!("default-logo.svg");

/// Colours a theme may set: `theme.toml` key → CSS variable of `default.css`.
pub const COLOURS: [(&str, &str); 8] = [
    ("primary", "--primary"),
    ("primary_text", "--primary-text"),
    ("background", "--background"),
    ("surface", "--surface"),
    ("text", "--text"),
    ("muted", "--muted"),
    ("error", "--error"),
    ("focus", "--focus"),
];

/// A loaded, validated theme.
#[derive(Debug, Clone)]
pub struct Theme {
    pub organisation: String,
    /// The logo's bytes and content type.
    pub logo: (Vec<u8>, &'static str),
    /// The full style sheet served at `/theme/style.css`.
    pub css: String,
    /// Footer links: (kind, URL); kind is `privacy`, `terms` or `imprint`.
    pub footer: Vec<(&'static str, String)>,
    /// A short hash of the style sheet and logo, appended to their URLs so a new theme is
    /// fetched at once despite the long caching.
    pub version: String,
}

impl Theme {
    /// The theme shipped in the binary.
    pub fn builtin() -> Self {
        Self::assemble(
            "Ticket office".into(),
            (DEFAULT_LOGO.to_vec(), "image/svg+xml"),
            "",
            Vec::new(),
            "",
        )
    }

    fn assemble(
        organisation: String,
        logo: (Vec<u8>, &'static str),
        variables: &str,
        footer: Vec<(&'static str, String)>,
        extra_css: &str,
    ) -> Self {
        use sha2::Digest;
        let mut css = DEFAULT_CSS.to_owned();
        if !variables.is_empty() {
            css.push_str(&format!(":root{{{variables}}}\n"));
        }
        css.push_str(extra_css);
        let mut hash = sha2::Sha256::new();
        hash.update(css.as_bytes());
        hash.update(&logo.0);
        let version = hash.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect();
        Self {
            organisation,
            logo,
            css,
            footer,
            version,
        }
    }
}

static THEME: OnceLock<Theme> = OnceLock::new();

/// Makes `theme` the process's theme (the first call wins: one gateway per process).
pub fn install(theme: Theme) {
    if THEME.set(theme).is_err() {
        tracing::debug!("A theme was already installed; keeping it");
    }
}

/// The installed theme, else the built-in one.
pub fn current() -> &'static Theme {
    THEME.get_or_init(Theme::builtin)
}
