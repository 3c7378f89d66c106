//! Importing an existing secret: what may be presented as one, and the estimate of its
//! strength. An imported secret carries no key id and no checksum, so it is found by its
//! digest (one indexed read) and the checksum shortcut does not apply to it.

use super::secret::PREFIX;

/// The shortest and longest secret that may be imported, in characters.
pub const MIN_LEN: usize = 32;
pub const MAX_LEN: usize = 256;
/// The least estimated entropy an imported secret must carry, in bits.
pub const MIN_BITS: f64 = 128.0;

/// The one answer for any value that cannot be imported — too short, too weak, in Keyward's
/// own format, or already a secret here alike — so an import never tells whether a given
/// string is in use.
pub const UNUSABLE: &str =
    "This secret cannot be imported. An imported secret is 32 to 256 printable characters \
    without spaces, carries at least 128 bits of entropy by Keyward's estimate (long, random, not \
    repetitive), is not a Keyward secret (those start with kw_), and is not already a secret here.";

/// Whether `candidate` has the shape of an importable secret: 32 to 256 visible ASCII
/// characters, not starting with Keyward's prefix, not shaped like a JSON Web Token (the
/// Bearer transport reads those as user tokens). Only such values are looked up by digest.
pub fn has_shape(candidate: &str) -> bool {
    (MIN_LEN..=MAX_LEN).contains(&candidate.len())
        && candidate.bytes().all(|b| b.is_ascii_graphic())
        && !candidate.starts_with(PREFIX)
        && !(candidate.starts_with("eyJ") && candidate.matches('.').count() == 2)
}

/// The estimated entropy of `candidate` in bits: the Shannon entropy of its own character
/// frequencies (bits per character, at most log2 of the distinct characters it uses) times
/// the number of distinct three-character runs in it plus two (its length, unless parts
/// repeat). A random string scores about its true strength; a short alphabet, a repeated
/// pattern ("password1234password1234…") or a run of one character scores far less. It is an
/// estimate that refuses the weak, not a proof of strength.
pub fn estimated_bits(candidate: &str) -> f64 {
    let bytes = candidate.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    let per_char: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum();
    let mut runs: Vec<&[u8]> = bytes.windows(3).collect();
    runs.sort_unstable();
    runs.dedup();
    let effective = (runs.len() + 2).min(bytes.len()) as f64;
    per_char * effective
}

/// Whether `candidate` may be imported as it stands (the store checks that it is not
/// already a secret). Every refusal is [`UNUSABLE`].
pub fn check(candidate: &str) -> Result<(), &'static str> {
    if has_shape(candidate) && estimated_bits(candidate) >= MIN_BITS {
        Ok(())
    } else {
        Err(UNUSABLE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_secrets_of_common_shapes_are_accepted() {
        for s in [
            // 40 hexadecimal characters (160 bits), as many older tokens.
            "3f9a0c27e4b15d68a7c2f0e91b34d5c6a8e7f201",
            // 32 random bytes in URL-safe base64.
            "q3Vx8Z_bN2kLw9eRt5yUi1oPa7sDf4gHj6kLz0xCv-M",
            // A vendor prefix and 40 random base62 characters.
            "sk_live_4eC39HqLyjWDarjtT1zdp7dcAbX2kq9ZrT5mW8nP",
        ] {
            assert!(estimated_bits(s) >= MIN_BITS, "{s}: {}", estimated_bits(s));
            assert_eq!(check(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn weak_short_odd_and_keyward_values_get_the_one_refusal() {
        for s in [
            "password1234password1234password1234",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "0101010101010101010101010101010101010101010101",
            "short-but-random-Zx81",
            " q3Vx8Z_bN2kLw9eRt5yUi1oPa7sDf4gHj6kLz0xCv-M",
            "q3Vx8Z_bN2kLw9eRt5yUi1oPa7sDf4gHj6kLz0xCv-M\n",
            "q3Vx8Z_bN2kL w9eRt5yUi1oPa7sDf4gHj6kLz0xCv-M",
            "q3Vx8Z_bN2kL\u{7}w9eRt5yUi1oPa7sDf4gHj6kLz0xCv-M",
            "kw_svc_AbCd1234_q3Vx8ZbN2kLw9eRt5yUi1oPa7sDf4gHj6kLz0xCv",
        ] {
            assert_eq!(check(s), Err(UNUSABLE), "{s:?}: {}", estimated_bits(s));
        }
        assert_eq!(check(&"x9".repeat(200)), Err(UNUSABLE));
        assert!(!has_shape(&"aZ3".repeat(100)), "longer than 256");
    }
}
