//! HTTP routes of `auth-gateway`.

pub mod authorize;
pub mod authorize_request;
pub mod discovery;
pub mod fallback;
pub mod forgot;
pub mod html;
pub mod login;
pub mod oauth;
pub mod par;
pub mod params;
pub mod password;
pub mod revocation;
pub mod session_routes;
pub mod sign_in_history;
pub mod staff;
pub mod token;
pub mod userinfo;
