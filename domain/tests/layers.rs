//! The crates form layers that point one way: `domain` (wasm-safe rules and types) ←
//! `keyward-core` (services and storage) ← `app` (pages and server functions) ← `server`
//! (HTTP). A dependency that points up, or a lower layer that reaches for a higher layer's
//! machinery, fails here before it becomes a cycle.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The workspace's packages as `cargo metadata` describes them.
fn metadata() -> Value {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The workspace's packages and the normal (non-dev) dependencies each declares, optional
/// ones included.
fn declared() -> Vec<(String, Vec<String>)> {
    metadata()["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

/// What each layer must not depend on: the layers above it, and the machinery that belongs
/// to them.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "keyward-domain",
        &[
            "keyward-core",
            "app",
            "server",
            "frontend",
            "tokio",
            "axum",
            "leptos",
            "tower-sessions",
            "argon2",
            "jsonwebtoken",
        ],
    ),
    (
        "keyward-core",
        &[
            "app",
            "server",
            "frontend",
            "leptos",
            "leptos_axum",
            "axum",
            "jsonwebtoken",
        ],
    ),
    ("app", &["server", "frontend", "sqlx"]),
    ("server", &["frontend", "sqlx"]),
];

#[test]
fn no_layer_depends_on_a_layer_above_it() {
    let packages = declared();
    for (layer, forbidden) in FORBIDDEN {
        let (_, deps) = packages
            .iter()
            .find(|(name, _)| name == layer)
            .unwrap_or_else(|| panic!("the workspace has no package {layer}"));
        for dep in deps {
            assert!(
                !forbidden.contains(&dep.as_str()),
                "{layer} must not depend on {dep}"
            );
        }
    }
}

/// The domain describes how its ids are stored (the `store` feature: sqlx's text encoding,
/// no I/O), for the storage layer only: the browser's build never compiles sqlx.
#[test]
fn the_domain_knows_sqlx_only_behind_the_storage_layers_feature() {
    let meta = metadata();
    let package = |name: &str| {
        meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("the workspace has no package {name}"))
            .clone()
    };
    let domain = package("keyward-domain");
    for dep in domain["dependencies"].as_array().unwrap() {
        if dep["name"] == "sqlx" {
            assert_eq!(dep["optional"], true, "the domain's sqlx must be optional");
        }
    }
    let features = &domain["features"];
    for (feature, enables) in features.as_object().unwrap() {
        let enables: Vec<&str> = enables
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        assert_eq!(
            enables.contains(&"dep:sqlx"),
            feature == "store",
            "only the domain's `store` feature may turn sqlx on ({feature}: {enables:?})"
        );
    }
    let asks_for_store = |name: &str| {
        package(name)["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| {
                d["name"] == "keyward-domain"
                    && d["features"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|f| f == "store")
            })
    };
    assert!(
        asks_for_store("keyward-core"),
        "the storage layer stores ids"
    );
    for browser_side in ["app", "frontend"] {
        assert!(
            !asks_for_store(browser_side),
            "{browser_side} must not turn on the domain's storage encoding"
        );
    }
}

/// Every Rust source file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
    out
}

#[test]
fn inside_core_storage_knows_nothing_of_services() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src");
    let rules: &[(&str, &[&str])] = &[
        ("security", &["crate::store", "crate::services"]),
        ("store", &["crate::services"]),
    ];
    let mut checked = 0;
    for (module, forbidden) in rules {
        for (path, text) in sources(&core.join(module)) {
            checked += 1;
            for f in *forbidden {
                assert!(!text.contains(f), "{path} reaches up to {f}");
            }
        }
    }
    assert!(
        checked >= 5,
        "only {checked} files checked: did the modules move?"
    );
}

#[test]
fn core_never_reads_a_session_or_a_request() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/src/services");
    for (path, text) in sources(&core) {
        for f in ["tower_sessions::Session", "axum::", "leptos"] {
            assert!(
                !text.contains(f),
                "{path} uses {f}: services take a principal"
            );
        }
    }
}
