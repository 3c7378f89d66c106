//! Redaction of logged request and response bodies: whatever looks like a credential is
//! replaced before a body is stored, and the result is capped.

/// Longest stored body, in bytes.
pub const BODY_LOG_CAP: usize = 4096;

/// What replaces a credential.
pub const REDACTED: &str = "[redacted]";

/// JSON properties whose values are never stored (compared case-insensitively).
const SECRET_FIELDS: [&str; 8] = [
    "api_key",
    "key",
    "secret",
    "token",
    "password",
    "authorization",
    "access_token",
    "refresh_token",
];

/// A body fit to store: credentials removed, at most [`BODY_LOG_CAP`] bytes.
///
/// JSON bodies lose the values of secret-named properties; any text loses our secrets
/// (`kw_svc_…`, `kw_agt_…`) and anything shaped like a JWT. Bodies that are not UTF-8 are
/// described, not stored.
pub fn body_for_log(bytes: &[u8]) -> String {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return format!("[{} bytes, not text]", bytes.len());
    };
    let text = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut v) => {
            redact_json(&mut v);
            v.to_string()
        }
        Err(_) => redact_form(text),
    };
    cap(&redact_tokens(&text))
}

fn redact_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret_field(k) {
                    *v = serde_json::Value::String(REDACTED.into());
                } else {
                    redact_json(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

fn is_secret_field(name: &str) -> bool {
    SECRET_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

/// `a=1&key=…` → `a=1&key=[redacted]` when the text looks like a form.
fn redact_form(text: &str) -> String {
    if !text.contains('=') || text.contains(char::is_whitespace) {
        return text.to_string();
    }
    text.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_field(k) => format!("{k}={REDACTED}"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Replaces our secrets and JWT-shaped runs in free text.
fn redact_tokens(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        let at_word_start = i == 0 || !is_token_char(b[i - 1]);
        let ours = b[i..].starts_with(b"kw_svc_") || b[i..].starts_with(b"kw_agt_");
        let jwt = b[i..].starts_with(b"eyJ");
        if at_word_start && (ours || jwt) {
            let mut j = i;
            while j < b.len() && (is_token_char(b[j]) || (jwt && b[j] == b'.')) {
                j += 1;
            }
            let run = &text[i..j];
            if ours || run.matches('.').count() >= 2 {
                out.push_str(&text[copied..i]);
                out.push_str(REDACTED);
                copied = j;
            }
            i = j;
            continue;
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

    #[test]
    fn credentials_never_survive() {
        let cases = [
            format!(r#"{{"key":"{SECRET}","permissions":["a:read"]}}"#),
            format!(r#"{{"API_Key":"{SECRET}","name":"web"}}"#),
            format!(r#"{{"nested":{{"Token":"x"}},"note":"use {SECRET} here"}}"#),
            format!(r#"{{"items":[{{"password":"hunter2"}}],"jwt":"{JWT}"}}"#),
            format!("key={SECRET}&name=web"),
            format!("plain text with {SECRET}, and {JWT}."),
            format!("kw_agt_{}", &SECRET[7..]),
        ];
        for case in cases {
            let logged = body_for_log(case.as_bytes());
            for needle in [SECRET, JWT, "hunter2", &SECRET[7..]] {
                assert!(!logged.contains(needle), "{logged} holds {needle}");
            }
            assert!(logged.contains(REDACTED), "{logged}");
        }
    }

    #[test]
    fn ordinary_content_is_kept() {
        assert_eq!(
            body_for_log(br#"{"name":"web","count":2}"#),
            r#"{"count":2,"name":"web"}"#
        );
        assert_eq!(body_for_log(b"name=web&x=1"), "name=web&x=1");
        assert_eq!(body_for_log(b"the word eyJ. alone"), "the word eyJ. alone");
        assert_eq!(body_for_log(b"xkw_svc_notours"), "xkw_svc_notours");
        assert_eq!(body_for_log(&[0xff, 0xfe]), "[2 bytes, not text]");
    }

    #[test]
    fn bodies_are_capped_on_a_character_boundary() {
        let long = "é".repeat(BODY_LOG_CAP);
        let logged = body_for_log(long.as_bytes());
        assert!(logged.len() <= BODY_LOG_CAP + "…".len());
        assert!(logged.ends_with('…'));
    }
}
