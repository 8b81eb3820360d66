//! A relying party's back-channel logout endpoint for the tests: an HTTP server on a free
//! loopback port that records every logout token POSTed to it, and can be told to answer 503
//! for its first deliveries (an endpoint that is down for a while).

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use actix_web::{App, HttpResponse, HttpServer, web};

#[derive(Default)]
struct Received {
    tokens: Mutex<Vec<String>>,
    refuse_first: AtomicUsize,
    refused: AtomicUsize,
}

/// A running endpoint; stops with the test's runtime.
pub struct LogoutEndpoint {
    pub url: String,
    received: Arc<Received>,
}

impl LogoutEndpoint {
    /// Starts an endpoint that answers 503 to its first `refuse_first` deliveries.
    pub fn start(refuse_first: usize) -> Self {
        let received = Arc::new(Received::default());
        received.refuse_first.store(refuse_first, Ordering::SeqCst);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!("http://{}/backchannel-logout", listener.local_addr().expect("address"));
        let shared = received.clone();
        let server = HttpServer::new(move || {
            App::new().app_data(web::Data::new(shared.clone())).route(
                    "/backchannel-logout",
                    web::post().to(
                        |form: web::Form<std::collections::HashMap<String, String>>,
                         state: web::Data<Arc<Received>>| async move {
                            if state.refused.load(Ordering::SeqCst) < state.refuse_first.load(Ordering::SeqCst) {
                                state.refused.fetch_add(1, Ordering::SeqCst);
                                return HttpResponse::ServiceUnavailable().finish();
                            }
                            let token = form.get("logout_token").cloned().unwrap_or_default();
                            state.tokens.lock().expect("lock").push(token);
                            HttpResponse::Ok().finish()
                        },
                    ),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listens")
        .run();
        tokio::spawn(server);
        Self { url, received }
    }

    /// The logout tokens received so far.
    pub fn tokens(&self) -> Vec<String> {
        self.received.tokens.lock().expect("lock").clone()
    }

    /// Deliveries answered 503 so far.
    pub fn refused(&self) -> usize {
        self.received.refused.load(Ordering::SeqCst)
    }
}
