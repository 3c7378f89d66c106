//! Least privilege from observed use: the permissions a key's requests needed, and narrowing
//! it to them without a new secret.

use crate::helpers::*;
use domain::routes::RouteId;

const PATH: &str = "/settings/api-keys/narrow";

async fn page_text(res: reqwest::Response) -> (u16, String) {
    (
        res.status().as_u16(),
        res.text().await.unwrap().replace("<!>", ""),
    )
}

/// The "Narrow permissions" page of key `id` as `client` sees it.
async fn show(app: &TestApp, client: &reqwest::Client, id: &str) -> (u16, String) {
    page_text(
        client
            .get(app.url(PATH))
            .query(&[("key", id)])
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_key_is_narrowed_to_what_its_requests_needed() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let secret = app
        .create_key_secret(
            &owner,
            key(
                "deployer",
                &["applications:read", "applications:write", "members:read"],
            ),
        )
        .await;
    let id = app.key_row_id(&secret).await;
    let list = app
        .route(RouteId::ApplicationsList, &[], &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    eventually("the key's use is recorded", || async {
        app.count("key_route_use").await >= 1
    })
    .await;

    // The credential tester shows the same comparison.
    let report = app
        .run(&owner, app::pages::tester::InspectKey { id: id.clone() })
        .await
        .unwrap();
    assert!(report.use_observed);
    let needed = |p: &str| {
        report
            .permissions
            .iter()
            .find(|l| l.id == p)
            .unwrap()
            .last_needed
    };
    assert!(needed("applications:read").is_some());
    assert_eq!(needed("applications:write"), None);

    let (status, html) = show(&app, &owner, &id).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Narrow permissions"));
    assert!(
        html.contains("2 permissions were not needed in the last 30 days."),
        "{html}"
    );
    let line = |p: &str| {
        html.split(&format!("<code>{p}</code>"))
            .nth(1)
            .unwrap()
            .to_string()
    };
    assert!(line("applications:read").contains("Used, last"));
    assert!(line("applications:write").contains("Not used"));
    // What was used is kept by default.
    assert!(
        html.contains("value=\"applications:read\" checked"),
        "{html}"
    );
    assert!(!html.contains("value=\"applications:write\" checked"));

    let (status, done) = page_text(
        owner
            .post(app.url(PATH))
            .form(&[("key", id.as_str()), ("keep", "applications:read")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert!(
        done.contains("deployer no longer holds applications:write, members:read."),
        "{done}"
    );
    // The same secret, at once: reads still work, writes are refused.
    let read = app
        .route(RouteId::ApplicationsList, &[], &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let write = app.api_create_application(&secret, "new").await;
    assert_eq!(write.status(), 403);
    let events = app.audit_events().await;
    let narrowed = events.iter().find(|e| e.0 == "key.narrowed").unwrap();
    assert_eq!(
        narrowed.2,
        "removed applications:write members:read; kept applications:read"
    );
}

#[tokio::test]
async fn narrowing_only_removes_and_auditors_never_narrow() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let secret = app
        .create_key_secret(
            &owner,
            key("k", &["applications:read", "applications:write"]),
        )
        .await;
    let id = app.key_row_id(&secret).await;
    let post = |client: reqwest::Client, keep: Vec<&'static str>| {
        let app = &app;
        let id = id.clone();
        async move {
            let mut form = vec![("key", id)];
            form.extend(keep.into_iter().map(|k| ("keep", k.to_string())));
            page_text(client.post(app.url(PATH)).form(&form).send().await.unwrap()).await
        }
    };
    for (keep, message) in [
        (vec!["keys:write"], "only removes"),
        (vec![], "at least one permission"),
        (
            vec!["applications:read", "applications:write"],
            "Choose a permission to remove",
        ),
        (vec!["nope:read"], "nope:read"),
    ] {
        let (status, html) = post(owner.clone(), keep.clone()).await;
        assert_eq!(status, 400, "{keep:?}");
        assert!(html.contains(message), "{keep:?}: {html}");
    }
    let auditor = app.add_member("audit@example.com", "auditor").await;
    let (status, html) = post(auditor.clone(), vec!["applications:read"]).await;
    assert_eq!(status, 400);
    assert!(html.contains("keys:write may narrow"), "{html}");
    // The auditor sees the comparison, without the form.
    let (status, html) = show(&app, &auditor, &id).await;
    assert_eq!(status, 200);
    assert!(!html.contains("Narrow key"), "{html}");
    assert!(app.works(&secret).await);
    assert!(!app
        .audit_actions()
        .await
        .contains(&"key.narrowed".to_string()));
}
