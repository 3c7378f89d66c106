//! The secret format: `kw_<svc|agt>_<key id>_<random><checksum>`.
//!
//! The key id (8 base62) is public. The random part (32 base62, 190 bits) comes from the OS
//! CSPRNG. The checksum is the CRC32 of everything before it, as 6 base62 characters, so a
//! mistyped or truncated secret is refused before any lookup and scanners can recognise ours.

use serde::{Deserialize, Serialize};
use std::fmt;

pub const PREFIX: &str = "kw_";
pub const KEY_ID_LEN: usize = 8;
pub const RANDOM_LEN: usize = 32;
pub const CHECKSUM_LEN: usize = 6;
/// Length of a whole secret.
pub const SECRET_LEN: usize = PREFIX.len() + 4 + KEY_ID_LEN + 1 + RANDOM_LEN + CHECKSUM_LEN;

/// What a secret scanner matches (gitleaks, GitHub custom patterns): the prefix, the kind,
/// the public key id, then the random part and its checksum. A match is ours for certain once
/// its checksum holds ([`CHECKSUM_RULE`]).
pub const PATTERN: &str = r"kw_(?:svc|agt)_[0-9A-Za-z]{8}_[0-9A-Za-z]{38}";

/// How the last 6 characters are computed, for scanners that validate offline.
pub const CHECKSUM_RULE: &str = "The last 6 characters are the CRC-32 (IEEE 802.3, as zlib computes it) of everything before them, written in base 62 with the digits 0-9, A-Z, a-z, most significant first, zero-padded.";

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// What kind of machine principal a key is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyKind {
    Service,
    Agent,
}

/// A stored kind that is neither: storage read it back wrong, and nothing may guess.
#[derive(Debug, thiserror::Error)]
#[error("unknown key kind {0:?}")]
pub struct UnknownKind(pub String);

/// How storage reads a kind back: strictly, never defaulting to a kind.
impl TryFrom<String> for KeyKind {
    type Error = UnknownKind;

    fn try_from(s: String) -> Result<KeyKind, UnknownKind> {
        KeyKind::parse(&s).ok_or(UnknownKind(s))
    }
}

impl KeyKind {
    pub fn tag(self) -> &'static str {
        match self {
            KeyKind::Service => "svc",
            KeyKind::Agent => "agt",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            KeyKind::Service => "service",
            KeyKind::Agent => "agent",
        }
    }

    pub fn parse(id: &str) -> Option<KeyKind> {
        match id {
            "service" | "svc" => Some(KeyKind::Service),
            "agent" | "agt" => Some(KeyKind::Agent),
            _ => None,
        }
    }
}

/// The public identifier of a key, 8 base62 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(s: &str) -> Option<KeyId> {
        (s.len() == KEY_ID_LEN && s.bytes().all(is_base62)).then(|| KeyId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a string is not one of our secrets. Decided without any lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MalformedSecret {
    Empty,
    /// Leading or trailing white space: pasted with extra characters.
    Whitespace,
    /// Not a Keyward secret at all (another product's token, a JWT, random text).
    NotKeyward,
    /// Starts like ours but has the wrong length or characters: truncated or mangled.
    WrongShape,
    /// The shape is right but the checksum does not match: mistyped.
    WrongChecksum,
}

impl MalformedSecret {
    pub fn explain(self) -> &'static str {
        match self {
            MalformedSecret::Empty => "No secret was given.",
            MalformedSecret::Whitespace => "The secret has leading or trailing white space.",
            MalformedSecret::NotKeyward => "This is not a Keyward secret (they start with kw_svc_ or kw_agt_).",
            MalformedSecret::WrongShape => "This looks like a Keyward secret but is truncated or has extra or invalid characters.",
            MalformedSecret::WrongChecksum => "The checksum does not match: the secret was mistyped or altered.",
        }
    }
}

/// The public parts of a well-formed secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretParts {
    pub kind: KeyKind,
    pub key_id: KeyId,
}

impl SecretParts {
    /// The public prefix shown in lists: `kw_svc_AbCd1234`.
    pub fn display_prefix(&self) -> String {
        display_prefix(self.kind, &self.key_id)
    }
}

/// `kw_svc_<key id>`: what lists show instead of a secret.
pub fn display_prefix(kind: KeyKind, key_id: &KeyId) -> String {
    format!("{PREFIX}{}_{}", kind.tag(), key_id)
}

/// Checks a candidate secret's shape and checksum, returning its public parts.
pub fn parse(candidate: &str) -> Result<SecretParts, MalformedSecret> {
    if candidate.is_empty() {
        return Err(MalformedSecret::Empty);
    }
    if candidate.trim() != candidate {
        return Err(MalformedSecret::Whitespace);
    }
    let kind = if candidate.starts_with("kw_svc_") {
        KeyKind::Service
    } else if candidate.starts_with("kw_agt_") {
        KeyKind::Agent
    } else {
        return Err(MalformedSecret::NotKeyward);
    };
    let bytes = candidate.as_bytes();
    let id_start = PREFIX.len() + 4;
    let id_end = id_start + KEY_ID_LEN;
    if bytes.len() != SECRET_LEN
        || bytes[id_end] != b'_'
        || !bytes[id_start..id_end].iter().copied().all(is_base62)
        || !bytes[id_end + 1..].iter().copied().all(is_base62)
    {
        return Err(MalformedSecret::WrongShape);
    }
    let (body, checksum) = candidate.split_at(SECRET_LEN - CHECKSUM_LEN);
    if checksum != encode_checksum(body) {
        return Err(MalformedSecret::WrongChecksum);
    }
    Ok(SecretParts {
        kind,
        key_id: KeyId(candidate[id_start..id_end].to_string()),
    })
}

/// Assembles a secret from its parts, appending the checksum.
pub fn assemble(kind: KeyKind, key_id: &KeyId, random: &str) -> String {
    let body = format!("{PREFIX}{}_{}_{}", kind.tag(), key_id, random);
    let checksum = encode_checksum(&body);
    body + &checksum
}

/// Maps uniformly random bytes to base62 characters by rejection sampling (no modulo bias).
pub fn base62_from_random(random_bytes: impl Iterator<Item = u8>, len: usize) -> String {
    random_bytes
        .filter(|b| *b < 248) // 248 = 62 * 4
        .take(len)
        .map(|b| BASE62[(b % 62) as usize] as char)
        .collect()
}

fn encode_checksum(body: &str) -> String {
    let mut n = crc32fast::hash(body.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("base62 is ASCII")
}

fn is_base62(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        let id = KeyId::parse("AbCd1234").unwrap();
        assemble(KeyKind::Service, &id, "0123456789abcdefghijABCDEFGHIJxy")
    }

    #[test]
    fn a_fresh_secret_parses_with_its_public_parts() {
        let s = sample();
        assert_eq!(s.len(), SECRET_LEN);
        assert!(s.starts_with("kw_svc_AbCd1234_0123456789abcdefghijABCDEFGHIJxy"));
        let parts = parse(&s).unwrap();
        assert_eq!(parts.kind, KeyKind::Service);
        assert_eq!(parts.key_id.as_str(), "AbCd1234");
        assert_eq!(parts.display_prefix(), "kw_svc_AbCd1234");
    }

    #[test]
    fn every_single_character_typo_is_caught() {
        let s = sample();
        let tail = PREFIX.len() + 4;
        for i in tail..s.len() {
            let mut b = s.clone().into_bytes();
            b[i] = if b[i] == b'Z' {
                b'Y'
            } else if b[i] == b'_' {
                continue;
            } else {
                b'Z'
            };
            let typo = String::from_utf8(b).unwrap();
            assert_eq!(
                parse(&typo),
                Err(MalformedSecret::WrongChecksum),
                "position {i}"
            );
        }
    }

    #[test]
    fn garbage_is_classified_without_lookup() {
        let s = sample();
        let cases: Vec<(String, MalformedSecret)> = vec![
            (String::new(), MalformedSecret::Empty),
            (format!(" {s}"), MalformedSecret::Whitespace),
            (format!("{s}\n"), MalformedSecret::Whitespace),
            (
                "ghp_16C7e42F292c6912E7710c838347Ae178B4a".into(),
                MalformedSecret::NotKeyward,
            ),
            (
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig".into(),
                MalformedSecret::NotKeyward,
            ),
            (s[..s.len() - 1].to_string(), MalformedSecret::WrongShape),
            (format!("{s}0"), MalformedSecret::WrongShape),
            (
                s.replacen("kw_svc_", "kw_agt_", 1),
                MalformedSecret::WrongChecksum,
            ),
            (s.replacen('A', "é", 1), MalformedSecret::WrongShape),
            (
                "kw_svc_".to_string() + &"x".repeat(1_000_000),
                MalformedSecret::WrongShape,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                parse(&input),
                Err(expected),
                "{:?}",
                &input[..input.len().min(40)]
            );
        }
    }

    #[test]
    fn base62_sampling_uses_only_the_alphabet() {
        let s = base62_from_random((0..=255u8).cycle(), 500);
        assert_eq!(s.len(), 500);
        assert!(s.bytes().all(is_base62));
    }

    #[test]
    fn key_ids_are_eight_base62_characters() {
        assert!(KeyId::parse("AbCd1234").is_some());
        for bad in ["AbCd123", "AbCd12345", "AbCd_234", "AbCd123é"] {
            assert!(KeyId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_published_pattern_describes_the_format() {
        let tail = format!("{{{}}}", RANDOM_LEN + CHECKSUM_LEN);
        assert!(PATTERN.ends_with(&format!("[0-9A-Za-z]{tail}")));
        assert!(PATTERN.contains(&format!("[0-9A-Za-z]{{{KEY_ID_LEN}}}_")));
        // The rule, followed by hand, gives the checksum the format carries.
        let key_id = KeyId::parse("AbCd1234").unwrap();
        let secret = assemble(KeyKind::Service, &key_id, &"x".repeat(RANDOM_LEN));
        let (body, checksum) = secret.split_at(SECRET_LEN - CHECKSUM_LEN);
        let mut n = crc32fast::hash(body.as_bytes()) as u64;
        let mut digits = Vec::new();
        for _ in 0..CHECKSUM_LEN {
            digits.push(BASE62[(n % 62) as usize]);
            n /= 62;
        }
        digits.reverse();
        assert_eq!(checksum.as_bytes(), digits.as_slice());
    }
}
