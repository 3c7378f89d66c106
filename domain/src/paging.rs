//! What every paged console list shares.

/// Rows on one page of a console list.
pub const PAGE_SIZE: usize = 50;

/// What a refused cursor says: forged, from another listing, or at a row that is gone.
pub const INVALID_CURSOR: &str = "That page link is not valid; start again from the first page.";

/// The position a page was asked for by its `after` or `before` query parameter (an empty one
/// is absent), read by `parse`, and whether the page goes back (`before`).
pub fn cursor<T>(
    after: Option<String>,
    before: Option<String>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<(T, bool)>, &'static str> {
    let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let read = |v: &str| parse(v.trim()).ok_or(INVALID_CURSOR);
    match (given(after), given(before)) {
        (Some(_), Some(_)) => Err(INVALID_CURSOR),
        (Some(a), None) => Ok(Some((read(&a)?, false))),
        (None, Some(b)) => Ok(Some((read(&b)?, true))),
        (None, None) => Ok(None),
    }
}

/// The parameters of a URL query (`a=1&b=x%20y`, with or without its `?`), decoded.
pub fn query_pairs(search: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
        .into_owned()
        .collect()
}

/// A URL query's parameters, decoded and looked up by name (the first of a repeated one).
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(search: &str) -> QueryParams {
        QueryParams(query_pairs(search))
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// `base` with the query `pairs` then `extra`, each value percent-encoded: the link of one
/// view of a list.
pub fn link(base: &str, pairs: &[(&'static str, String)], extra: &[(&str, &str)]) -> String {
    let mut out = base.to_string();
    let all = pairs
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(extra.iter().copied());
    for (i, (k, v)) in all.enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        for b in v.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_encode_their_values() {
        let pairs = [("q", "a b&c".to_string())];
        assert_eq!(
            link("/x", &pairs, &[("k", "key:1")]),
            "/x?q=a%20b%26c&k=key%3A1"
        );
        assert_eq!(link("/x", &[], &[]), "/x");
        let back = query_pairs(&link("/x", &pairs, &[])["/x".len()..]);
        assert_eq!(back, vec![("q".to_string(), "a b&c".to_string())]);
        let params = QueryParams::parse("?q=a%20b&q=second&empty=");
        assert_eq!(params.get("q").as_deref(), Some("a b"));
        assert_eq!(params.get("empty").as_deref(), Some(""));
        assert_eq!(params.get("nope"), None);
    }

    #[test]
    fn a_page_is_asked_for_after_or_before_one_position() {
        let number = |s: &str| s.parse::<u32>().ok();
        assert_eq!(cursor(None, Some(String::new()), number), Ok(None));
        assert_eq!(
            cursor(Some(" 7".into()), None, number),
            Ok(Some((7, false)))
        );
        assert_eq!(cursor(None, Some("7".into()), number), Ok(Some((7, true))));
        assert_eq!(cursor(Some("x".into()), None, number), Err(INVALID_CURSOR));
        assert_eq!(
            cursor(Some("1".into()), Some("2".into()), number),
            Err(INVALID_CURSOR)
        );
    }
}
