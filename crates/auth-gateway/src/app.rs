//! Building and running the gateway's HTTP server: its state, its route table and the
//! operations endpoints.

use std::{net::TcpListener, time::Duration};

use actix_web::{App, HttpServer, dev::Server, middleware::from_fn, web};
use tokio_util::sync::CancellationToken;

use crate::{
    cli::{KeyArgs, Settings},
    clients::ClientRegistry,
    keys::{KeyManifest, KeySet, generate_development_keys},
    passwords::Passwords,
    routes::{
        self,
        fallback::{self, resource},
    },
    state::GatewayState,
    tokens::Tokens,
};
use infra::http::{Readiness, configure_ops, trace_requests};

/// Most `/userinfo` answers cached (one per live access token; about 1 KiB each).
const USERINFO_CACHE_CAPACITY: usize = 100_000;

/// How long in-flight requests may take to finish at shutdown.
const HTTP_DRAIN: Duration = Duration::from_secs(10);

pub struct Application {
    port: u16,
    server: Server,
    cancel: CancellationToken,
}

impl Application {
    /// Binds the listener (port 0 picks one). The database is reached lazily; `/readyz` says
    /// whether it answers.
    pub async fn build(settings: Settings, cancel: CancellationToken) -> anyhow::Result<Self> {
        let keys = load_keys(&settings.keys)?;
        crate::theme::install(match &settings.theme_dir {
            Some(dir) => crate::theme::load(dir)?,
            None => crate::theme::Theme::builtin(),
        });
        let access_alg = match settings.keys.access_token_alg.as_str() {
            "EdDSA" => jsonwebtoken::Algorithm::EdDSA,
            "RS256" => jsonwebtoken::Algorithm::RS256,
            _ => jsonwebtoken::Algorithm::ES256,
        };
        for (alg, variable) in [
            (jsonwebtoken::Algorithm::RS256, "ID tokens"),
            (access_alg, "GATEWAY_ACCESS_TOKEN_ALG"),
        ] {
            anyhow::ensure!(keys.signer(alg).is_some(), "no active {alg:?} key for {variable}");
        }
        let clients = match &settings.clients_file {
            Some(file) => ClientRegistry::load(file)?,
            None => {
                tracing::warn!("No GATEWAY_CLIENTS_FILE: no relying party can sign users in");
                ClientRegistry::default()
            }
        };
        let social = crate::federation::Providers::new(match &settings.upstreams_file {
            Some(file) => crate::federation::config::UpstreamsFile::load(file)?,
            None => crate::federation::config::UpstreamsFile::default(),
        })?;
        let pool = infra::db::pool(&settings.database)?;
        let topology = infra::amqp::Topology::new(settings.amqp.amqp_name_prefix.clone());
        let publisher = std::sync::Arc::new(infra::amqp::Publisher::new(
            settings.amqp.amqp_url.clone(),
            topology.clone(),
            infra::amqp::PublisherOptions {
                connection_name: "auth-gateway".into(),
                channels: 1,
                ..Default::default()
            },
        ));
        let keys = std::sync::Arc::new(keys);
        let userinfo_cache = std::sync::Arc::new(crate::cache::UserinfoCache::new(
            Duration::from_secs(settings.userinfo_cache_ttl),
            USERINFO_CACHE_CAPACITY,
        ));
        tokio::spawn(crate::cache::listener::run(
            userinfo_cache.clone(),
            settings.database.database_url.clone(),
            cancel.clone(),
        ));
        let issuer = settings.issuer.as_str().trim_end_matches('/').to_owned();
        let state = web::Data::new(GatewayState {
            clients,
            discovery: routes::discovery::document(&settings.issuer, &settings.keys.access_token_alg),
            tokens: Tokens {
                issuer,
                keys: keys.clone(),
                access_alg,
                access_ttl: std::time::Duration::from_secs(300),
                id_ttl: std::time::Duration::from_secs(600),
            },
            passwords: Passwords::with_nice(2, settings.hash_nice)?.with_admission(crate::passwords::Admission {
                max_waiting: settings.signin_queue,
                deadline: Duration::from_secs(settings.signin_wait),
            }),
            pool: pool.clone(),
            ticketshop_urls: settings.ticketshop_urls.clone(),
            publisher: publisher.clone(),
            topology: topology.clone(),
            keys,
            userinfo_cache,
            signup: crate::signup_settings::SignupSettings::new(&settings.signup)?,
            data_protection_email: settings.data_protection_email.clone(),
            social,
            passkeys: crate::passkeys::settings::relying_party(
                &settings.passkeys,
                &settings.issuer,
                &crate::theme::current().organisation,
            )?,
        });
        anyhow::ensure!(
            state.passkeys.is_none() || state.keys.sealer().can_seal(),
            "passkeys need an active [[sealing_keys]] entry in the key manifest (`auth-gateway sealing-key` prints one)"
        );
        let readiness = Readiness::default().with("postgres", infra::db::readiness_check(&pool));
        let registry = prometheus::Registry::new();
        state.userinfo_cache.register(&registry)?;
        state.passwords.register(&registry)?;
        registry.register(Box::new(crate::account::ERASURE_REQUESTS.clone()))?;
        let deliverer =
            crate::backchannel::Deliverer::new(pool.clone(), state.clients.clone(), state.tokens.clone(), &registry)?;
        tokio::spawn(deliverer.run(cancel.clone()));
        let listener = TcpListener::bind(settings.listen_addr)?;
        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(fallback::body_errors())
                .wrap(from_fn(trace_requests))
                .app_data(state.clone())
                .configure(|cfg| configure_ops(cfg, readiness.clone(), registry.clone()))
                .service(
                    resource("/.well-known/openid-configuration", "GET")
                        .route(web::get().to(routes::discovery::openid_configuration)),
                )
                .service(resource("/jwks.json", "GET").route(web::get().to(routes::discovery::jwks)))
                .service(
                    resource("/authorize", "GET, POST")
                        .route(web::get().to(routes::authorize::authorize))
                        .route(web::post().to(routes::authorize::authorize_post)),
                )
                .service(resource("/par", "POST").route(web::post().to(routes::par::push)))
                .service(
                    resource("/login", "GET, POST")
                        .route(web::get().to(routes::login::show))
                        .route(web::post().to(routes::login::submit)),
                )
                .service(resource("/staff/login", "POST").route(web::post().to(routes::staff::submit)))
                .service(
                    resource("/login/code", "GET, POST")
                        .route(web::get().to(crate::email_code::show))
                        .route(web::post().to(crate::email_code::request)),
                )
                .service(
                    resource("/login/code/verify", "GET, POST")
                        .route(web::get().to(crate::email_code::open_link))
                        .route(web::post().to(crate::email_code::submit)),
                )
                .service(
                    resource("/login/social/signup", "GET, POST")
                        .route(web::get().to(crate::social::signup_form))
                        .route(web::post().to(crate::social::signup_submit)),
                )
                .service(resource("/account/social/unlink", "POST").route(web::post().to(crate::social::unlink)))
                .service(
                    resource("/login/passkey/options", "POST").route(web::post().to(crate::passkeys::sign_in_options)),
                )
                .service(resource("/login/passkey", "POST").route(web::post().to(crate::passkeys::sign_in_finish)))
                .service(
                    resource("/profile/passkeys", "GET, POST")
                        .route(web::get().to(crate::passkeys::manage))
                        .route(web::post().to(crate::passkeys::enrol_finish)),
                )
                .service(
                    resource("/profile/passkeys/options", "POST").route(web::post().to(crate::passkeys::enrol_options)),
                )
                .service(resource("/profile/passkeys/remove", "POST").route(web::post().to(crate::passkeys::remove)))
                .service(
                    resource(crate::passkeys::script::PATH, "GET").route(web::get().to(crate::passkeys::script::serve)),
                )
                .service(resource("/token", "POST").route(web::post().to(routes::token::token)))
                .service(
                    resource("/userinfo", "GET, POST")
                        .route(web::get().to(routes::userinfo::userinfo))
                        .route(web::post().to(routes::userinfo::userinfo)),
                )
                .service(resource("/revoke", "POST").route(web::post().to(routes::revocation::revoke)))
                .service(resource("/introspect", "POST").route(web::post().to(routes::revocation::introspect)))
                .service(
                    resource("/logout", "GET, POST")
                        .route(web::get().to(routes::session_routes::logout))
                        .route(web::post().to(routes::session_routes::logout_post)),
                )
                .service(resource("/auth/verify", "GET").route(web::get().to(routes::session_routes::verify)))
                .service(resource("/ticketshop", "GET").route(web::get().to(routes::session_routes::ticketshop)))
                .service(
                    resource("/password/forgot", "GET, POST")
                        .route(web::get().to(routes::forgot::forgot_form))
                        .route(web::post().to(routes::forgot::forgot)),
                )
                .service(
                    resource("/password/reset", "GET, POST")
                        .route(web::get().to(routes::password::reset_form))
                        .route(web::post().to(routes::password::reset)),
                )
                .service(
                    resource("/signup", "GET, POST")
                        .route(web::get().to(crate::signup::show))
                        .route(web::post().to(crate::signup::submit)),
                )
                .service(
                    resource("/signup/verify", "GET, POST")
                        .route(web::get().to(crate::signup::confirm_form))
                        .route(web::post().to(crate::signup::confirm)),
                )
                .service(resource("/signup/resend", "POST").route(web::post().to(crate::signup::resend)))
                .service(
                    resource("/account/email", "GET, POST")
                        .route(web::get().to(crate::email_change::show))
                        .route(web::post().to(crate::email_change::request)),
                )
                .service(
                    resource("/account/email/verify", "GET, POST")
                        .route(web::get().to(crate::email_change::confirm_form))
                        .route(web::post().to(crate::email_change::confirm)),
                )
                .service(resource("/account", "GET").route(web::get().to(crate::account::show)))
                .service(resource("/account/sessions/end", "POST").route(web::post().to(crate::account::end_sessions)))
                .service(resource("/account/export", "GET").route(web::get().to(crate::account::download)))
                .service(resource("/account/delete", "POST").route(web::post().to(crate::account::delete)))
                .service(
                    resource("/profile", "GET, POST")
                        .route(web::get().to(crate::profile::show))
                        .route(web::post().to(crate::profile::submit)),
                )
                .service(resource("/theme/style.css", "GET").route(web::get().to(crate::theme::routes::style)))
                .service(resource("/theme/logo", "GET").route(web::get().to(crate::theme::routes::logo)))
                .service(resource("/", "GET").route(web::get().to(routes::login::home)))
                // The only patterns with a variable segment come last: actix tries resources in
                // order, and every request for a fixed path is then matched without a regex.
                .service(resource("/login/social/{provider}", "GET").route(web::get().to(crate::social::start)))
                .service(
                    resource("/login/social/{provider}/callback", "GET, POST")
                        .route(web::get().to(crate::social::callback_get))
                        .route(web::post().to(crate::social::callback_post)),
                )
                .default_service(web::to(fallback::not_found))
        })
        .disable_signals()
        .shutdown_timeout(HTTP_DRAIN.as_secs())
        .listen(listener)?
        .run();
        tracing::info!(port, "auth-gateway started");
        Ok(Self { port, server, cancel })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the token is cancelled, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        Ok(infra::http::serve_until_cancelled(self.server, self.cancel).await?)
    }
}

/// The key set from `GATEWAY_KEYS`, else `GATEWAY_KEYS_FILE`, else development keys generated
/// into `GATEWAY_DEV_KEYS_DIR`; none of them is a start-up error.
fn load_keys(args: &KeyArgs) -> anyhow::Result<KeySet> {
    use secrecy::ExposeSecret;
    let manifest = match (&args.keys, &args.keys_file, &args.dev_keys_dir) {
        (Some(inline), _, _) => KeyManifest::parse(inline.expose_secret(), None)?,
        (None, Some(file), _) => KeyManifest::read_file(file)?,
        (None, None, Some(dir)) => KeyManifest::read_file(&generate_development_keys(dir)?)?,
        (None, None, None) => {
            anyhow::bail!(
                "no signing keys: set GATEWAY_KEYS or GATEWAY_KEYS_FILE (or GATEWAY_DEV_KEYS_DIR for local development)"
            )
        }
    };
    Ok(KeySet::from_manifest(&manifest)?)
}
