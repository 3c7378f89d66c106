//! Redaction of logged request and response bodies: whatever looks like a credential is
//! replaced before a body is stored, and the result is capped.
//!
//! Three rules, in this order:
//! 1. Only a body that parses (JSON, or a urlencoded form) is stored at all; anything else is
//!    stored as its size and content type, since what cannot be parsed cannot be redacted.
//! 2. The values of fields whose names say "credential" ([`is_secret_field`]) are replaced,
//!    with names compared case- and separator-insensitively (`API-Key`, `client_secret`,
//!    `X_Auth_Token` …).
//! 3. Anywhere else — values, property names, inside longer text — strings in a known credential
//!    format are replaced ([`redact_tokens`]): ours, JWTs, PEM private keys, GitHub, AWS, Stripe
//!    and Slack tokens.

/// Longest stored body, in bytes.
pub const BODY_LOG_CAP: usize = 4096;

/// What replaces a credential.
pub const REDACTED: &str = "[redacted]";

/// Field names (normalised: lower case, no separators) that hold a credential wherever they
/// appear in a name: `client_secret`, `x-api-key`, `github_token`, `db_password` …
const SECRET_NAME_PARTS: [&str; 10] = [
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "authorization",
    "credential",
    "signature",
];

/// Field names (normalised) that hold a credential only as the whole name.
const SECRET_NAMES: [&str; 6] = ["key", "pwd", "auth", "cookie", "session", "sessionid"];

/// A body fit to store: credentials removed, at most [`BODY_LOG_CAP`] bytes. `content_type`
/// is the body's `Content-Type`, when it has one.
pub fn body_for_log(bytes: &[u8], content_type: Option<&str>) -> String {
    let media = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|m| !m.is_empty());
    let opaque = || {
        format!(
            "[{} bytes, {}, not stored]",
            bytes.len(),
            media.as_deref().unwrap_or("no content type")
        )
    };
    if bytes.is_empty() {
        return String::new();
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return opaque();
    };
    let is_form = media.as_deref() == Some("application/x-www-form-urlencoded");
    let may_be_json = media
        .as_deref()
        .is_none_or(|m| m == "application/json" || m.ends_with("+json"));
    let stored = if is_form {
        redact_form(text)
    } else if let Some(mut v) = may_be_json
        .then(|| serde_json::from_str::<serde_json::Value>(text).ok())
        .flatten()
    {
        redact_json(&mut v);
        v.to_string()
    } else {
        return opaque();
    };
    cap(&redact_tokens(&stored))
}

fn redact_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            let entries = std::mem::take(map);
            for (k, mut v) in entries {
                if is_secret_field(&k) {
                    v = serde_json::Value::String(REDACTED.into());
                } else {
                    redact_json(&mut v);
                }
                // A credential used as a property name is masked like any other.
                map.insert(redact_tokens(&k), v);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::String(s) => *s = redact_tokens(s),
        _ => {}
    }
}

/// `Client-Secret`, `client_secret`, `CLIENT.SECRET` → `clientsecret`.
fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a field of this name holds a credential.
pub fn is_secret_field(name: &str) -> bool {
    let n = normalise(name);
    SECRET_NAMES.contains(&n.as_str()) || SECRET_NAME_PARTS.iter().any(|p| n.contains(p))
}

/// `a=1&key=…` → `a=1&key=[redacted]`; names and values are percent-decoded first (by the
/// `form_urlencoded` crate, as a server reads them), so an encoded credential is found too,
/// and stored decoded (then masked) rather than encoded.
fn redact_form(text: &str) -> String {
    form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| {
            if is_secret_field(&k) {
                format!("{}={REDACTED}", redact_tokens(&k))
            } else {
                format!("{}={}", redact_tokens(&k), redact_tokens(&v))
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// A credential format: a fixed prefix, then at least `min` token characters.
struct Format {
    prefix: &'static [u8],
    min: usize,
}

/// Formats recognised anywhere in text (GitHub, Stripe, Slack; ours with any tail).
const FORMATS: [Format; 16] = [
    Format {
        prefix: b"kw_svc_",
        min: 0,
    },
    Format {
        prefix: b"kw_agt_",
        min: 0,
    },
    Format {
        prefix: b"github_pat_",
        min: 20,
    },
    Format {
        prefix: b"ghp_",
        min: 20,
    },
    Format {
        prefix: b"gho_",
        min: 20,
    },
    Format {
        prefix: b"ghu_",
        min: 20,
    },
    Format {
        prefix: b"ghs_",
        min: 20,
    },
    Format {
        prefix: b"ghr_",
        min: 20,
    },
    Format {
        prefix: b"sk_live_",
        min: 10,
    },
    Format {
        prefix: b"sk_test_",
        min: 10,
    },
    Format {
        prefix: b"rk_live_",
        min: 10,
    },
    Format {
        prefix: b"rk_test_",
        min: 10,
    },
    Format {
        prefix: b"xoxb-",
        min: 10,
    },
    Format {
        prefix: b"xoxp-",
        min: 10,
    },
    Format {
        prefix: b"xoxa-",
        min: 10,
    },
    Format {
        prefix: b"xoxs-",
        min: 10,
    },
];

/// The end of a credential starting at `i` (a word start), if one does.
fn credential_at(b: &[u8], i: usize) -> Option<usize> {
    let run_end = |from: usize, dots: bool| {
        let mut j = from;
        while j < b.len() && (is_token_char(b[j]) || (dots && b[j] == b'.')) {
            j += 1;
        }
        j
    };
    let rest = &b[i..];
    if let Some(f) = FORMATS.iter().find(|f| rest.starts_with(f.prefix)) {
        let end = run_end(i + f.prefix.len(), false);
        return (end - i - f.prefix.len() >= f.min).then_some(end);
    }
    // AWS access key ids: AKIA/ASIA and 16 upper-case letters or digits.
    if rest.starts_with(b"AKIA") || rest.starts_with(b"ASIA") {
        let end = run_end(i, false);
        let upper = b[i..end]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        return (end - i >= 20 && upper).then_some(end);
    }
    // JWTs: three dot-separated base64url parts.
    if rest.starts_with(b"eyJ") {
        let end = run_end(i, true);
        return (b[i..end].iter().filter(|c| **c == b'.').count() >= 2).then_some(end);
    }
    // PEM private keys: everything to the matching end line (or the end of the text).
    if rest.starts_with(b"-----BEGIN ") {
        let line_end = find(rest, b"-----", 11)?;
        if !rest[..line_end].ends_with(b"PRIVATE KEY") {
            return None;
        }
        let end = find(rest, b"-----END ", line_end)
            .and_then(|e| find(rest, b"-----", e + 9).map(|x| x + 5))
            .unwrap_or(rest.len());
        return Some(i + end);
    }
    None
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Replaces every string in a known credential format in free text.
pub fn redact_tokens(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let at_word_start = i == 0 || !is_token_char(b[i - 1]);
        if at_word_start {
            if let Some(end) = credential_at(b, i) {
                out.push_str(&text[copied..i]);
                out.push_str(REDACTED);
                copied = end;
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    out
}

fn cap(text: &str) -> String {
    if text.len() <= BODY_LOG_CAP {
        return text.to_string();
    }
    let mut end = BODY_LOG_CAP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "kw_svc_AbCd1234_0123456789abcdefghijABCDEFGHIJ0123ab12cd";
    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    const JSON: Option<&str> = Some("application/json");
    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

    #[test]
    fn credentials_never_survive() {
        let cases = [
            (
                format!(r#"{{"key":"{SECRET}","permissions":["a:read"]}}"#),
                JSON,
            ),
            (format!(r#"{{"API_Key":"{SECRET}","name":"web"}}"#), JSON),
            (
                format!(r#"{{"nested":{{"Token":"x"}},"note":"use {SECRET} here"}}"#),
                None,
            ),
            (
                format!(r#"{{"items":[{{"password":"hunter2"}}],"jwt":"{JWT}"}}"#),
                JSON,
            ),
            (format!("key={SECRET}&name=web"), FORM),
            (format!("note=use+{SECRET}+and {JWT}."), FORM),
            (format!(r#""kw_agt_{}""#, &SECRET[7..]), JSON),
        ];
        for (case, content_type) in cases {
            let logged = body_for_log(case.as_bytes(), content_type);
            for needle in [SECRET, JWT, "hunter2", &SECRET[7..]] {
                assert!(!logged.contains(needle), "{logged} holds {needle}");
            }
            assert!(logged.contains(REDACTED), "{logged}");
        }
    }

    #[test]
    fn what_cannot_be_parsed_is_stored_as_its_size_only() {
        let text = format!("plain text with {SECRET}, and {JWT}.");
        assert_eq!(
            body_for_log(text.as_bytes(), Some("text/plain; charset=utf-8")),
            format!("[{} bytes, text/plain, not stored]", text.len())
        );
        assert_eq!(
            body_for_log(br#"{"password": "hunter2""#, JSON),
            "[22 bytes, application/json, not stored]"
        );
        assert_eq!(
            body_for_log(&[0xff, 0xfe], None),
            "[2 bytes, no content type, not stored]"
        );
    }

    #[test]
    fn field_names_match_whatever_their_case_and_separators() {
        for name in [
            "password",
            "Password",
            "client_secret",
            "Client-Secret",
            "x-api-key",
            "X_API_KEY",
            "apiKey",
            "private_key",
            "Authorization",
            "access_token",
            "GITHUB_TOKEN",
            "db.password",
            "key",
        ] {
            assert!(is_secret_field(name), "{name}");
            let logged = body_for_log(format!(r#"{{"{name}":"hunter2"}}"#).as_bytes(), JSON);
            assert!(!logged.contains("hunter2"), "{name}: {logged}");
            let logged = body_for_log(format!("{name}=hunter2").as_bytes(), FORM);
            assert!(!logged.contains("hunter2"), "{name}: {logged}");
        }
        for name in ["name", "keyboard", "monkey", "description", "count"] {
            assert!(!is_secret_field(name), "{name}");
        }
    }

    #[test]
    fn other_products_credentials_are_masked_anywhere() {
        let others = [
            "ghp_0123456789abcdefghijABCDEFGHIJ012345",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
            "AKIAIOSFODNN7EXAMPLE",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        ];
        for secret in others {
            let json = serde_json::json!({ "note": format!("here: {secret} (rotate it)") });
            let logged = body_for_log(json.to_string().as_bytes(), JSON);
            assert!(!logged.contains(&secret[secret.len() - 12..]), "{logged}");
            assert!(logged.contains("here: [redacted] (rotate it)"), "{logged}");
        }
    }

    #[test]
    fn ordinary_content_is_kept() {
        assert_eq!(
            body_for_log(br#"{"name":"web","count":2}"#, JSON),
            r#"{"count":2,"name":"web"}"#
        );
        assert_eq!(body_for_log(b"name=web&x=1", FORM), "name=web&x=1");
        assert_eq!(
            body_for_log(br#""the word eyJ. alone""#, JSON),
            r#""the word eyJ. alone""#
        );
        assert_eq!(
            body_for_log(br#""xkw_svc_notours AKIAshort""#, JSON),
            r#""xkw_svc_notours AKIAshort""#
        );
        assert_eq!(body_for_log(b"", None), "");
    }

    #[test]
    fn bodies_are_capped_on_a_character_boundary() {
        let long = format!("\"{}\"", "é".repeat(BODY_LOG_CAP));
        let logged = body_for_log(long.as_bytes(), JSON);
        assert!(logged.len() <= BODY_LOG_CAP + "…".len());
        assert!(logged.ends_with('…'));
    }
}

/// A property test: credentials planted anywhere in generated bodies never reach the log.
#[cfg(test)]
mod planted {
    use super::*;
    use proptest::prelude::*;

    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    fn chars(set: &'static [u8], n: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(set), n)
            .prop_map(|v| String::from_utf8(v).expect("ASCII"))
    }

    /// A credential in one of the formats the log must never keep.
    fn credential() -> impl Strategy<Value = String> {
        prop_oneof![
            (chars(ALNUM, 8), chars(ALNUM, 38)).prop_map(|(id, r)| format!("kw_svc_{id}_{r}")),
            chars(ALNUM, 38).prop_map(|r| format!("kw_agt_AbCd1234_{r}")),
            chars(ALNUM, 36).prop_map(|r| format!("ghp_{r}")),
            chars(ALNUM, 60).prop_map(|r| format!("github_pat_11{r}")),
            chars(UPPER, 16).prop_map(|r| format!("AKIA{r}")),
            chars(ALNUM, 24).prop_map(|r| format!("sk_live_{r}")),
            chars(ALNUM, 40).prop_map(|r| format!("xoxb-1234-{r}")),
            (chars(ALNUM, 20), chars(ALNUM, 30), chars(ALNUM, 20))
                .prop_map(|(a, b, c)| format!("eyJ{a}.eyJ{b}.{c}")),
            chars(ALNUM, 40).prop_map(|r| format!(
                "-----BEGIN PRIVATE KEY-----\nMII{r}\n-----END PRIVATE KEY-----"
            )),
        ]
    }

    /// Names of fields whose values must go, however they are spelled.
    fn secret_name() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "password",
            "Client-Secret",
            "X_API_KEY",
            "apiKey",
            "private_key",
            "Authorization",
            "refresh_token",
            "key",
            "DB.Password",
        ])
    }

    /// Where in a body the credential goes.
    #[derive(Clone, Debug)]
    enum Place {
        /// Inside the text of an ordinary field, between separators.
        InText(&'static str, &'static str),
        /// As the whole value of a credential-named field (any value, not only known formats).
        UnderSecretName(&'static str),
        /// As a property name or form field name.
        AsName,
        /// As an array element (JSON) or a bare form pair (form).
        Alone,
    }

    fn place() -> impl Strategy<Value = Place> {
        let before = prop::sample::select(vec!["", " ", ": ", "=", "/", "\n", "(", "\""]);
        let after = prop::sample::select(vec!["", " ", ".", ",", ")", "\n", "&", "\""]);
        prop_oneof![
            (before, after).prop_map(|(b, a)| Place::InText(b, a)),
            secret_name().prop_map(Place::UnderSecretName),
            Just(Place::AsName),
            Just(Place::Alone),
        ]
    }

    /// Ordinary fields around the planted one.
    fn fields() -> impl Strategy<Value = Vec<(String, String)>> {
        prop::collection::vec(
            (chars(b"abcdefghijklmnopqrstuvwxyz", 5), chars(ALNUM, 8)),
            0..6,
        )
    }

    fn percent_encode(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    fn json_body(
        mut fields: Vec<(String, String)>,
        at: usize,
        secret: &str,
        place: &Place,
        depth: usize,
    ) -> String {
        let at = at % (fields.len() + 1);
        let mut map = serde_json::Map::new();
        let mut items = Vec::new();
        match place {
            Place::InText(b, a) => fields.insert(at, ("note".into(), format!("{b}{secret}{a}"))),
            Place::UnderSecretName(name) => fields.insert(at, (name.to_string(), secret.into())),
            Place::AsName => fields.insert(at, (secret.into(), "1".into())),
            Place::Alone => items.push(serde_json::Value::String(secret.into())),
        }
        for (k, v) in fields {
            map.insert(k, serde_json::Value::String(v));
        }
        map.insert("items".into(), serde_json::Value::Array(items));
        let mut v = serde_json::Value::Object(map);
        for _ in 0..depth {
            v = serde_json::json!({ "data": [v] });
        }
        v.to_string()
    }

    fn form_body(
        mut fields: Vec<(String, String)>,
        at: usize,
        secret: &str,
        place: &Place,
        encode: bool,
    ) -> String {
        let at = at % (fields.len() + 1);
        match place {
            Place::InText(b, a) => fields.insert(at, ("note".into(), format!("{b}{secret}{a}"))),
            Place::UnderSecretName(name) => fields.insert(at, (name.to_string(), secret.into())),
            Place::AsName | Place::Alone => fields.insert(at, (secret.into(), "1".into())),
        }
        fields
            .iter()
            .map(|(k, v)| {
                if encode {
                    format!("{}={}", percent_encode(k), percent_encode(v))
                } else {
                    format!("{k}={v}")
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The part of a credential that identifies it: what must not be stored.
    fn tail(secret: &str) -> &str {
        let body = secret
            .trim_end_matches("-----END PRIVATE KEY-----")
            .trim_end();
        &body[body.len() - 12..]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn planted_credentials_never_survive(
            secret in credential(),
            password in chars(ALNUM, 16),
            place in place(),
            fields in fields(),
            at in 0usize..8,
            depth in 0usize..3,
            form in any::<bool>(),
            encode in any::<bool>(),
        ) {
            // Under a credential-named field any value goes, not only known formats.
            let planted = match place {
                Place::UnderSecretName(_) => format!("hunter2{password}"),
                _ => secret.clone(),
            };
            let (body, content_type) = if form {
                (form_body(fields, at, &planted, &place, encode), "application/x-www-form-urlencoded")
            } else {
                (json_body(fields, at, &planted, &place, depth), "application/json")
            };
            let logged = body_for_log(body.as_bytes(), Some(content_type));
            prop_assert!(!logged.contains(tail(&planted)), "{body}\n=> {logged}");
            prop_assert!(logged.contains(REDACTED), "{body}\n=> {logged}");
        }
    }
}
