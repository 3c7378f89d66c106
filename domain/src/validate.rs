//! Parse-don't-validate newtypes for what people type.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why input was refused: the message is shown to the person who typed it, and names the
/// field (as the caller named it: "Name" on a form, "name" in a JSON body) when one field is
/// at fault, so a form can mark that field and link the message to it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct InvalidInput {
    pub message: String,
    pub field: Option<String>,
}

impl InvalidInput {
    /// Input refused as a whole (no one field to blame).
    pub fn new(message: impl Into<String>) -> InvalidInput {
        InvalidInput {
            message: message.into(),
            field: None,
        }
    }

    /// Input refused because of one field.
    pub fn in_field(field: &str, message: impl Into<String>) -> InvalidInput {
        InvalidInput {
            message: message.into(),
            field: Some(field.to_string()),
        }
    }
}

/// Trims, then refuses empty, overlong and control-character input.
fn clean_text(field: &str, raw: &str, max_chars: usize) -> Result<String, InvalidInput> {
    let s = raw.trim();
    let invalid = |message: String| InvalidInput::in_field(field, message);
    if s.is_empty() {
        return Err(invalid(format!("{field} is required.")));
    }
    if s.chars().count() > max_chars {
        return Err(invalid(format!(
            "{field} must be at most {max_chars} characters."
        )));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{field} must not contain control characters."
        )));
    }
    Ok(s.to_string())
}

/// A normalised (lower-case) email address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, InvalidInput> {
        let s = clean_text("Email", raw, 254)?;
        let (local, domain) = s.split_once('@').ok_or_else(|| {
            InvalidInput::in_field("Email", "Email must look like name@example.com.")
        })?;
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !s.chars().any(char::is_whitespace);
        if !ok {
            return Err(InvalidInput::in_field(
                "Email",
                "Email must look like name@example.com.",
            ));
        }
        Ok(Email(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password: 10 to 1024 characters, no NUL. Its `Debug` prints nothing of it.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;

    pub fn parse(raw: String) -> Result<Password, InvalidInput> {
        let invalid = |message: String| InvalidInput::in_field("Password", message);
        if raw.is_empty() {
            return Err(invalid("Password is required.".into()));
        }
        if raw.len() > 1024 {
            return Err(invalid("Password must be at most 1024 bytes.".into()));
        }
        if raw.contains('\0') {
            return Err(invalid("Password must not contain NUL characters.".into()));
        }
        if raw.chars().count() < Self::MIN_CHARS {
            return Err(invalid(format!(
                "Password must be at least {} characters.",
                Self::MIN_CHARS
            )));
        }
        Ok(Password(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A display name of something (workspace, application, agent, key): 1 to 100 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Name(String);

impl Name {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(field: &str, raw: &str) -> Result<Name, InvalidInput> {
        clean_text(field, raw, Self::MAX_CHARS).map(Name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Optional free text (a key's purpose, a revocation reason): up to 500 characters.
pub fn optional_text(field: &str, raw: &str) -> Result<String, InvalidInput> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    clean_text(field, raw, 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        let long = format!("{}@example.com", "a".repeat(1100));
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@ex\0ample.com",
            &long,
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("correct horse".into()).is_ok());
        for bad in ["", "short", "has\0nul-inside", &"x".repeat(1025)] {
            assert!(
                Password::parse(bad.to_string()).is_err(),
                "{:?}",
                &bad[..bad.len().min(10)]
            );
        }
        let p = Password::parse("correct horse battery".into()).unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn names() {
        assert_eq!(
            Name::parse("Name", "  Deploy bot ").unwrap().as_str(),
            "Deploy bot"
        );
        let refused = Name::parse("Name", "").unwrap_err();
        assert_eq!(refused.message, "Name is required.");
        assert_eq!(refused.field.as_deref(), Some("Name"));
        assert!(Name::parse("Name", &"n".repeat(101)).is_err());
        assert!(Name::parse("Name", "tab\there").is_err());
        assert!(optional_text("Purpose", "").unwrap().is_empty());
    }
}
