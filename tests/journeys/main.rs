//! Cross-service journeys: the real `webhook-ingest`, `sync-worker` and `auth-gateway` started
//! in-process against the local PostgreSQL and RabbitMQ, each test isolated by its own
//! database and broker name prefix. `TEST_LOG=debug` shows the services' logs.

mod apply_convergence;
mod e2e_journey;
mod gateway_bad_input;
mod gateway_admission;
mod gateway_discovery;
mod gateway_flow;
mod gateway_hardening;
mod gateway_jwt_attacks;
mod gateway_memory;
mod gateway_openid_client;
mod gateway_password;
mod gateway_profile;
mod gateway_rotation;
mod gateway_sessions;
mod gateway_support;
mod gateway_userinfo_cache;
mod import_copy;
mod import_files;
mod import_followups;
mod import_mail;
mod import_resume;
mod import_support;
mod ingest_auth;
mod ingest_duplicates;
mod ingest_rejects;
mod ingest_unavailable;
mod oidc_basic;
mod oidc_basic_tokens;
mod oidc_logout;
mod oidc_support;
mod operations;
mod reconcile;
mod secutix_budget;
mod secutix_client;
mod sim_shop;
mod sim_webhook;
mod webhook_to_database;
mod worker_commands;
mod worker_convergence;
mod worker_crash;
mod worker_jobs;
mod worker_lifecycle;
mod worker_mail;
mod writeback;
