//! The server secret and the digests made with it.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// The server secret: peppers key digests and signs user tokens. `Debug` shows nothing.
pub struct ServerSecret {
    /// The HMAC keyed with the secret, ready for data: every key check clones it rather
    /// than hashing the key again.
    keyed: Hmac<Sha256>,
}

impl ServerSecret {
    pub fn new(bytes: Vec<u8>) -> ServerSecret {
        ServerSecret {
            keyed: Hmac::<Sha256>::new_from_slice(&bytes).expect("HMAC takes any key length"),
        }
    }

    /// HMAC-SHA-256 of `data`, hex: the stored form of API key secrets and invitation tokens.
    pub fn digest(&self, data: &str) -> String {
        self.digest_hex(data).as_str().to_owned()
    }

    /// The same digest on the stack, for the per-request key check.
    pub fn digest_hex(&self, data: &str) -> DigestHex {
        let mut mac = self.keyed.clone();
        mac.update(data.as_bytes());
        let mut out = [0u8; 64];
        hex_into(&mac.finalize().into_bytes(), &mut out);
        DigestHex(out)
    }

    /// Key material for signing user tokens, derived so it never equals the pepper.
    pub fn jwt_key(&self) -> Vec<u8> {
        let mut mac = self.keyed.clone();
        mac.update(b"keyward user token signing key");
        mac.finalize().into_bytes().to_vec()
    }
}

/// A digest in lowercase hex, as [`ServerSecret::digest`] gives it.
pub struct DigestHex([u8; 64]);

impl DigestHex {
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret(<redacted>)")
    }
}

/// Constant-time equality of two digests.
pub fn digests_match(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// `n` random bytes from the OS CSPRNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    use rand::RngCore;
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf
}

pub fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    hex_into(bytes, &mut out);
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// Lowercase hex of `bytes` into `out`, which is twice as long.
fn hex_into(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_peppered_and_compared_in_constant_time() {
        let a = ServerSecret::new(vec![1; 32]);
        let b = ServerSecret::new(vec![2; 32]);
        assert_ne!(a.digest("x"), b.digest("x"));
        assert_eq!(a.digest("x"), a.digest_hex("x").as_str());
        assert_eq!(a.digest("x").len(), 64);
        assert!(digests_match(&a.digest("x"), &a.digest("x")));
        assert!(!digests_match(&a.digest("x"), &a.digest("y")));
        assert_eq!(format!("{a:?}"), "ServerSecret(<redacted>)");
    }
}
