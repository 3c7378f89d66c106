//! Settings → Access reviews: a reviewer starts a review of every live key; each key's owner
//! (or a reviewer) confirms it as still needed, with a note, or revokes it; the keys nobody
//! confirmed are revoked in one previewed step; the review is closed and its evidence exported.
//!
//! Rendered on the server as one fragment, like the audit log: its forms are plain posts to
//! `server/src/access_reviews.rs`, which answer by coming back here, with or without
//! JavaScript.

use crate::components::server_fragment;
use domain::access_review::ACCESS_REVIEWS_PAGE;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccessReviewsPage() -> impl IntoView {
    view! {
        <Title text="Access reviews" />
        <h1>"Access reviews"</h1>
        <p class="hint">"Every live key, confirmed by its owner or a reviewer as still needed, or revoked. What nobody confirms can be revoked at the end, and the decisions are kept as evidence."</p>
        {server_fragment("access_reviews_page", (ACCESS_REVIEWS_PAGE, "Back to access reviews"))}
    }
}

/// The page's HTML, made on the server only.
#[cfg(feature = "ssr")]
pub mod rendered {
    use crate::components::{when, Pager};
    use domain::access::Principal;
    use domain::access_review::{
        Decision, ReviewQuery, Show, ACCESS_REVIEWS_PAGE, CLOSE_PATH, DECIDE_PATH, EVIDENCE_CSV,
        EVIDENCE_JSON, START_PATH,
    };
    use domain::authorization::{decide, Action, KeyFacts};
    use domain::paging::{link, PAGE_SIZE};
    use keyward_core::error::AppError;
    use keyward_core::services::access_reviews::{self, Item, Progress, Review};
    use keyward_core::store::db::Db;
    use leptos::prelude::*;

    /// What a finished form post says when it comes back (`done=`).
    fn notice(done: Option<String>) -> Option<&'static str> {
        Some(match done?.as_str() {
            "started" => "The review started: every live key is listed below.",
            "kept" => "The key is confirmed as still needed.",
            "revoked" => "The key was revoked.",
            "closed" => "The review is closed.",
            _ => return None,
        })
    }

    /// The page of `viewer`'s workspace for the URL query `search`.
    pub async fn html(db: &Db, viewer: &Principal, search: &str) -> Result<String, AppError> {
        let query = ReviewQuery::parse(search).map_err(AppError::invalid)?;
        let done = domain::paging::QueryParams::parse(search).get("done");
        let reviewer = decide(viewer, Action::RunAccessReview).is_ok();
        let review = match &query.review {
            Some(id) => Some(access_reviews::get(db, viewer.workspace, *id).await?),
            None => access_reviews::open(db, viewer.workspace).await?,
        };
        let now = keyward_core::now();
        let shown = match &review {
            Some(r) => Some(shown_review(db, viewer, r, &query, reviewer, now).await?),
            None => None,
        };
        let start = (reviewer && !review.as_ref().is_some_and(Review::open)).then(|| {
            view! {
                <form method="post" action=START_PATH class="inline">
                    <button type="submit">"Start review"</button>
                </form>
            }
        });
        let none = review.is_none().then(|| {
            let text = if reviewer {
                "No review is open. Starting one lists every live key of the workspace for its owner or a reviewer to confirm or revoke."
            } else {
                "No review is open. When a reviewer starts one, your keys are listed here for you to confirm or revoke."
            };
            view! { <p class="empty">{text}</p> }
        });
        let history = if reviewer {
            past_reviews(db, viewer, review.as_ref()).await?
        } else {
            None
        };
        Ok(view! {
            {notice(done).map(|n| view! { <p class="notice" role="status">{n}</p> })}
            {start}
            {none}
            {shown}
            {history}
        }
        .to_html())
    }

    /// The reviews before the one shown, each with its evidence.
    async fn past_reviews(
        db: &Db,
        viewer: &Principal,
        shown: Option<&Review>,
    ) -> Result<Option<AnyView>, AppError> {
        let past: Vec<Review> = access_reviews::history(db, viewer.workspace, 20)
            .await?
            .into_iter()
            .filter(|r| shown.is_none_or(|s| s.id != r.id))
            .collect();
        if past.is_empty() {
            return Ok(None);
        }
        let rows = past
            .into_iter()
            .map(|r| {
                let open = link(ACCESS_REVIEWS_PAGE, &[("review", r.id.to_string())], &[]);
                let state = match r.closed_at {
                    Some(at) => format!("Closed {} by {}", when(Some(at)), r.closed_by.clone().unwrap_or_default()),
                    None => "Open".into(),
                };
                view! {
                    <tr>
                        <th scope="row"><a href=open>{format!("Started {}", when(Some(r.started_at)))}</a></th>
                        <td>{r.started_by.clone()}</td>
                        <td>{state}</td>
                        <td class="actions">
                            <a href=link(EVIDENCE_CSV, &[("review", r.id.to_string())], &[]) download="">"CSV"</a>
                            <a href=link(EVIDENCE_JSON, &[("review", r.id.to_string())], &[]) download="">"JSON"</a>
                        </td>
                    </tr>
                }
            })
            .collect_view();
        Ok(Some(
            view! {
                <h2>"Earlier reviews"</h2>
                <div class="table-wrap">
                <table>
                    <caption class="visually-hidden">"Earlier reviews"</caption>
                    <thead><tr>
                        <th scope="col">"Review"</th><th scope="col">"Started by"</th>
                        <th scope="col">"State"</th><th scope="col">"Evidence"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
                </div>
            }
            .into_any(),
        ))
    }

    /// One review: its progress, its controls, and a page of its keys.
    async fn shown_review(
        db: &Db,
        viewer: &Principal,
        review: &Review,
        query: &ReviewQuery,
        reviewer: bool,
        now: i64,
    ) -> Result<AnyView, AppError> {
        let progress = access_reviews::progress(db, viewer, review.id).await?;
        let page = access_reviews::items(
            db,
            viewer,
            review.id,
            query.show,
            query.cursor.as_ref(),
            PAGE_SIZE,
        )
        .await?;
        // Links keep naming the review shown, so a page of a closed review stays on it.
        let view_of = |show: Show| ReviewQuery {
            review: query.review,
            show,
            cursor: None,
        };
        let at = |c: Option<String>, back: bool| c.map(|k| query.at(Some((k, back))).href());
        let (next, previous) = (at(page.next, false), at(page.previous, true));
        let tabs = Show::ALL
            .into_iter()
            .map(|s| {
                let current = (s == query.show).then_some("page");
                view! { <li><a href=view_of(s).href() aria-current=current>{s.label()}</a></li> }
            })
            .collect_view();
        let open = review.open();
        // Offered while an undecided key still works (the first one found is enough).
        let offer_unconfirmed = reviewer
            && open
            && progress.undecided() > 0
            && !access_reviews::unconfirmed(db, viewer, review.id, 1, now)
                .await?
                .0
                .is_empty();
        let controls = (reviewer && open).then(|| {
            let unconfirmed = link(
                crate::pages::bulk_revoke::BULK_REVOKE_PATH,
                &[("review", review.id.to_string())],
                &[],
            );
            view! {
                <div class="row">
                    {offer_unconfirmed.then(|| view! {
                        <a class="button danger" role="button" href=unconfirmed>"Revoke unconfirmed keys"</a>
                    })}
                    <form method="post" action=CLOSE_PATH class="inline">
                        <input type="hidden" name="review" value=review.id.to_string() />
                        <button type="submit" class="secondary">"Close review"</button>
                    </form>
                </div>
            }
        });
        let evidence = reviewer.then(|| view! {
            <p class="row">
                "Export evidence: "
                <a href=link(EVIDENCE_CSV, &[("review", review.id.to_string())], &[]) download="">"CSV"</a>
                <a href=link(EVIDENCE_JSON, &[("review", review.id.to_string())], &[]) download="">"JSON"</a>
            </p>
        });
        let empty = page.rows.is_empty();
        let rows = page
            .rows
            .into_iter()
            .map(|item| item_row(viewer, review.id, open, item, now))
            .collect_view();
        let state = match review.closed_at {
            Some(at) => format!(
                ", closed {} by {}",
                when(Some(at)),
                review.closed_by.clone().unwrap_or_default()
            ),
            None => String::new(),
        };
        Ok(view! {
            <section aria-label="Review">
                <h2>{if open { "Open review" } else { "Review" }}</h2>
                <p>{format!("Started {} by {}{state}.", when(Some(review.started_at)), review.started_by)}</p>
                <ProgressLine progress />
                {controls}
                {evidence}
                <nav class="filters" aria-label="Decisions"><ul>{tabs}</ul></nav>
                <div class="table-wrap">
                <table class="review">
                    <caption class="visually-hidden">"Keys in this review"</caption>
                    <thead><tr>
                        <th scope="col">"Name"</th><th scope="col">"Owner"</th><th scope="col">"Purpose"</th>
                        <th scope="col">"Permissions"</th><th scope="col">"Last used"</th>
                        <th scope="col">"Decision"</th>
                    </tr></thead>
                    <tbody>
                        {empty.then(|| view! { <tr><td colspan="6" class="empty">"No keys in this view."</td></tr> })}
                        {rows}
                    </tbody>
                </table>
                </div>
                <Pager label="Pages of reviewed keys" previous next />
            </section>
        }
        .into_any())
    }

    #[component]
    fn ProgressLine(progress: Progress) -> impl IntoView {
        let decided = progress.kept + progress.revoked;
        let text = format!(
            "{decided} of {} keys decided: {} still needed, {} revoked; {} undecided.",
            progress.total,
            progress.kept,
            progress.revoked,
            progress.undecided()
        );
        view! {
            <p>
                <label>"Progress "
                    <progress max=progress.total.max(1).to_string() value=decided.to_string()></progress>
                </label>
                " " <span>{text}</span>
            </p>
        }
    }

    /// One key: what it was at the start, what was decided, and (while the review is open and
    /// the viewer may decide) "Still needed" with a note, or "Revoke".
    fn item_row(
        viewer: &Principal,
        review: domain::ids::AccessReviewId,
        open: bool,
        item: Item,
        now: i64,
    ) -> impl IntoView {
        let prefix = domain::secret::KeyKind::try_from(item.kind.clone())
            .ok()
            .zip(domain::secret::KeyId::parse(&item.key_id))
            .map(|(kind, id)| domain::secret::display_prefix(kind, &id))
            .unwrap_or_else(|| item.key_id.clone());
        let status = item.status(now);
        let facts = KeyFacts {
            owner: item.owner_id,
            application: item.application_id,
        };
        let decision = item.decision();
        let may_decide = open
            && status.is_some_and(|s| s.usable())
            && decision != Some(Decision::Revoke)
            && decide(viewer, Action::ConfirmKey(facts)).is_ok();
        let outcome = match decision {
            Some(d) => format!(
                "{} by {} {}",
                d.label(),
                item.decided_by.clone().unwrap_or_default(),
                when(item.decided_at)
            ),
            None => match status {
                None => "Undecided; the key was deleted".into(),
                Some(s) if !s.usable() => {
                    format!("Undecided; the key is {}", s.label().to_lowercase())
                }
                Some(_) => "Awaiting a decision".into(),
            },
        };
        let note =
            (!item.note.is_empty()).then(|| view! { <span class="sub">{item.note.clone()}</span> });
        let form = may_decide.then(|| {
            let name = item.name.clone();
            view! {
                <form method="post" action=DECIDE_PATH class="stack" aria-label=format!("Decide on {name}")>
                    <input type="hidden" name="review" value=review.to_string() />
                    <input type="hidden" name="key" value=item.key_row_id.to_string() />
                    <label>"Note" <input type="text" name="note" maxlength="500" value=item.note.clone() /></label>
                    <div class="row">
                        <button type="submit" name="decision" value="keep" class="secondary">"Still needed"</button>
                        <button type="submit" name="decision" value="revoke" class="danger">"Revoke"</button>
                    </div>
                </form>
            }
        });
        let permissions = domain::permissions::PermissionSet::from_storage(&item.permissions)
            .ids()
            .join(" ");
        view! {
            <tr>
                <th scope="row">{item.name.clone()} <span class="sub"><code>{prefix}</code></span></th>
                <td>{item.owner_email.clone()}</td>
                <td>{if item.purpose.trim().is_empty() { "—".to_string() } else { item.purpose.clone() }}</td>
                <td><code>{permissions}</code></td>
                <td>{item.last_used_at.map(|t| when(Some(t))).unwrap_or_else(|| "Never".into())}</td>
                <td>{outcome} {note} {form}</td>
            </tr>
        }
    }
}
