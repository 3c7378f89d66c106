//! What every paged console list shares.

/// Rows on one page of a console list.
pub const PAGE_SIZE: usize = 50;
