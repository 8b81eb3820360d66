//! What the support console reads and writes: staff accounts ([`staff`]), its sessions
//! ([`sessions`]), the append-only audit of staff actions ([`audit`]), the search for a fan
//! ([`search`]), a fan's page ([`fan`]) and the import runs ([`imports`]); its actions on a
//! fan's S-360 tasks ([`tasks`]) and on erasure requests ([`erasures`]). The console's database role may write only what
//! `store::roles::CONSOLE_WRITES` lists; its actions on fans reuse `store::auth`'s functions.

pub mod audit;
pub mod erasures;
pub mod fan;
pub mod imports;
pub mod search;
pub mod sessions;
pub mod staff;
pub mod tasks;

/// A staff role, from least to most allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads, never acts.
    Viewer,
    /// Acts on fans (resend a mail, lift a lock, revoke sessions).
    Support,
    /// Everything, the sync's dead letters included.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Support => "support",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "viewer" => Some(Self::Viewer),
            "support" => Some(Self::Support),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Self::parse(text).ok_or_else(|| "must be viewer, support or admin".to_owned())
    }
}
