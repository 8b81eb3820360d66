//! How a session was opened, recorded on `sessions` and carried by its authorization codes to
//! the token endpoint, where it becomes the ID token's `amr` (RFC 8176 §2). Stored as the RFC
//! 8176 value itself (`sessions.auth_method`, `authorization_codes.auth_method`).

use diesel::{
    deserialize::{self, FromSql, FromSqlRow},
    expression::AsExpression,
    pg::{Pg, PgValue},
    serialize::{self, Output, ToSql},
    sql_types::Text,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum AuthMethod {
    /// The account's password (`pwd`).
    Password,
    /// A single-use secret mailed to the login address (`otp`): an e-mail code, or the
    /// sign-up's verification link. Either proves the mailbox, not a password.
    MailedOneTime,
    /// An upstream OpenID provider's sign-in (`fed`): social sign-in, identity brokering.
    Federated,
    /// A passkey bound to its device (`hwk`, RFC 8176's "proof-of-possession of a
    /// hardware-secured key"): not backup-eligible, so its private key never leaves the
    /// authenticator. With user verification (`user`), which every passkey sign-in requires.
    HardwareKey,
    /// A synced passkey (`swk`, "proof-of-possession of a software-secured key"): backup-eligible,
    /// so a password manager or platform account may copy it to other devices. With `user`.
    SoftwareKey,
}

impl AuthMethod {
    /// The value stored, which is also the RFC 8176 method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "pwd",
            Self::MailedOneTime => "otp",
            Self::Federated => "fed",
            Self::HardwareKey => "hwk",
            Self::SoftwareKey => "swk",
        }
    }

    /// The ID token's `amr`: a passkey is a key and the user's verification (PIN or biometric)
    /// on the authenticator, which the gateway requires.
    pub fn amr(self) -> &'static [&'static str] {
        match self {
            Self::Password => &["pwd"],
            Self::MailedOneTime => &["otp"],
            Self::Federated => &["fed"],
            Self::HardwareKey => &["hwk", "user"],
            Self::SoftwareKey => &["swk", "user"],
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "pwd" => Some(Self::Password),
            "otp" => Some(Self::MailedOneTime),
            "fed" => Some(Self::Federated),
            "hwk" => Some(Self::HardwareKey),
            "swk" => Some(Self::SoftwareKey),
            _ => None,
        }
    }
}

impl ToSql<Text, Pg> for AuthMethod {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
    }
}

impl FromSql<Text, Pg> for AuthMethod {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Pg>>::from_sql(value)?;
        Self::parse(&text).ok_or_else(|| format!("unknown authentication method {text:?}").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_method_is_stored_as_its_rfc_8176_name() {
        for method in [AuthMethod::Password, AuthMethod::MailedOneTime, AuthMethod::Federated] {
            assert_eq!(AuthMethod::parse(method.as_str()), Some(method));
            assert_eq!(method.amr(), [method.as_str()]);
        }
        for method in [AuthMethod::HardwareKey, AuthMethod::SoftwareKey] {
            assert_eq!(AuthMethod::parse(method.as_str()), Some(method));
            assert_eq!(method.amr(), [method.as_str(), "user"]);
        }
        assert_eq!(AuthMethod::parse("user"), None, "never a method alone");
    }
}
