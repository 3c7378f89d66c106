//! Keyset pages: what every paged list does with the rows its query returned.
//!
//! A page query asks for `limit + 1` rows past its cursor, newest first going forward (after
//! a cursor) and oldest first going back (before one); the extra row only says that more lie
//! that way.

/// One page of rows and the cursors of the pages beside it.
#[derive(Debug)]
pub struct Page<T, C> {
    pub rows: Vec<T>,
    /// Where the next page starts (after the last row), when there is one.
    pub next: Option<C>,
    /// Where the previous page ends (before the first row), when there is one.
    pub previous: Option<C>,
}

/// The comparison and the order of a page query past its cursor: for a list read `ascending`
/// (oldest or A first) or not, fetched `backwards` (before the cursor) or not.
pub fn direction(ascending: bool, backwards: bool) -> (&'static str, &'static str) {
    if ascending != backwards {
        (">", "ASC")
    } else {
        ("<", "DESC")
    }
}

/// Makes a page of `rows` fetched `backwards` or not, from a cursor (`from_cursor`) or from
/// the start; `cursor_of` names a row's position.
pub fn finish<T, C>(
    mut rows: Vec<T>,
    limit: usize,
    backwards: bool,
    from_cursor: bool,
    cursor_of: impl Fn(&T) -> C,
) -> Page<T, C> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    if backwards {
        rows.reverse();
    }
    // Going back, more rows lie before; either way, a cursor means rows lie on its other side.
    let (has_previous, has_next) = if backwards {
        (more, true)
    } else {
        (from_cursor, more)
    };
    Page {
        next: rows.last().filter(|_| has_next).map(&cursor_of),
        previous: rows.first().filter(|_| has_previous).map(&cursor_of),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn going_back_reverses_the_order() {
        assert_eq!(direction(true, false), (">", "ASC"));
        assert_eq!(direction(true, true), ("<", "DESC"));
        assert_eq!(direction(false, false), ("<", "DESC"));
        assert_eq!(direction(false, true), (">", "ASC"));
    }

    #[test]
    fn pages_know_what_lies_beside_them() {
        // First page: 3 of 4 rows; more follow, nothing before.
        let p = finish(vec![9, 8, 7, 6], 3, false, false, |n| *n);
        assert_eq!((p.rows, p.next, p.previous), (vec![9, 8, 7], Some(7), None));
        // After a cursor, the last rows: something before, nothing after.
        let p = finish(vec![2, 1], 3, false, true, |n| *n);
        assert_eq!((p.rows, p.next, p.previous), (vec![2, 1], None, Some(2)));
        // Back before a cursor: rows come oldest first and are put in order.
        let p = finish(vec![4, 5, 6, 7], 3, true, true, |n| *n);
        assert_eq!(
            (p.rows, p.next, p.previous),
            (vec![6, 5, 4], Some(4), Some(6))
        );
        let p = finish(vec![8, 9], 3, true, true, |n| *n);
        assert_eq!((p.rows, p.next, p.previous), (vec![9, 8], Some(8), None));
    }
}
