//! Workspace webhooks: added with a signing secret shown once, fed from an outbox written in
//! the transaction of each change they report ([`enqueue`]) or by the expiry scan
//! ([`scan_expiry`]), and delivered by a background
//! worker ([`start_worker`]) that signs every body, retries with backoff and records each
//! attempt. Several instances may run the worker: a delivery is claimed before it is sent.

use crate::error::{AppError, AppResult};
use crate::store::db::{Db, Tx};
use domain::access::Principal;
use domain::authorization::{decide, Action};
use domain::ids::{ApiKeyId, UserId, WebhookId, WorkspaceId};
use domain::webhooks::{is_internal, Event, Target};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;
use uuid::Uuid;

/// Attempts before a delivery is given up: waits of 1 s, 2 s, 4 s, … about 34 minutes, so
/// a receiver may be away about an hour and a half.
pub const MAX_ATTEMPTS: i64 = 12;
/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the worker looks for due deliveries.
const POLL: Duration = Duration::from_millis(250);
/// How long a claimed delivery is held by the instance sending it.
const CLAIM_SECS: i64 = 60;

/// One webhook, as its page lists it (never its secret).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: String,
    pub created_at: i64,
}

/// One delivery and how it went.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Delivery {
    pub id: String,
    pub event: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub last_status: Option<i64>,
    pub last_error: String,
}

impl Delivery {
    /// "Delivered", "Retrying", or "Failed".
    pub fn state(&self) -> &'static str {
        match (self.delivered_at, self.next_attempt_at) {
            (Some(_), _) => "Delivered",
            (None, Some(_)) if self.attempts == 0 => "Pending",
            (None, Some(_)) => "Retrying",
            (None, None) => "Failed",
        }
    }
}

/// Whether webhooks may target the server's own networks (tests, or an operator's choice).
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowInternal(pub bool);

/// Checks that `target`'s host resolves, and only to addresses on the internet unless
/// `allow` says otherwise.
async fn check_target(
    target: &Target,
    allow: AllowInternal,
) -> AppResult<Vec<std::net::SocketAddr>> {
    let resolved = tokio::time::timeout(
        ATTEMPT_TIMEOUT,
        tokio::net::lookup_host((target.host.as_str(), target.port)),
    )
    .await
    .map_err(|_| AppError::invalid("The URL's host did not resolve in time."))?
    .map_err(|_| AppError::invalid("The URL's host does not resolve."))?
    .collect::<Vec<_>>();
    if resolved.is_empty() {
        return Err(AppError::invalid("The URL's host does not resolve."));
    }
    if !allow.0 && resolved.iter().any(|a| is_internal(a.ip())) {
        return Err(AppError::invalid(
            "The URL points inside this server's networks (loopback, private or link-local addresses); webhooks go to the internet.",
        ));
    }
    Ok(resolved)
}

/// Adds a webhook of `by`'s workspace for `events`; returns it and its signing secret (shown
/// once, never again).
pub async fn create(
    db: &Db,
    by: &Principal,
    url: &str,
    events: &[String],
    allow: AllowInternal,
) -> AppResult<(WebhookId, String)> {
    decide(by, Action::ManageWebhooks)?;
    let target =
        Target::parse(url).map_err(|e| domain::validate::InvalidInput::in_field("URL", e))?;
    let mut chosen: Vec<&'static str> = Vec::new();
    for e in events {
        let event =
            Event::parse(e).ok_or_else(|| AppError::invalid(format!("Unknown event \"{e}\".")))?;
        if !chosen.contains(&event.id()) {
            chosen.push(event.id());
        }
    }
    if chosen.is_empty() {
        return Err(AppError::invalid("Choose at least one event."));
    }
    check_target(&target, allow)
        .await
        .map_err(|e| domain::validate::InvalidInput::in_field("URL", e.to_string()))?;
    let id = WebhookId::random();
    let secret = format!(
        "whsec_{}",
        domain::secret::base62_from_random(
            crate::security::crypto::random_bytes(64).into_iter(),
            32
        )
    );
    let mut tx = db.write().await?;
    sqlx::query(
        "INSERT INTO webhooks (id, workspace_id, url, events, secret, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(by.workspace.to_string())
    .bind(&target.url)
    .bind(chosen.join(" "))
    .bind(&secret)
    .bind(by.user.to_string())
    .bind(crate::now())
    .execute(&mut *tx)
    .await?;
    crate::services::audit::record(
        &mut tx,
        crate::services::audit::event(
            by,
            domain::audit::AuditAction::WebhookAdded,
            format!("webhook:{id}"),
            format!("{} for {}", target.origin(), chosen.join(", ")),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((id, secret))
}

/// The webhooks of `by`'s workspace, newest first.
pub async fn list(db: &Db, by: &Principal) -> AppResult<Vec<Webhook>> {
    decide(by, Action::ManageWebhooks)?;
    Ok(sqlx::query_as(
        "SELECT id, url, events, created_at FROM webhooks WHERE workspace_id = $1 \
         ORDER BY created_at DESC, id",
    )
    .bind(by.workspace.to_string())
    .fetch_all(db.pool())
    .await?)
}

/// A webhook's latest deliveries, newest first.
pub async fn deliveries(
    db: &Db,
    by: &Principal,
    webhook: &str,
    limit: usize,
) -> AppResult<Vec<Delivery>> {
    decide(by, Action::ManageWebhooks)?;
    Ok(sqlx::query_as(&format!(
        "SELECT d.id, d.event, d.created_at, d.attempts, d.next_attempt_at, d.delivered_at, \
         d.last_status, d.last_error FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.webhook_id = $1 AND w.workspace_id = $2 ORDER BY d.created_at DESC, d.id LIMIT {limit}"
    ))
    .bind(webhook)
    .bind(by.workspace.to_string())
    .fetch_all(db.pool())
    .await?)
}

/// Deletes a webhook of `by`'s workspace with its deliveries.
pub async fn delete(db: &Db, by: &Principal, webhook: &str) -> AppResult<()> {
    decide(by, Action::ManageWebhooks)?;
    let mut tx = db.write().await?;
    let gone = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND workspace_id = $2")
        .bind(webhook)
        .bind(by.workspace.to_string())
        .execute(&mut *tx)
        .await?;
    crate::store::db::changed(gone)?;
    crate::services::audit::record(
        &mut tx,
        crate::services::audit::event(
            by,
            domain::audit::AuditAction::WebhookDeleted,
            format!("webhook:{webhook}"),
            String::new(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues `event` with `data` for every webhook of `workspace` that receives it, in the
/// transaction `tx` of the change it reports.
pub async fn enqueue(
    tx: &mut Tx,
    workspace: WorkspaceId,
    event: Event,
    data: serde_json::Value,
) -> AppResult<()> {
    let now = crate::now();
    let hooks: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM webhooks WHERE workspace_id = $1 AND (' ' || events || ' ') LIKE $2",
    )
    .bind(workspace.to_string())
    .bind(format!("% {} %", event.id()))
    .fetch_all(&mut **tx)
    .await?;
    for (hook,) in hooks {
        let id = Uuid::now_v7();
        let payload = serde_json::json!({
            "id": id.to_string(),
            "type": event.id(),
            "created": domain::dates::format_rfc3339(now),
            "workspace_id": workspace.to_string(),
            "data": data,
        });
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id.to_string())
        .bind(hook)
        .bind(event.id())
        .bind(payload.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The signature header's value for `body` sent at `t` under `secret`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{t}.{body}").as_bytes());
    format!(
        "t={t},v1={}",
        crate::security::crypto::hex(&mac.finalize().into_bytes())
    )
}

/// Seconds to wait after the `attempts`-th failed attempt: 1, 2, 4, … 2,048 at most.
fn backoff(attempts: i64) -> i64 {
    1i64 << attempts.clamp(1, 12).saturating_sub(1).min(11)
}

/// Sends the deliveries due now (at most 20); returns how many were attempted.
pub async fn deliver_due(
    db: &Db,
    client: &reqwest::Client,
    allow: AllowInternal,
) -> AppResult<usize> {
    let now = crate::now();
    let due: Vec<(String, String, String, String, String, i64, i64)> = sqlx::query_as(
        "SELECT d.id, w.url, w.secret, d.event, d.payload, d.attempts, d.next_attempt_at \
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
         WHERE d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= $1 \
         ORDER BY d.next_attempt_at LIMIT 20",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?;
    let mut attempted = 0;
    for (id, url, secret, event, payload, attempts, due_at) in due {
        // Claimed by this instance for a while: another worker skips it.
        let claimed = sqlx::query(
            "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3",
        )
        .bind(now + CLAIM_SECS)
        .bind(&id)
        .bind(due_at)
        .execute(db.pool())
        .await?
        .rows_affected();
        if claimed == 0 {
            continue;
        }
        attempted += 1;
        let outcome = send(client, allow, &url, &secret, &id, &event, &payload).await;
        let attempts = attempts + 1;
        let (delivered, status, error) = match outcome {
            Ok(status) if (200..300).contains(&status) => (true, Some(status), String::new()),
            Ok(status) => (false, Some(status), format!("answered {status}")),
            Err(e) => (false, None, e),
        };
        let next =
            (!delivered && attempts < MAX_ATTEMPTS).then(|| crate::now() + backoff(attempts));
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = $1, next_attempt_at = $2, delivered_at = $3, \
             last_status = $4, last_error = $5 WHERE id = $6",
        )
        .bind(attempts)
        .bind(next)
        .bind(delivered.then(crate::now))
        .bind(status.map(i64::from))
        .bind(error)
        .bind(&id)
        .execute(db.pool())
        .await?;
    }
    Ok(attempted)
}

/// One attempt: the status answered, or why there was none.
async fn send(
    client: &reqwest::Client,
    allow: AllowInternal,
    url: &str,
    secret: &str,
    id: &str,
    event: &str,
    payload: &str,
) -> Result<u16, String> {
    let target = Target::parse(url)?;
    // Checked again at each attempt: a name may resolve elsewhere since it was added.
    check_target(&target, allow)
        .await
        .map_err(|e| e.to_string())?;
    let t = crate::now();
    client
        .post(url)
        .header("content-type", "application/json")
        .header(
            domain::webhooks::SIGNATURE_HEADER,
            signature(secret, t, payload),
        )
        .header("keyward-event", event)
        .header("keyward-delivery", id)
        .body(payload.to_string())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| {
            if e.is_timeout() {
                "timed out".to_string()
            } else {
                "could not connect".to_string()
            }
        })
}

/// How often the expiry scan runs.
const EXPIRY_SCAN: Duration = Duration::from_secs(60);

/// The expiry warnings: `(threshold, event, window before expiry)`; `expired` looks back a
/// week, so keys that expired long before the first scan are not announced.
const EXPIRY_NOTICES: [(&str, Event, i64); 3] = [
    ("7d", Event::KeyExpiring, 7 * 86_400),
    ("1d", Event::KeyExpiring, 86_400),
    ("expired", Event::KeyExpired, -7 * 86_400),
];

/// Queues `key.expiring` (within 7 days, then within 1 day) and `key.expired` once per key
/// and threshold, for the live keys of every workspace; returns how many it queued. Each
/// notice is recorded with its event in one transaction, so several instances send it once.
pub async fn scan_expiry(db: &Db, now: i64) -> AppResult<usize> {
    let mut queued = 0;
    for (threshold, event, window) in EXPIRY_NOTICES {
        let (from, to) = if window > 0 {
            (now, now + window)
        } else {
            (now + window, now)
        };
        let due: Vec<(ApiKeyId, String, WorkspaceId, String, String, i64, UserId)> =
            sqlx::query_as(
                "SELECT k.id, k.key_id, k.workspace_id, k.name, u.email, k.expires_at, k.owner_id \
             FROM api_keys k JOIN users u ON u.id = k.owner_id \
             WHERE k.revoked_at IS NULL AND k.expires_at IS NOT NULL \
             AND k.expires_at > $1 AND k.expires_at <= $2 AND k.rotated_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM key_expiry_notices n \
                             WHERE n.key_row_id = k.id AND n.threshold = $3) \
             ORDER BY k.expires_at LIMIT 500",
            )
            .bind(from)
            .bind(to)
            .bind(threshold)
            .fetch_all(db.pool())
            .await?;
        for (row, key_id, workspace, name, owner, expires_at, owner_id) in due {
            let mut tx = db.write().await?;
            let fresh = sqlx::query(
                "INSERT INTO key_expiry_notices (key_row_id, threshold, at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(row)
            .bind(threshold)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if fresh == 0 {
                continue;
            }
            enqueue(
                &mut tx,
                workspace,
                event,
                serde_json::json!({
                    "key_id": key_id,
                    "name": name,
                    "owner": owner,
                    "expires": domain::dates::format_rfc3339(expires_at),
                }),
            )
            .await?;
            let when = domain::dates::format_utc(expires_at);
            let text = match event {
                Event::KeyExpired => format!("Key {name} ({key_id}) expired on {when}."),
                _ => format!("Key {name} ({key_id}) expires on {when}: rotate it or set a new expiry before then."),
            };
            crate::services::notifications::about_key(
                &mut tx,
                workspace,
                owner_id,
                &key_id,
                event.id(),
                &text,
            )
            .await?;
            tx.commit().await?;
            queued += 1;
        }
    }
    Ok(queued)
}

/// Runs the delivery worker until the process ends.
pub fn start_worker(db: Db, allow: AllowInternal) {
    let client = match reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhooks cannot be delivered");
            return;
        }
    };
    let scanning = db.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = scan_expiry(&scanning, crate::now()).await {
                tracing::warn!(error = %e, "the expiry scan failed");
            }
            tokio::time::sleep(EXPIRY_SCAN).await;
        }
    });
    tokio::spawn(async move {
        loop {
            match deliver_due(&db, &client, allow).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhook deliveries paused"),
            }
            tokio::time::sleep(POLL).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_and_backoff() {
        // HMAC-SHA-256 under "key" of "1.{}", computed with another implementation.
        let s = signature("key", 1, "{}");
        assert_eq!(
            s,
            "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
        assert_ne!(signature("key", 2, "{}"), s, "the time is signed");
        assert_eq!([1, 2, 3, 4, 12, 20].map(backoff), [1, 2, 4, 8, 2048, 2048]);
    }
}
