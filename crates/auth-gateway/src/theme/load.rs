//! Reading and validating a theme directory; every error names the file and field at fault.

use std::path::{Path, PathBuf};

use super::{COLOURS, Theme};

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme: cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("theme: {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("theme: {path}: field `{field}` {problem}")]
    Field {
        path: PathBuf,
        field: String,
        problem: String,
    },
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    organisation: String,
    logo: Option<String>,
    #[serde(default)]
    colours: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    footer: Footer,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Footer {
    privacy_policy: Option<String>,
    terms: Option<String>,
    imprint: Option<String>,
}

/// Loads `dir/theme.toml` (and `dir/extra.css` when present).
pub fn load(dir: &Path) -> Result<Theme, ThemeError> {
    let path = dir.join("theme.toml");
    let text = read(&path)?;
    let file: File = toml::from_str(&text).map_err(|e| ThemeError::Syntax {
        path: path.clone(),
        message: e.message().to_owned(),
    })?;
    let field = |field: &str, problem: &str| ThemeError::Field {
        path: path.clone(),
        field: field.to_owned(),
        problem: problem.to_owned(),
    };
    let organisation = file.organisation.trim().to_owned();
    if organisation.is_empty() || organisation.chars().count() > 80 || organisation.chars().any(char::is_control) {
        return Err(field("organisation", "must be 1 to 80 printable characters"));
    }
    let logo = match &file.logo {
        None => super::Theme::builtin().logo,
        Some(name) => {
            let kind = match Path::new(name).extension().and_then(|e| e.to_str()) {
                Some("svg") => "image/svg+xml",
                Some("png") => "image/png",
                Some("jpg" | "jpeg") => "image/jpeg",
                Some("webp") => "image/webp",
                _ => return Err(field("logo", "must name a .svg, .png, .jpg or .webp file")),
            };
            if name.contains('/') || name.contains('\\') || name.starts_with('.') {
                return Err(field("logo", "must be a file name inside the theme directory"));
            }
            let bytes = std::fs::read(dir.join(name))
                .map_err(|e| field("logo", &format!("names {name}, which cannot be read: {e}")))?;
            (bytes, kind)
        }
    };
    let mut variables = String::new();
    for (key, value) in &file.colours {
        let Some((_, variable)) = COLOURS.iter().find(|(k, _)| k == key) else {
            let known: Vec<_> = COLOURS.iter().map(|(k, _)| *k).collect();
            return Err(field(
                &format!("colours.{key}"),
                &format!("is not one of {}", known.join(", ")),
            ));
        };
        if !is_colour(value) {
            return Err(field(
                &format!("colours.{key}"),
                "must be a CSS colour: #rgb, #rrggbb, rgb(...) or hsl(...)",
            ));
        }
        variables.push_str(&format!("{variable}:{value};"));
    }
    let mut footer = Vec::new();
    for (kind, name, url) in [
        ("privacy", "footer.privacy_policy", &file.footer.privacy_policy),
        ("terms", "footer.terms", &file.footer.terms),
        ("imprint", "footer.imprint", &file.footer.imprint),
    ] {
        if let Some(url) = url {
            let parsed = url::Url::parse(url).map_err(|_| field(name, "must be an absolute URL"))?;
            if !matches!(parsed.scheme(), "https" | "http") {
                return Err(field(name, "must be an http(s) URL"));
            }
            footer.push((kind, url.clone()));
        }
    }
    let extra_path = dir.join("extra.css");
    let extra = if extra_path.exists() {
        read(&extra_path)?
    } else {
        String::new()
    };
    Ok(Theme::assemble(organisation, logo, &variables, footer, &extra))
}

fn read(path: &Path) -> Result<String, ThemeError> {
    std::fs::read_to_string(path).map_err(|source| ThemeError::Read {
        path: path.to_owned(),
        source,
    })
}

/// A colour that cannot break out of its declaration.
fn is_colour(value: &str) -> bool {
    let hex = value
        .strip_prefix('#')
        .is_some_and(|h| matches!(h.len(), 3 | 4 | 6 | 8) && h.chars().all(|c| c.is_ascii_hexdigit()));
    let function = ["rgb(", "rgba(", "hsl(", "hsla("].iter().any(|f| value.starts_with(f))
        && value.ends_with(')')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " (),.%/".contains(c));
    hex || function
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh theme directory under the system's temporary directory.
    struct Dir(PathBuf);

    impl Dir {
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn dir_with(toml: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("theme-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("theme.toml"), toml).unwrap();
        Dir(dir)
    }

    fn problem(toml: &str) -> String {
        load(dir_with(toml).path()).unwrap_err().to_string()
    }

    #[test]
    fn a_full_theme_loads_with_its_colours_footer_logo_and_extra_css() {
        let dir = dir_with(
            "organisation = \"FC Example\"\nlogo = \"crest.png\"\n[colours]\nprimary = \"#0b5d3b\"\n\
             [footer]\nprivacy_policy = \"https://fc.example/privacy\"\nimprint = \"https://fc.example/imprint\"\n",
        );
        std::fs::write(dir.path().join("crest.png"), b"\x89PNG").unwrap();
        std::fs::write(dir.path().join("extra.css"), "h1{letter-spacing:.02em}").unwrap();
        let theme = load(dir.path()).unwrap();
        assert_eq!(theme.organisation, "FC Example");
        assert_eq!(theme.logo, (b"\x89PNG".to_vec(), "image/png"));
        assert!(theme.css.contains("--primary:#0b5d3b;") && theme.css.ends_with("h1{letter-spacing:.02em}"));
        assert_eq!(theme.footer.len(), 2);
        assert_ne!(theme.version, Theme::builtin().version);
    }

    #[test]
    fn each_bad_field_is_named() {
        assert!(problem("organisation = \"\"").contains("`organisation`"));
        assert!(problem("organisation = \"FC\"\n[colours]\nprimary = \"red;}body{x:y\"").contains("`colours.primary`"));
        assert!(problem("organisation = \"FC\"\n[colours]\npink = \"#fff\"").contains("`colours.pink`"));
        assert!(problem("organisation = \"FC\"\nlogo = \"crest.gif\"").contains("`logo`"));
        assert!(problem("organisation = \"FC\"\nlogo = \"missing.svg\"").contains("`logo`"));
        assert!(problem("organisation = \"FC\"\nlogo = \"../x.svg\"").contains("`logo`"));
        assert!(problem("organisation = \"FC\"\n[footer]\nterms = \"javascript:alert(1)\"").contains("`footer.terms`"));
        assert!(problem("organisation = \"FC\"\n[footer]\nimprint = \"/imprint\"").contains("`footer.imprint`"));
        let unknown = problem("organisation = \"FC\"\ncolour = 1");
        assert!(unknown.contains("colour"), "{unknown}");
        let missing = problem("logo = \"x.svg\"");
        assert!(missing.contains("organisation"), "{missing}");
    }

    #[test]
    fn a_missing_directory_names_the_file() {
        let error = load(Path::new("/nonexistent-theme")).unwrap_err().to_string();
        assert!(error.contains("/nonexistent-theme/theme.toml"), "{error}");
    }
}
