//! Configuration shared by the services, read from the environment (or flags) through clap so
//! that `--help` documents every variable and a bad value fails at start-up naming it.

use std::time::Duration;

use secrecy::SecretString;

/// Where the services find PostgreSQL when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/secutix_bridge";
/// Where the services find RabbitMQ when `AMQP_URL` is not set.
pub const DEFAULT_AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// Logging and tracing options.
#[derive(Debug, Clone, clap::Args)]
pub struct TelemetryArgs {
    /// Log line format: `pretty` for terminals, `json` for log collectors. The level filter
    /// comes from RUST_LOG (default `info`).
    #[arg(long, env = "LOG_FORMAT", value_name = "LOG_FORMAT", default_value = "pretty")]
    pub log_format: LogFormat,

    /// OTLP/HTTP endpoint (for example `http://127.0.0.1:4318`) to export traces to. Unset:
    /// traces are not exported, trace context is still propagated.
    #[arg(
        long,
        env = "OTEL_EXPORTER_OTLP_ENDPOINT",
        value_name = "OTEL_EXPORTER_OTLP_ENDPOINT"
    )]
    pub otlp_endpoint: Option<url::Url>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// RabbitMQ options.
#[derive(Debug, Clone, clap::Args)]
pub struct AmqpArgs {
    /// RabbitMQ URL, `amqp://user:password@host:port/vhost` (`%2f` is the default vhost); for a
    /// cluster, every node's URL separated by commas: connections go to the first node that
    /// answers, and fail over to the others when it goes.
    #[arg(long, env = "AMQP_URL",
        hide_env_values = true, value_name = "AMQP_URL", default_value = DEFAULT_AMQP_URL,
          value_parser = parse_amqp_url, hide_default_value = false)]
    pub amqp_url: SecretString,

    /// Prefix for every exchange and queue name, to run several isolated stacks on one broker
    /// (tests use a random one). Empty in production.
    #[arg(long, env = "AMQP_NAME_PREFIX", value_name = "AMQP_NAME_PREFIX", default_value = "")]
    pub amqp_name_prefix: String,
}

/// PostgreSQL options.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// PostgreSQL URL, `postgres://user:password@host:port/database`; for a primary and its
    /// standbys, every host separated by commas with `?target_session_attrs=read-write`, so
    /// connections go to whichever accepts writes (after a switchover, the promoted one).
    #[arg(long, env = "DATABASE_URL",
        hide_env_values = true, value_name = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL,
          value_parser = parse_database_url)]
    pub database_url: SecretString,

    /// Largest number of pooled database connections.
    #[arg(long, env = "DATABASE_POOL_SIZE", value_name = "DATABASE_POOL_SIZE", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=512))]
    pub database_pool_size: u16,

    /// How long a query may wait for a pooled connection, in seconds.
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT", value_name = "DATABASE_ACQUIRE_TIMEOUT",
          default_value = "5", value_parser = parse_seconds)]
    pub database_acquire_timeout: Duration,
}

/// Accepts a URL whose scheme is one of `schemes`; the error never echoes the value, which
/// may hold a password.
fn parse_url_with_scheme(value: &str, schemes: &[&str]) -> Result<SecretString, String> {
    let url = url::Url::parse(value).map_err(|e| format!("not a valid URL ({e})"))?;
    if !schemes.contains(&url.scheme()) {
        return Err(format!("the scheme must be one of {}", schemes.join(", ")));
    }
    Ok(SecretString::from(value.to_owned()))
}

/// One broker URL, or the nodes of a cluster separated by commas, each checked.
fn parse_amqp_url(value: &str) -> Result<SecretString, String> {
    for (index, node) in value.split(',').map(str::trim).enumerate() {
        parse_url_with_scheme(node, &["amqp", "amqps"]).map_err(|e| format!("broker {}: {e}", index + 1))?;
    }
    Ok(SecretString::from(value.to_owned()))
}

/// A PostgreSQL URL, possibly naming several hosts as libpq does
/// (`postgres://u@a:5432,b:5432/db?target_session_attrs=read-write`): each host is checked in
/// a URL of its own.
fn parse_database_url(value: &str) -> Result<SecretString, String> {
    let schemes = ["postgres", "postgresql"];
    let Some((scheme, rest)) = value.split_once("://") else {
        return parse_url_with_scheme(value, &schemes);
    };
    let (user, rest) = rest.rsplit_once('@').map_or(("", rest), |(u, r)| (u, r));
    let (hosts, path) = rest.find(['/', '?']).map_or((rest, ""), |at| rest.split_at(at));
    for (index, host) in hosts.split(',').enumerate() {
        let single = format!("{scheme}://{user}@{host}{path}");
        parse_url_with_scheme(&single, &schemes).map_err(|e| format!("host {}: {e}", index + 1))?;
    }
    Ok(SecretString::from(value.to_owned()))
}

/// Parses a whole or fractional number of seconds (`5`, `0.25`).
pub fn parse_seconds(value: &str) -> Result<Duration, String> {
    let seconds: f64 = value.parse().map_err(|_| "must be a number of seconds".to_owned())?;
    if !seconds.is_finite() || seconds < 0.0 {
        return Err("must be a non-negative number of seconds".into());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Parses flags and environment like `T::parse()`, exiting with clap's message on error (and
/// printing `--help` or `--version` when asked), but never echoing a rejected value.
pub fn parse_args<T: clap::Parser>() -> T {
    parse_from(std::env::args_os()).unwrap_or_else(|error| error.exit())
}

/// [`parse_args`] over given arguments. A rejected value may be a URL with a password or a
/// secret, so it is replaced by `<hidden>` in the message; the variable and the reason stay.
pub fn parse_from<T, I, A>(args: I) -> Result<T, clap::Error>
where
    T: clap::Parser,
    I: IntoIterator<Item = A>,
    A: Into<std::ffi::OsString> + Clone,
{
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    T::try_parse_from(args).map_err(|mut error| {
        if matches!(error.kind(), ErrorKind::ValueValidation | ErrorKind::InvalidValue) {
            error.insert(ContextKind::InvalidValue, ContextValue::String("<hidden>".into()));
        }
        error
    })
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn urls_are_checked_without_echoing_them() {
        let error = parse_database_url("mysql://root:hunter2@db/x").expect_err("wrong scheme");
        assert!(!error.contains("hunter2"), "{error}");
        assert!(parse_database_url("postgres://u:p@localhost/db").is_ok());
        assert!(
            parse_database_url("postgres://u@10.0.0.1:5441,10.0.0.2:5442/db?target_session_attrs=read-write").is_ok()
        );
        assert!(parse_database_url("postgresql://a,b/db").is_ok());
        let second = parse_database_url("postgres://u:p@a:5432,b:port/db").expect_err("a bad port");
        assert!(second.starts_with("host 2:"), "{second}");
        assert!(!second.contains("u:p"), "never the password: {second}");
        assert!(parse_amqp_url("not a url").is_err());
        assert!(parse_amqp_url("amqp://a:5701/%2f,amqp://b:5702/%2f").is_ok());
        let second = parse_amqp_url("amqp://a:5701/%2f,http://b").expect_err("the second node is wrong");
        assert!(second.starts_with("broker 2:"), "{second}");
        assert_eq!(
            parse_amqp_url("amqps://u:p@broker/%2f").expect("valid").expose_secret(),
            "amqps://u:p@broker/%2f"
        );
    }

    #[test]
    fn seconds_accept_fractions_only_when_non_negative() {
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("NaN").is_err());
        assert!(parse_seconds("ten").is_err());
    }
}
