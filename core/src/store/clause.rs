//! `WHERE` clauses assembled from optional filters, with their binds numbered `$1…` so one
//! text serves both databases.

use crate::store::db::{Backend, Db};
use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;
use sqlx::Any;

/// A value bound to a numbered placeholder.
#[derive(Clone, Debug)]
pub enum Bind {
    Text(String),
    Int(i64),
}

/// A `WHERE` clause built from parts, with its binds numbered `$1…` (both databases).
#[derive(Clone, Default)]
pub struct Clause {
    parts: Vec<String>,
    binds: Vec<Bind>,
}

impl Clause {
    /// Binds `value` and returns its placeholder.
    pub fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    pub fn and(&mut self, part: String) {
        self.parts.push(part);
    }

    /// Keeps only the keys `viewer` may see ([`KeyVisibility`]), on the table aliased `alias`
    /// that holds a key's `owner_id` and `application_id`.
    pub fn visible_to(&mut self, alias: &str, viewer: &domain::access::Principal) {
        let visibility = domain::authorization::KeyVisibility::of(viewer);
        for (column, value) in [
            ("owner_id", visibility.owner.map(|o| o.to_string())),
            (
                "application_id",
                visibility.application.map(|a| a.to_string()),
            ),
        ] {
            if let Some(v) = value {
                let p = self.bind(Bind::Text(v.to_string()));
                self.and(format!("{alias}.{column} = {p}"));
            }
        }
    }

    pub fn sql(&self) -> String {
        self.parts.join(" AND ")
    }

    pub fn apply<'q, O>(
        &self,
        mut q: QueryAs<'q, Any, O, AnyArguments<'q>>,
    ) -> QueryAs<'q, Any, O, AnyArguments<'q>> {
        for b in &self.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(i) => q.bind(*i),
            };
        }
        q
    }

    /// The plan either database makes for `sql` with this clause's binds: the text of each
    /// step, for tests that hold a query to an index.
    pub async fn explain(&self, db: &Db, sql: &str) -> Result<Vec<String>, sqlx::Error> {
        let explain = match db.backend() {
            Backend::Sqlite => "EXPLAIN QUERY PLAN",
            Backend::Postgres => "EXPLAIN",
        };
        let explained = format!("{explain} {sql}");
        let lines: Vec<PlanLine> = self
            .apply(sqlx::query_as(&explained))
            .fetch_all(db.pool())
            .await?;
        Ok(lines.into_iter().map(|l| l.0).collect())
    }
}

/// One step of a plan: the last column of an `EXPLAIN` row on either database.
struct PlanLine(String);

impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for PlanLine {
    fn from_row(row: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(PlanLine(row.try_get(row.len() - 1)?))
    }
}
