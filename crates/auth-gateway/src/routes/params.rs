//! Form and query parameters as OAuth requires them: each at most once (RFC 6749 §3.1), empty
//! values treated as absent.

use std::collections::HashMap;

/// Parsed parameters, or the name of one that appears twice.
pub fn parse(encoded: &str) -> Result<HashMap<String, String>, String> {
    let mut params = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(encoded.as_bytes()) {
        if value.is_empty() {
            continue;
        }
        if params.insert(key.to_string(), value.into_owned()).is_some() {
            return Err(key.into_owned());
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_repeated_parameters_and_drops_empty_ones() {
        let params = parse("a=1&b=&c=x%20y").expect("valid");
        assert_eq!(params.get("a").map(String::as_str), Some("1"));
        assert_eq!(params.get("b"), None);
        assert_eq!(params.get("c").map(String::as_str), Some("x y"));
        assert_eq!(parse("state=1&state=2"), Err("state".into()));
    }
}
