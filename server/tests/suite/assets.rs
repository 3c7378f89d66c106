//! The compiled site as browsers receive it: precompressed copies chosen by `Accept-Encoding`,
//! content-hashed names cached for a year, the icon for a day, everything else revalidated,
//! pages never cached.

use crate::helpers;

use helpers::{spawn_app_with, test_database_url};
use reqwest::header::{CACHE_CONTROL, CONTENT_ENCODING, SET_COOKIE, VARY, X_CONTENT_TYPE_OPTIONS};
use server::config::Config;

const HASHED: &str = "keyward.AbCdEfGhIjKlMnOpQrSt-_.wasm";

/// A site root holding one hashed file with its brotli and gzip copies, and one plain file.
fn site() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("keyward-site-{}", uuid::Uuid::new_v4()));
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join(HASHED), b"plain wasm").unwrap();
    std::fs::write(pkg.join(format!("{HASHED}.br")), b"brotli wasm").unwrap();
    std::fs::write(pkg.join(format!("{HASHED}.gz")), b"gzip wasm").unwrap();
    std::fs::write(pkg.join("unhashed.css"), b"body {}").unwrap();
    std::fs::write(dir.join("favicon.ico"), b"icon").unwrap();
    dir
}

#[tokio::test]
async fn assets_are_served_precompressed_and_cached_by_their_hashed_names() {
    let site = site();
    let mut config = Config::for_tests(test_database_url().await);
    config.site_root = site.to_str().unwrap().into();
    let app = spawn_app_with(config).await;
    let get = |path: &str, encoding: Option<&str>| {
        let mut req = app.client.get(format!("{}{path}", app.address));
        if let Some(e) = encoding {
            req = req.header("accept-encoding", e);
        }
        req.send()
    };
    let header = |res: &reqwest::Response, name| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };

    let path = format!("/pkg/{HASHED}");
    for (accepts, encoding, body) in [
        (Some("gzip, deflate, br, zstd"), Some("br"), "brotli wasm"),
        (Some("gzip"), Some("gzip"), "gzip wasm"),
        (None, None, "plain wasm"),
    ] {
        let res = get(&path, accepts).await.unwrap();
        assert_eq!(res.status(), 200, "{accepts:?}");
        assert_eq!(header(&res, CONTENT_ENCODING).as_deref(), encoding);
        assert_eq!(
            header(&res, CACHE_CONTROL).as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(header(&res, VARY).as_deref(), Some("accept-encoding"));
        assert_eq!(res.text().await.unwrap(), body);
    }

    // A name without a hash may change in place: browsers ask again each time.
    let res = get("/pkg/unhashed.css", Some("br")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, CONTENT_ENCODING), None);
    assert_eq!(header(&res, CACHE_CONTROL).as_deref(), Some("no-cache"));

    // A hashed name that is not there (yet) is not remembered as missing.
    let res = get("/pkg/keyward.ZZZZZZZZZZZZZZZZZZZZZZ.wasm", Some("br"))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(header(&res, CACHE_CONTROL).as_deref(), Some("no-cache"));

    // The icon keeps its name; a day-old copy is fine.
    let res = get("/favicon.ico", None).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        header(&res, CACHE_CONTROL).as_deref(),
        Some("public, max-age=86400")
    );

    // Probes stand outside the console's layers (no session, no sign-in redirect, even before
    // setup) but carry the same security headers.
    for probe in ["/healthz", "/readyz"] {
        let res = get(probe, None).await.unwrap();
        assert_eq!(res.status(), 200, "{probe}");
        assert_eq!(
            header(&res, X_CONTENT_TYPE_OPTIONS).as_deref(),
            Some("nosniff")
        );
        assert_eq!(header(&res, SET_COOKIE), None, "{probe}");
    }

    // Pages may show secrets: never stored.
    let res = get("/login", Some("br")).await.unwrap();
    assert_eq!(header(&res, CACHE_CONTROL).as_deref(), Some("no-store"));
    assert_eq!(header(&res, CONTENT_ENCODING), None);
    std::fs::remove_dir_all(site).unwrap();
}

/// Readiness is the database's as last checked in the background: a probe needs no
/// connection of its own, so probes answer at once even while every connection is busy; and
/// when the database stops answering (here: its pool held for longer than a check may take),
/// probes turn to 503 within about a second, and back once it answers again.
#[tokio::test]
async fn readiness_follows_the_database_without_touching_it() {
    use crate::helpers::eventually_within;
    use std::time::{Duration, Instant};
    let app = helpers::spawn_app().await;
    let status = |app: &helpers::TestApp| {
        let url = app.url("/readyz");
        async move { reqwest::get(url).await.unwrap().status().as_u16() }
    };
    assert_eq!(status(&app).await, 200);
    let pool = app.state.db.pool();
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await.unwrap());
    }
    let asked = Instant::now();
    let first = status(&app).await;
    assert!(
        asked.elapsed() < Duration::from_millis(500),
        "a probe waited {:?} for the database",
        asked.elapsed()
    );
    assert_eq!(first, 200, "the last check had succeeded");
    eventually_within("readiness to fail", Duration::from_secs(3), || async {
        status(&app).await == 503
    })
    .await;
    drop(held);
    eventually_within("readiness to recover", Duration::from_secs(3), || async {
        status(&app).await == 200
    })
    .await;
}
