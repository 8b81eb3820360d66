//! Tests of `auth-gateway client …`: parsing, every command against a registry file, and the
//! refusals that leave the file as it was.
use std::path::PathBuf;

use clap::{CommandFactory, Parser};

use super::*;

/// `auth-gateway client …` as the command line parses it.
#[derive(Debug, clap::Parser)]
struct Cli {
    #[command(subcommand)]
    command: ClientCommand,
}

fn parse(args: &[&str]) -> ClientCommand {
    Cli::try_parse_from(std::iter::once("client").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
        .command
}

fn temporary_file() -> PathBuf {
    std::env::temp_dir().join(format!("clients-{}.toml", uuid::Uuid::new_v4().simple()))
}

fn secret_from(output: &str) -> String {
    output
        .lines()
        .find_map(|l| l.split("client_secret: ").nth(1))
        .expect("a printed secret")
        .to_owned()
}

#[test]
fn add_and_rotate_round_trip_through_the_file() {
    let file = temporary_file();
    let add = |id: &str, public: bool| ClientCommand::Add {
        file: file.clone(),
        id: id.into(),
        name: "Shop".into(),
        redirect_uris: vec!["https://shop.example.org/cb".into()],
        post_logout_redirect_uris: vec![],
        require_par: false,
        public,
        settings: AddSettings::default(),
    };
    let first = secret_from(&run(add("shop", false)).expect("added"));
    assert!(first.len() >= 43, "256 bits");
    assert!(run(add("shop", false)).is_err(), "ids are unique");
    run(add("web", true)).expect("public client added");
    let stored = std::fs::read_to_string(&file).expect("file");
    assert!(!stored.contains(&first), "only the digest is stored");

    let rotate = |keep_previous| ClientCommand::RotateSecret {
        file: file.clone(),
        id: "shop".into(),
        keep_previous,
    };
    let second = secret_from(&run(rotate(true)).expect("rotated"));
    let registry = ClientRegistry::load(&file).expect("valid registry");
    let shop = registry.get("shop").expect("shop");
    assert!(
        shop.authenticate(&second) && shop.authenticate(&first),
        "overlap while switching"
    );
    let third = secret_from(&run(rotate(false)).expect("rotated"));
    let shop = ClientRegistry::load(&file)
        .expect("valid")
        .get("shop")
        .cloned()
        .expect("shop");
    assert!(shop.authenticate(&third));
    assert!(
        !shop.authenticate(&second) && !shop.authenticate(&first),
        "old secrets retired"
    );
    assert!(
        run(ClientCommand::RotateSecret {
            file: file.clone(),
            id: "web".into(),
            keep_previous: false
        })
        .is_err()
    );
    let listing = run(ClientCommand::List { file: file.clone() }).expect("list");
    assert!(listing.contains("shop") && listing.contains("web") && !listing.contains("sha256"));
    let _ = std::fs::remove_file(&file);
}

#[test]
fn add_takes_every_setting_and_list_shows_them() {
    let file = temporary_file();
    let path = file.to_string_lossy().into_owned();
    let output = run(parse(&[
        "add",
        "--file",
        &path,
        "--id",
        "fan-app",
        "--name",
        "Fan app",
        "--public",
        "--redirect-uri",
        "com.club.app:/callback",
        "--redirect-uri",
        "http://127.0.0.1/cb",
        "--post-logout-redirect-uri",
        "com.club.app:/signed-out",
        "--require-par",
        "--backchannel-logout-uri",
        "https://app.example.org/backchannel",
        "--backchannel-logout-session-required",
        "--frontchannel-logout-uri",
        "https://app.example.org/frontchannel",
        "--frontchannel-logout-session-required",
        "--refresh-token-days",
        "90",
        "--refresh-reuse-grace-seconds",
        "10",
    ]))
    .expect("added");
    assert!(output.contains("public"), "{output}");
    let client = ClientRegistry::load(&file)
        .expect("valid")
        .get("fan-app")
        .cloned()
        .expect("stored");
    assert_eq!(client.kind, ClientKind::Public);
    assert_eq!(client.redirect_uris, ["com.club.app:/callback", "http://127.0.0.1/cb"]);
    assert_eq!(client.post_logout_redirect_uris, ["com.club.app:/signed-out"]);
    assert!(client.require_pushed_authorization_requests);
    assert_eq!(
        client.backchannel_logout_uri.as_deref(),
        Some("https://app.example.org/backchannel")
    );
    assert!(client.backchannel_logout_session_required);
    assert_eq!(
        client.frontchannel_logout_uri.as_deref(),
        Some("https://app.example.org/frontchannel")
    );
    assert!(client.frontchannel_logout_session_required);
    assert_eq!(
        (client.refresh_token_days, client.refresh_reuse_grace_seconds),
        (Some(90), Some(10))
    );

    let listing = run(parse(&["list", "--file", &path])).expect("list");
    for line in [
        "fan-app\tPublic\tFan app\tcom.club.app:/callback http://127.0.0.1/cb",
        "  post_logout_redirect_uris: com.club.app:/signed-out",
        "  require_pushed_authorization_requests: true",
        "  backchannel_logout_uri: https://app.example.org/backchannel",
        "  backchannel_logout_session_required: true",
        "  frontchannel_logout_uri: https://app.example.org/frontchannel",
        "  frontchannel_logout_session_required: true",
        "  refresh_token_days: 90",
        "  refresh_reuse_grace_seconds: 10",
    ] {
        assert!(listing.lines().any(|l| l == line), "{line:?} in\n{listing}");
    }
    let _ = std::fs::remove_file(&file);
}

#[test]
fn update_changes_only_what_it_is_given() {
    let file = temporary_file();
    let path = file.to_string_lossy().into_owned();
    run(parse(&[
        "add",
        "--file",
        &path,
        "--id",
        "fan-app",
        "--name",
        "Fan app",
        "--public",
        "--redirect-uri",
        "com.club.app:/callback",
        "--redirect-uri",
        "http://127.0.0.1/cb",
        "--backchannel-logout-uri",
        "https://app.example.org/backchannel",
        "--refresh-token-days",
        "90",
    ]))
    .expect("added");
    let output = run(parse(&[
        "update",
        "--file",
        &path,
        "--id",
        "fan-app",
        "--remove-redirect-uri",
        "http://127.0.0.1/cb",
        "--add-redirect-uri",
        "http://[::1]/cb",
        "--require-par",
        "true",
        "--backchannel-logout-uri",
        "none",
        "--frontchannel-logout-uri",
        "https://app.example.org/frontchannel",
        "--frontchannel-logout-session-required",
        "true",
        "--refresh-token-days",
        "default",
        "--refresh-reuse-grace-seconds",
        "0",
    ]))
    .expect("updated");
    for change in [
        "redirect_uris: com.club.app:/callback http://127.0.0.1/cb → com.club.app:/callback http://[::1]/cb",
        "backchannel_logout_uri: https://app.example.org/backchannel → (none)",
        "refresh_token_days: 90 → 30 (default)",
        "refresh_reuse_grace_seconds: 5 (default) → 0",
    ] {
        assert!(output.contains(change), "{change:?} in\n{output}");
    }
    assert!(!output.contains("name:"), "unchanged fields are not reported: {output}");
    let client = ClientRegistry::load(&file)
        .expect("valid")
        .get("fan-app")
        .cloned()
        .expect("stored");
    assert_eq!(client.name, "Fan app");
    assert_eq!(client.redirect_uris, ["com.club.app:/callback", "http://[::1]/cb"]);
    assert!(client.require_pushed_authorization_requests);
    assert_eq!(client.backchannel_logout_uri, None);
    assert_eq!(
        client.frontchannel_logout_uri.as_deref(),
        Some("https://app.example.org/frontchannel")
    );
    assert!(client.frontchannel_logout_session_required);
    assert_eq!(
        (client.refresh_token_days, client.refresh_reuse_grace_seconds),
        (None, Some(0))
    );

    run(parse(&[
        "update",
        "--file",
        &path,
        "--id",
        "fan-app",
        "--name",
        "Club app",
        "--redirect-uri",
        "com.club.app:/oauth",
        "--require-par",
        "false",
    ]))
    .expect("updated");
    let client = ClientRegistry::load(&file)
        .expect("valid")
        .get("fan-app")
        .cloned()
        .expect("stored");
    assert_eq!(client.name, "Club app");
    assert_eq!(client.redirect_uris, ["com.club.app:/oauth"], "replaced");
    assert!(!client.require_pushed_authorization_requests);
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_refused_change_names_the_client_and_the_field_and_leaves_the_file_alone() {
    let file = temporary_file();
    let path = file.to_string_lossy().into_owned();
    run(parse(&[
        "add",
        "--file",
        &path,
        "--id",
        "fan-app",
        "--name",
        "Fan app",
        "--public",
        "--redirect-uri",
        "com.club.app:/callback",
    ]))
    .expect("added");
    let before = std::fs::read(&file).expect("file");
    let update = |extra: &[&str]| {
        let mut args = vec!["update", "--file", &path, "--id", "fan-app"];
        args.extend_from_slice(extra);
        run(parse(&args)).expect_err("refused").to_string()
    };
    for (extra, expected) in [
        (
            &["--refresh-token-days", "400"][..],
            "client fan-app: refresh_token_days must be between 1 and 365",
        ),
        (
            &["--refresh-reuse-grace-seconds", "61"],
            "client fan-app: refresh_reuse_grace_seconds must be at most 60",
        ),
        (
            &["--redirect-uri", "myapp:/callback"],
            "client fan-app: redirect_uris myapp:/callback:",
        ),
        (
            &["--add-post-logout-redirect-uri", "javascript:alert(1)"],
            "client fan-app: post_logout_redirect_uris javascript:alert(1):",
        ),
        (
            &["--backchannel-logout-uri", "http://app.example.org/bc"],
            "client fan-app: backchannel_logout_uri http://app.example.org/bc:",
        ),
        (
            &["--remove-redirect-uri", "com.club.app:/other"],
            "client fan-app: redirect_uris has no com.club.app:/other",
        ),
        (
            &["--remove-redirect-uri", "com.club.app:/callback"],
            "client fan-app: at least one redirect URI",
        ),
        (&[], "client fan-app: nothing to change"),
    ] {
        let error = update(extra);
        assert!(error.contains(expected), "{extra:?}: {error}");
    }
    assert_eq!(std::fs::read(&file).expect("file"), before, "the file is untouched");

    let missing = run(parse(&["update", "--file", &path, "--id", "nobody", "--name", "x"]))
        .expect_err("unknown client")
        .to_string();
    assert!(missing.contains("client nobody is not registered"), "{missing}");
    let confidential = run(parse(&[
        "add",
        "--file",
        &path,
        "--id",
        "server",
        "--name",
        "Server",
        "--redirect-uri",
        "com.club.app:/callback",
    ]))
    .expect_err("a private-use scheme needs a public client")
    .to_string();
    assert!(
        confidential.contains("client server: redirect_uris com.club.app:/callback:"),
        "{confidential}"
    );
    assert_eq!(std::fs::read(&file).expect("file"), before, "the file is untouched");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn every_option_has_a_help_line_and_clearing_values_parse() {
    let command = Cli::command();
    for subcommand in command.get_subcommands() {
        assert!(subcommand.get_about().is_some(), "{}", subcommand.get_name());
        for arg in subcommand.get_arguments() {
            assert!(
                arg.get_help().is_some_and(|h| !h.to_string().is_empty()),
                "client {} --{}",
                subcommand.get_name(),
                arg.get_id()
            );
        }
    }
    let ClientCommand::Update(args) = parse(&[
        "update",
        "--file",
        "clients.toml",
        "--id",
        "fan-app",
        "--backchannel-logout-uri",
        "none",
        "--refresh-token-days",
        "default",
        "--refresh-reuse-grace-seconds",
        "7",
    ]) else {
        panic!("an update");
    };
    assert_eq!(args.backchannel_logout_uri, Some(Setting::Unset));
    assert_eq!(args.refresh_token_days, Some(Setting::Unset));
    assert_eq!(args.refresh_reuse_grace_seconds, Some(Setting::Set(7)));
    assert!(
        Cli::try_parse_from([
            "client",
            "update",
            "--file",
            "f",
            "--id",
            "a",
            "--refresh-token-days",
            "ninety"
        ])
        .is_err()
    );
    assert!(
        Cli::try_parse_from([
            "client",
            "update",
            "--file",
            "f",
            "--id",
            "a",
            "--redirect-uri",
            "https://a.example/cb",
            "--add-redirect-uri",
            "https://b.example/cb",
        ])
        .is_err(),
        "replacing and adding at once is ambiguous"
    );
}
