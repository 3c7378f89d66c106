//! The names of the compiled site's files. A build that hashes them (cargo-leptos
//! `hash-files`) names each `keyward.<hash>.<ext>` and writes the hashes to `hash.txt` beside
//! the binary, where Leptos' hydration scripts read them too. A hashed name changes whenever
//! the file does, so browsers may keep it for a year and never ask again.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The base name of the site's wasm, JS and CSS files (`output-name` in `Cargo.toml`).
pub const OUTPUT_NAME: &str = "keyward";
/// Where they are served from, under the site root.
pub const PKG_DIR: &str = "pkg";
/// The hash file cargo-leptos writes beside the binary it builds.
const HASH_FILE: &str = "hash.txt";

fn hash_file() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(HASH_FILE))
}

/// Whether the build beside this binary hashed the site's files.
pub fn hashed_build() -> bool {
    hash_file().is_some_and(|f| f.exists())
}

/// The hash of the file of this kind (`js`, `wasm`, `css`) in a `hash.txt` text.
fn hash_of<'a>(hashes: &'a str, kind: &str) -> Option<&'a str> {
    hashes.lines().find_map(|line| {
        let (k, hash) = line.split_once(':')?;
        (k.trim() == kind).then_some(hash.trim())
    })
}

/// The stylesheet's URL, hashed when the build hashed it (read once).
pub fn stylesheet_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let hashes = hash_file()
            .and_then(|f| std::fs::read_to_string(f).ok())
            .unwrap_or_default();
        match hash_of(&hashes, "css") {
            Some(hash) => format!("/{PKG_DIR}/{OUTPUT_NAME}.{hash}.css"),
            None => format!("/{PKG_DIR}/{OUTPUT_NAME}.css"),
        }
    })
}

/// Whether a static file's name carries its content hash (`name.<22 base64url>.ext`, as
/// cargo-leptos names them): only those may be cached as immutable.
pub fn is_content_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut parts = name.rsplit('.');
    let (_ext, hash, stem) = (parts.next(), parts.next(), parts.next());
    stem.is_some_and(|s| !s.is_empty())
        && hash.is_some_and(|h| {
            h.len() == 22
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_read_by_kind() {
        let hashes = "js: abcdefghijklmnopqrstuv\nwasm: 0123456789ABCDEFGHIJ-_\ncss: zyxwvutsrqponmlkjihgfe\n";
        assert_eq!(hash_of(hashes, "wasm"), Some("0123456789ABCDEFGHIJ-_"));
        assert_eq!(hash_of(hashes, "css"), Some("zyxwvutsrqponmlkjihgfe"));
        assert_eq!(hash_of(hashes, "split"), None);
    }

    #[test]
    fn only_hashed_names_count_as_immutable() {
        assert!(is_content_hashed(
            "/pkg/keyward.0123456789ABCDEFGHIJ-_.wasm"
        ));
        assert!(is_content_hashed("/pkg/keyward.abcdefghijklmnopqrstuv.css"));
        assert!(!is_content_hashed("/pkg/keyward.wasm"));
        assert!(!is_content_hashed("/pkg/keyward.js"));
        assert!(!is_content_hashed("/favicon.ico"));
        // 21 characters, or one outside base64url: not a hash.
        assert!(!is_content_hashed(
            "/pkg/keyward.0123456789ABCDEFGHIJ-.wasm"
        ));
        assert!(!is_content_hashed(
            "/pkg/keyward.0123456789ABCDEFGHIJ+_.wasm"
        ));
        assert!(!is_content_hashed("/pkg/.0123456789ABCDEFGHIJ-_.wasm"));
    }
}
