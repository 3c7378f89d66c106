//! Accounts belong to their holder: creating workspaces is an instance-level right, an
//! existing account joins a workspace only by accepting, and an invitation link never sets
//! the password of an account in use. SQLite and PostgreSQL (`KEYWARD_TEST_DB=postgres`).

use crate::helpers;
use crate::helpers::all_members;
use app::pages::instance::{InstancePage, SaveInstanceSettings};
use app::pages::login::AcceptInvitation;
use app::pages::members::{CancelInvitation, InviteMember};
use app::pages::shell::{
    AcceptWorkspaceInvitation, CreateWorkspace, CurrentViewer, DeclineWorkspaceInvitation,
};

use helpers::{spawn_app, OWNER_EMAIL, OWNER_PASSWORD};
use reqwest::Client;
use serde_json::{json, Value};

async fn viewer(app: &helpers::TestApp, member: &Client) -> Value {
    app.send_json(member, CurrentViewer {}).await
}

async fn create_workspace(app: &helpers::TestApp, member: &Client, name: &str) -> String {
    app.send_text(
        member,
        CreateWorkspace {
            name: name.to_string(),
        },
    )
    .await
}

/// `member` creates a workspace, and it works.
async fn workspace_created(app: &helpers::TestApp, member: &Client, name: &str) {
    let res = app
        .send(
            member,
            CreateWorkspace {
                name: name.to_string(),
            },
        )
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
    let read = app.send_text(&dev, InstancePage {}).await;
    let save = SaveInstanceSettings {
        members_create_workspaces: helpers::on(),
    };
    let save = app.send_text(&dev, save).await;
    for (name, body) in [("instance_page", read), ("save_instance_settings", save)] {
        assert!(body.contains("Only instance admins"), "{name}: {body}");
    }
    // The instance admin allows it; now members may.
    let res = app
        .send(
            &owner,
            SaveInstanceSettings {
                members_create_workspaces: helpers::on(),
            },
        )
        .await;
    assert!(res.status().is_success());
    let page: Value = app.send_json(&owner, InstancePage {}).await;
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
                .send(
                    owner,
                    InviteMember {
                        email: email.to_string(),
                        role: "admin".into(),
                    },
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
    let page: Value = app.send_json(&owner, all_members()).await;
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
        .send_text(
            &app.fresh_client(),
            AcceptInvitation {
                token: token.to_string(),
                password: "taken over 12345".into(),
            },
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
        .send(
            &dev,
            DeclineWorkspaceInvitation {
                invitation_id: id.to_string(),
            },
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
        .send_text(
            &other,
            AcceptWorkspaceInvitation {
                invitation_id: id.to_string(),
            },
        )
        .await;
    assert!(body.contains("Not found"), "{body}");
    // Accepted by its holder: a member with the offered role, switched to it.
    let res = app
        .send(
            &dev,
            AcceptWorkspaceInvitation {
                invitation_id: id.to_string(),
            },
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
            .send(
                &owner,
                InviteMember {
                    email: email.to_string(),
                    role: "viewer".into(),
                },
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
            .send(
                &owner,
                CancelInvitation {
                    user_id: id.to_string(),
                },
            )
            .await;
        assert!(res.status().is_success(), "{email}");
    }
    let page: Value = app.send_json(&owner, all_members()).await;
    assert_eq!(page["members"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(viewer(&app, &dev).await["invitations"], json!([]));
    let token = links[1].trim_start_matches("/invite/");
    let body = app
        .send_text(
            &app.fresh_client(),
            AcceptInvitation {
                token: token.to_string(),
                password: "too late password".into(),
            },
        )
        .await;
    assert!(body.contains("invalid, used or expired"), "{body}");
    // Cancelling what is not pending changes nothing.
    let owner_id = app.user_id(OWNER_EMAIL).await.to_string();
    let body = app
        .send_text(
            &owner,
            CancelInvitation {
                user_id: owner_id.to_string(),
            },
        )
        .await;
    assert!(body.contains("Not found"), "{body}");
}
