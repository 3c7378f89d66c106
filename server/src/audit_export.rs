//! The audit log's exports: the filtered view of the console's audit page, as CSV or JSON
//! Lines, streamed page by page so a million events leave in constant memory. Each row keeps
//! its place and hashes, so an export can be checked against the chain on its own.

use crate::console_forms::Member;
use app::request::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::access::Principal;
use domain::audit::{AuditEvent, AuditQuery, Cursor};
use futures_util::StreamExt;
use keyward_core::services::audit;

/// Events read per page of an export.
const EXPORT_BATCH: usize = 500;

#[derive(Clone, Copy)]
pub enum Format {
    Csv,
    JsonLines,
}

const CSV_HEADER: &str =
    "seq,time,actor,actor_key,action,target,detail,address,previous_hash,hash\r\n";

/// `GET /settings/audit/export.csv`.
pub async fn csv(state: State<AppState>, member: Member, query: RawQuery) -> Response {
    export(state, member, query, Format::Csv).await
}

/// `GET /settings/audit/export.jsonl`.
pub async fn json_lines(state: State<AppState>, member: Member, query: RawQuery) -> Response {
    export(state, member, query, Format::JsonLines).await
}

async fn export(
    State(state): State<AppState>,
    Member(actor): Member,
    RawQuery(raw): RawQuery,
    format: Format,
) -> Response {
    let refused = |status: StatusCode, message: String| (status, message).into_response();
    if let Err(e) = app::request::auth::meets(&actor, "audit_page") {
        return refused(StatusCode::FORBIDDEN, e.to_string());
    }
    let params = domain::paging::QueryParams::parse(&raw.unwrap_or_default());
    // The export is the whole filtered view: a cursor in the link is not part of it.
    let query = match AuditQuery::from_params(|name| params.get(name)) {
        Ok(q) => q.at(None),
        Err(message) => return refused(StatusCode::BAD_REQUEST, message),
    };
    let viewer = actor.principal();
    // The first page is read before answering, so a refusal is an error status, not an
    // empty file.
    let first = match audit::page(&state.db, &viewer, &query, EXPORT_BATCH).await {
        Ok(page) => page,
        Err(e) => {
            let e = crate::api::error::ApiError::from(e);
            return refused(e.status, e.message);
        }
    };
    let mut head = match format {
        Format::Csv => CSV_HEADER.as_bytes().to_vec(),
        Format::JsonLines => Vec::new(),
    };
    write_rows(&mut head, &first.events, format);
    let rest = Rest {
        state,
        viewer,
        query,
        next: first.next,
        format,
    };
    let body = futures_util::stream::once(async move { Ok(Bytes::from(head)) })
        .chain(futures_util::stream::try_unfold(rest, Rest::more));
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::JsonLines => ("application/x-ndjson", "jsonl"),
    };
    download(
        Body::from_stream(body),
        content_type,
        &format!("keyward-audit-{}.{extension}", actor.workspace_id),
    )
}

/// A file to save as `filename`, never cached: what every export answers with.
pub(crate) fn download(body: Body, content_type: &'static str, filename: &str) -> Response {
    let mut res = Response::new(body);
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The whole log of `viewer`'s workspace under `query`, written to `out` page by page
/// (`keyward audit export`).
pub async fn write_all(
    db: &keyward_core::store::db::Db,
    viewer: &Principal,
    query: &AuditQuery,
    format: Format,
    out: &mut impl std::io::Write,
) -> Result<u64, Box<dyn std::error::Error>> {
    if let Format::Csv = format {
        out.write_all(CSV_HEADER.as_bytes())?;
    }
    let (mut cursor, mut written) = (None, 0);
    loop {
        let page = audit::page(db, viewer, &query.at(cursor), EXPORT_BATCH)
            .await
            .map_err(|e| e.to_string())?;
        let mut rows = Vec::with_capacity(EXPORT_BATCH * 200);
        write_rows(&mut rows, &page.events, format);
        out.write_all(&rows)?;
        written += page.events.len() as u64;
        match page.next {
            Some(after) => cursor = Some(Cursor::After(after)),
            None => return Ok(written),
        }
    }
}

/// The pages after the first, read one at a time as the client takes them.
struct Rest {
    state: AppState,
    viewer: Principal,
    query: AuditQuery,
    next: Option<i64>,
    format: Format,
}

impl Rest {
    async fn more(mut self) -> Result<Option<(Bytes, Rest)>, std::io::Error> {
        let Some(after) = self.next else {
            return Ok(None);
        };
        let page = audit::page(
            &self.state.db,
            &self.viewer,
            &self.query.at(Some(Cursor::After(after))),
            EXPORT_BATCH,
        )
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "audit export stopped");
            std::io::Error::other("the audit export stopped")
        })?;
        let mut out = Vec::with_capacity(EXPORT_BATCH * 200);
        write_rows(&mut out, &page.events, self.format);
        self.next = page.next;
        Ok(Some((Bytes::from(out), self)))
    }
}

fn write_rows(out: &mut Vec<u8>, events: &[AuditEvent], format: Format) {
    for e in events {
        match format {
            Format::JsonLines => {
                if serde_json::to_writer(&mut *out, e).is_ok() {
                    out.push(b'\n');
                }
            }
            Format::Csv => {
                let seq = e.seq.to_string();
                let time = domain::dates::format_rfc3339(e.at);
                let fields = [
                    seq.as_str(),
                    &time,
                    e.actor.as_deref().unwrap_or(""),
                    e.actor_key.as_deref().unwrap_or(""),
                    &e.action,
                    &e.target,
                    &e.detail,
                    &e.address,
                    &e.previous_hash,
                    &e.hash,
                ];
                for (i, f) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    csv_field(out, f);
                }
                out.extend_from_slice(b"\r\n");
            }
        }
    }
}

/// One CSV field (RFC 4180): quoted when it holds a separator, a quote or a line break. A
/// value a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is quoted with a
/// leading `'`, so opening an export never runs what a member typed into a name.
pub(crate) fn csv_field(out: &mut Vec<u8>, value: &str) {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || value.contains([',', '"', '\n', '\r']);
    if !quote {
        out.extend_from_slice(value.as_bytes());
        return;
    }
    out.push(b'"');
    if formula {
        out.push(b'\'');
    }
    out.extend_from_slice(value.replace('"', "\"\"").as_bytes());
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(v: &str) -> String {
        let mut out = Vec::new();
        csv_field(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_fields_are_quoted_where_they_must_be_and_never_run_as_formulas() {
        assert_eq!(field("key:AbCd1234"), "key:AbCd1234");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "\"'-1\"");
    }
}
