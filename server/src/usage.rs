//! Key bookkeeping off the hot path: uses go into a bounded queue and are written in
//! batches. When the queue is full a use is dropped rather than slowing a request.

use app::ssr::db::Db;
use std::time::Duration;
use tokio::sync::mpsc;

const QUEUE: usize = 10_000;
const BATCH: usize = 500;

#[derive(Clone, Debug)]
pub struct UsageRecorder {
    tx: mpsc::Sender<(String, i64, String)>,
}

impl UsageRecorder {
    /// Starts the writer task.
    pub fn start(db: Db) -> UsageRecorder {
        let (tx, mut rx) = mpsc::channel::<(String, i64, String)>(QUEUE);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                let Some(first) = rx.recv().await else { break };
                batch.push(first);
                // Gather what else arrives shortly, then write once.
                let deadline = tokio::time::sleep(Duration::from_millis(200));
                tokio::pin!(deadline);
                while batch.len() < BATCH {
                    tokio::select! {
                        item = rx.recv() => match item { Some(i) => batch.push(i), None => break },
                        _ = &mut deadline => break,
                    }
                }
                // Keep only the latest use of each key.
                batch.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
                batch.dedup_by(|a, b| a.0 == b.0);
                if let Err(e) = app::ssr::keys::record_use(&db, &batch).await {
                    tracing::warn!(error = %e, "could not record key use");
                }
                batch.clear();
            }
        });
        UsageRecorder { tx }
    }

    pub fn record(&self, key_row_id: String, address: String) {
        let _ = self.tx.try_send((key_row_id, app::ssr::now(), address));
    }
}
