//! Accounts belong to their holder: creating workspaces is an instance-level right, an
//! existing account joins a workspace only by accepting, and an invitation link never sets
//! the password of an account in use. SQLite and PostgreSQL (`KEYWARD_TEST_DB=postgres`).

use crate::helpers;

use helpers::{spawn_app, OWNER_EMAIL, OWNER_PASSWORD};
use reqwest::Client;
use serde_json::{json, Value};

async fn viewer(app: &helpers::TestApp, member: &Client) -> Value {
    app.fn_json(member, "current_viewer", json!({})).await
}

async fn create_workspace(app: &helpers::TestApp, member: &Client, name: &str) -> String {
    app.fn_text(member, "create_workspace", &[("name", name)])
        .await
}

/// `member` creates a workspace, and it works.
async fn workspace_created(app: &helpers::TestApp, member: &Client, name: &str) {
    let res = app
        .call_fn_with(member, "create_workspace", &[("name", name)])
        .await;
    assert!(res.status().is_success() || res.status().is_redirection());
}

#[tokio::test]
async fn creating_workspaces_is_an_instance_level_right() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let dev = app.add_member("dev@example.com", "developer").await;
    assert_eq!(viewer(&app, &owner).await["instance_admin"], true);
    let dev_view = viewer(&app, &dev).await;
    assert_eq!(dev_view["instance_admin"], false);
    assert_eq!(dev_view["may_create_workspaces"], false);
    let body = create_workspace(&app, &dev, "Squat").await;
    assert!(
        body.contains("Only instance admins may create workspaces"),
        "{body}"
    );
    assert_eq!(app.count("workspaces").await, 1);
    // Nor may a member read or change the instance settings.
    for (name, form) in [
        ("instance_page", vec![]),
        (
            "save_instance_settings",
            vec![("members_create_workspaces", "on")],
        ),
    ] {
        let body = app
            .call_fn_with(&dev, name, &form)
            .await
            .text()
            .await
            .unwrap();
        assert!(body.contains("Only instance admins"), "{name}: {body}");
    }
    // The instance admin allows it; now members may.
    let res = app
        .call_fn_with(
            &owner,
            "save_instance_settings",
            &[("members_create_workspaces", "on")],
        )
        .await;
    assert!(res.status().is_success());
    let page: Value = app.fn_json(&owner, "instance_page", json!({})).await;
    assert_eq!(page["settings"]["members_create_workspaces"], true);
    assert_eq!(page["admins"], json!([OWNER_EMAIL]));
    workspace_created(&app, &dev, "Dev's own").await;
    assert_eq!(app.count("workspaces").await, 2);
}

#[tokio::test]
async fn an_existing_account_joins_another_workspace_only_by_accepting() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let dev = app.add_member("dev@example.com", "developer").await;
    // The owner makes a second workspace and invites the developer's existing account, and
    // a new address: the answers look alike.
    workspace_created(&app, &owner, "Other").await;
    let invite = |email: &'static str| {
        let (app, owner) = (&app, &owner);
        async move {
            let v: Value = app
                .call_fn_with(
                    owner,
                    "invite_member",
                    &[("email", email), ("role", "admin")],
                )
                .await
                .json()
                .await
                .unwrap();
            v.as_str().unwrap_or_default().to_string()
        }
    };
    let existing = invite("dev@example.com").await;
    let fresh = invite("fresh@example.com").await;
    for link in [&existing, &fresh] {
        assert!(
            link.starts_with("/invite/") && link.len() == "/invite/".len() + 48,
            "{link}"
        );
    }
    let memberships = app.count("memberships").await;
    let page: Value = app.fn_json(&owner, "members_page", json!({})).await;
    let pending: Vec<&Value> = page["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["invitation_pending"] == true)
        .collect();
    assert_eq!(pending.len(), 2, "{page}");

    // The link sets no password for an account in use, and joins it to nothing.
    let token = existing.trim_start_matches("/invite/");
    let body = app
        .fn_text(
            &app.fresh_client(),
            "accept_invitation",
            &[("token", token), ("password", "taken over 12345")],
        )
        .await;
    assert!(body.contains("invalid, used or expired"), "{body}");
    assert_eq!(app.count("memberships").await, memberships);

    // The account's holder sees the invitation, declines it, and nothing changes.
    let invitations = viewer(&app, &dev).await["invitations"].clone();
    assert_eq!(invitations.as_array().unwrap().len(), 1, "{invitations}");
    assert_eq!(invitations[0]["workspace_name"], "Other");
    let id = invitations[0]["id"].as_str().unwrap().to_string();
    let res = app
        .call_fn_with(
            &dev,
            "decline_workspace_invitation",
            &[("invitation_id", &id)],
        )
        .await;
    assert!(res.status().is_success() || res.status().is_redirection());
    assert_eq!(app.count("memberships").await, memberships);
    assert_eq!(viewer(&app, &dev).await["invitations"], json!([]));
    // Nobody else can answer someone's invitation.
    invite("dev@example.com").await;
    let id = viewer(&app, &dev).await["invitations"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = app.sign_in(OWNER_EMAIL, OWNER_PASSWORD).await;
    let body = app
        .fn_text(
            &other,
            "accept_workspace_invitation",
            &[("invitation_id", &id)],
        )
        .await;
    assert!(body.contains("Not found"), "{body}");
    // Accepted by its holder: a member with the offered role, switched to it.
    let res = app
        .call_fn_with(
            &dev,
            "accept_workspace_invitation",
            &[("invitation_id", &id)],
        )
        .await;
    assert!(res.status().is_success() || res.status().is_redirection());
    assert_eq!(app.count("memberships").await, memberships + 1);
    let now = viewer(&app, &dev).await;
    assert_eq!(now["workspace_name"], "Other");
    assert_eq!(now["role"], "Admin");
    let actions = app.audit_actions().await;
    for a in [
        "member.invited",
        "member.invitation_declined",
        "member.invitation_accepted",
    ] {
        assert!(actions.contains(&a.to_string()), "{a} missing");
    }
}

#[tokio::test]
async fn a_pending_invitation_can_be_cancelled_for_new_and_existing_addresses() {
    let app = spawn_app().await;
    let owner = app.setup_owner().await;
    let dev = app.add_member("dev@example.com", "developer").await;
    workspace_created(&app, &owner, "Other").await;
    let mut links = Vec::new();
    for email in ["dev@example.com", "fresh@example.com"] {
        let v: Value = app
            .call_fn_with(
                &owner,
                "invite_member",
                &[("email", email), ("role", "viewer")],
            )
            .await
            .json()
            .await
            .unwrap();
        links.push(v.as_str().unwrap().to_string());
    }
    for email in ["dev@example.com", "fresh@example.com"] {
        let id = app.user_id(email).await.to_string();
        let res = app
            .call_fn_with(&owner, "cancel_invitation", &[("user_id", &id)])
            .await;
        assert!(res.status().is_success(), "{email}");
    }
    let page: Value = app.fn_json(&owner, "members_page", json!({})).await;
    assert_eq!(page["members"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(viewer(&app, &dev).await["invitations"], json!([]));
    let token = links[1].trim_start_matches("/invite/");
    let body = app
        .fn_text(
            &app.fresh_client(),
            "accept_invitation",
            &[("token", token), ("password", "too late password")],
        )
        .await;
    assert!(body.contains("invalid, used or expired"), "{body}");
    // Cancelling what is not pending changes nothing.
    let owner_id = app.user_id(OWNER_EMAIL).await.to_string();
    let body = app
        .fn_text(&owner, "cancel_invitation", &[("user_id", &owner_id)])
        .await;
    assert!(body.contains("Not found"), "{body}");
}
