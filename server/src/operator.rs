//! `keyward keys …`, `keyward members list`, `keyward audit export` and `keyward backup`: the
//! operator's commands, each against the configured database, printing text for people or
//! JSON (`--json`: one object per line for lists) for scripts.

use crate::config::Config;
use keyward_core::services::keys::KeyRecord;
use keyward_core::services::operator;
use keyward_core::store::db::Db;
use serde_json::json;
use std::io::Write;

type Outcome = Result<(), Box<dyn std::error::Error>>;

/// Keys read per page of a listing.
const BATCH: usize = 500;

fn key_json(k: &KeyRecord, now: i64) -> serde_json::Value {
    let row = k.to_row(now);
    json!({
        "key_id": k.key_id,
        "prefix": row.prefix,
        "name": k.name,
        "workspace_id": k.workspace_id,
        "owner": k.owner_email,
        "kind": k.kind().id(),
        "status": row.status.id(),
        "permissions": k.permissions().ids(),
        "application": k.application_name,
        "created_at": domain::dates::format_rfc3339(k.created_at),
        "expires_at": k.expires_at.map(domain::dates::format_rfc3339),
        "last_used_at": k.last_used_at.map(domain::dates::format_rfc3339),
        "revoked_reason": k.revoked_reason,
    })
}

fn key_line(k: &KeyRecord, now: i64) -> String {
    let row = k.to_row(now);
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        row.prefix,
        row.status.label(),
        k.owner_email,
        k.workspace_id,
        k.name,
        k.expires_at
            .map(domain::dates::format_utc)
            .unwrap_or_else(|| "never expires".into())
    )
}

async fn connect(config: &Config) -> Result<Db, Box<dyn std::error::Error>> {
    Ok(Db::connect(&config.database_url).await?)
}

/// `keyward keys list [--json]`: every key of every workspace, oldest first.
pub async fn list_keys(config: &Config, as_json: bool) -> Outcome {
    let db = connect(config).await?;
    let now = keyward_core::now();
    let mut out = std::io::stdout().lock();
    let mut after = None;
    loop {
        let page = operator::keys_page(&db, after, BATCH).await?;
        for k in &page {
            if as_json {
                writeln!(out, "{}", key_json(k, now))?;
            } else {
                writeln!(out, "{}", key_line(k, now))?;
            }
        }
        match page.last() {
            Some(k) if page.len() == BATCH => after = Some((k.created_at, k.id.to_string())),
            _ => break,
        }
    }
    db.close().await;
    Ok(())
}

/// `keyward keys show KEY_ID [--json]`.
pub async fn show_key(config: &Config, key_id: &str, as_json: bool) -> Outcome {
    let db = connect(config).await?;
    let key = operator::key(&db, key_id)
        .await
        .map_err(|_| format!("No key has the key id {key_id}."))?;
    let now = keyward_core::now();
    let shown = key_json(&key, now);
    if as_json {
        println!("{shown}");
    } else if let Some(fields) = shown.as_object() {
        for (name, value) in fields {
            let value = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "—".into(),
                other => other.to_string(),
            };
            println!("{name:<15} {value}");
        }
    }
    db.close().await;
    Ok(())
}

/// Prints the key ids a revocation ended.
fn print_revoked(revoked: &[String], as_json: bool) {
    if as_json {
        println!("{}", json!({ "revoked": revoked }));
    } else if revoked.is_empty() {
        println!("Nothing to revoke: no live key.");
    } else {
        for key_id in revoked {
            println!("revoked {key_id}");
        }
    }
}

/// `keyward keys revoke KEY_ID [--reason R]`.
pub async fn revoke_key(config: &Config, key_id: &str, reason: &str, as_json: bool) -> Outcome {
    let db = connect(config).await?;
    let revoked = operator::revoke(&db, key_id, reason)
        .await
        .map_err(|e| match e {
            keyward_core::error::AppError::NotFound => format!("No key has the key id {key_id}."),
            other => other.to_string(),
        })?;
    print_revoked(&revoked, as_json);
    db.close().await;
    Ok(())
}

/// `keyward keys revoke-all --owner EMAIL [--reason R]`.
pub async fn revoke_all(config: &Config, owner: &str, reason: &str, as_json: bool) -> Outcome {
    let db = connect(config).await?;
    let revoked = operator::revoke_all(&db, owner, reason)
        .await
        .map_err(|e| match e {
            keyward_core::error::AppError::NotFound => format!("No account has the email {owner}."),
            other => other.to_string(),
        })?;
    print_revoked(&revoked, as_json);
    db.close().await;
    Ok(())
}

/// `keyward members list [--json]`.
pub async fn list_members(config: &Config, as_json: bool) -> Outcome {
    let db = connect(config).await?;
    let mut out = std::io::stdout().lock();
    for m in operator::members(&db).await? {
        if as_json {
            writeln!(out, "{}", serde_json::to_string(&m)?)?;
        } else {
            writeln!(
                out,
                "{}\t{}\t{}\t{}",
                m.workspace_id, m.workspace, m.email, m.role
            )?;
        }
    }
    db.close().await;
    Ok(())
}

/// `keyward audit export --workspace ID [--csv]`: the workspace's whole log on stdout, JSON
/// Lines unless `--csv`.
pub async fn export_audit(config: &Config, workspace: &str, csv: bool) -> Outcome {
    let workspace = domain::ids::WorkspaceId::parse(workspace)
        .map_err(|_| format!("{workspace} is not a workspace id (see `keyward members list`)."))?;
    let db = connect(config).await?;
    let format = if csv {
        crate::audit_export::Format::Csv
    } else {
        crate::audit_export::Format::JsonLines
    };
    let mut out = std::io::stdout().lock();
    let written = crate::audit_export::write_all(
        &db,
        &domain::access::Principal::operator(workspace),
        &domain::audit::AuditQuery::default(),
        format,
        &mut out,
    )
    .await?;
    out.flush()?;
    eprintln!("{written} events exported.");
    db.close().await;
    Ok(())
}

/// `keyward backup PATH`.
pub async fn backup(config: &Config, path: &str) -> Outcome {
    let db = connect(config).await?;
    operator::backup(&db, path).await?;
    println!("Backed up to {path}.");
    db.close().await;
    Ok(())
}
