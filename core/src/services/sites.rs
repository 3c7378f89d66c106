//! Where keys are used from: the bookkeeping writer learns each key's networks (a /24 of
//! IPv4, a /64 of IPv6) from its batches, and the first use of a key from a new network, when
//! it was used from elsewhere before, is an alert — audited, told to the key's owner and the
//! workspace's admins, and sent to webhooks as `key.new_address`.

use crate::error::AppResult;
use crate::services::usage::Access;
use crate::services::{audit, notifications, webhooks};
use crate::store::db::Db;
use domain::audit::AuditAction;
use domain::ids::ApiKeyId;
use std::collections::HashMap;

/// Pairs of (key row, network) the writer remembers as stored, so a key used from its usual
/// networks costs no write; beyond this many it starts afresh.
const REMEMBERED: usize = 100_000;

/// Records the networks of `batch`'s requests and raises an alert for each new one of a key
/// seen elsewhere before. Pairs in `known` are skipped; what is written joins it.
pub async fn learn(
    db: &Db,
    batch: &[Access],
    known: &mut std::collections::HashSet<(ApiKeyId, String)>,
) -> AppResult<usize> {
    // A batch is mostly a few keys calling from a few addresses: each pair's network is
    // worked out once, not per request.
    let mut addresses: HashMap<(ApiKeyId, std::net::IpAddr), &Access> = HashMap::new();
    for a in batch {
        if let Some(ip) = a.address {
            addresses.entry((a.key.id, ip)).or_insert(a);
        }
    }
    let mut seen: HashMap<(ApiKeyId, String), &Access> = HashMap::new();
    for ((key, ip), a) in addresses {
        let pair = (key, domain::network::site_of(ip));
        if !known.contains(&pair) {
            let first = seen.entry(pair).or_insert(a);
            // The earliest request from the network, whichever address it came from.
            if a.at < first.at {
                *first = a;
            }
        }
    }
    if known.len() > REMEMBERED {
        known.clear();
    }
    let mut alerts = 0;
    let entries: Vec<_> = seen.into_iter().collect();
    for chunk in entries.chunks(300) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO key_networks (key_row_id, network, first_seen) VALUES {} \
             ON CONFLICT DO NOTHING RETURNING key_row_id, network",
            values.join(", ")
        );
        let mut q = sqlx::query_as::<_, (ApiKeyId, String)>(&sql).persistent(false);
        for ((row, network), a) in chunk {
            q = q.bind(*row).bind(network.clone()).bind(a.at);
        }
        let fresh = q.fetch_all(db.pool()).await?;
        known.extend(
            chunk
                .iter()
                .map(|((row, network), _)| (*row, network.clone())),
        );
        for (row, network) in fresh {
            let (known,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM key_networks WHERE key_row_id = $1")
                    .bind(row)
                    .fetch_one(db.pool())
                    .await?;
            if known < 2 {
                continue; // its first network: nothing to compare with
            }
            if let Some(((_, _), a)) = chunk.iter().find(|((r, n), _)| *r == row && *n == network) {
                alert(db, a, &network).await?;
                alerts += 1;
            }
        }
    }
    Ok(alerts)
}

/// The alert of `a`'s key first used from `network`.
async fn alert(db: &Db, a: &Access, network: &str) -> AppResult<()> {
    let key = &a.key;
    let address = a.address.map(|ip| ip.to_string()).unwrap_or_default();
    let mut tx = db.write().await?;
    audit::record(
        &mut tx,
        audit::Event {
            workspace: Some(key.workspace_id),
            target: format!("key:{}", key.key_id),
            detail: format!("first use from {network}"),
            address: &address,
            ..audit::Event::new(AuditAction::KeyNewAddress)
        },
    )
    .await?;
    webhooks::enqueue(
        &mut tx,
        key.workspace_id,
        domain::webhooks::Event::KeyNewAddress,
        serde_json::json!({
            "key_id": key.key_id,
            "name": key.name,
            "owner": key.owner_email,
            "network": network,
            "address": address,
        }),
    )
    .await?;
    notifications::about_key(
        &mut tx,
        key.workspace_id,
        key.owner_id,
        &key.key_id,
        "key.new_address",
        &format!(
            "Key {} ({}) was used from a new network, {network} (address {address}). If that was not you, revoke it.",
            key.name, key.key_id
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
