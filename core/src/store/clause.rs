//! `WHERE` clauses assembled from optional filters, with their binds numbered `$1…` so one
//! text serves both databases.

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
}
