//! Keys in bulk, written straight into the database in large multi-row inserts (not through
//! the API), so a test or a benchmark has a big workspace in seconds. Shared by the tests and
//! the benchmarks.

use app::ssr::db::Db;

/// Adds keys numbered `from..to` owned by `owner` in `workspace`: key ids `b0000000`…, names
/// `bulk N`, created at second N (so the list's order is the numbering), every other one
/// limited to `application` when given.
pub async fn add_keys(
    db: &Db,
    workspace: &str,
    owner: &str,
    application: Option<&str>,
    from: usize,
    to: usize,
) {
    let batch = 500;
    let mut added = from;
    while added < to {
        let rows = batch.min(to - added);
        let mut tx = db.write().await.unwrap();
        let mut sql = String::from(
            "INSERT INTO api_keys (id, key_id, workspace_id, owner_id, kind, name, purpose, \
             application_id, permissions, digest, created_at) VALUES ",
        );
        for i in 0..rows {
            let n = added + i;
            let id = uuid::Uuid::new_v4();
            // Key ids are 8 base62 characters; these never collide with a generated one in
            // practice.
            let key_id = format!("b{n:07}");
            let scope = match application {
                Some(a) if n % 2 == 1 => format!("'{a}'"),
                _ => "NULL".to_string(),
            };
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "('{id}', '{key_id}', '{workspace}', '{owner}', 'service', 'bulk {n}', '', {scope}, \
                 'applications:read', '{n:064x}', {n})"
            ));
        }
        sqlx::query(&sql).execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        added += rows;
    }
}
