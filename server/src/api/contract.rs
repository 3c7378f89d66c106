//! The machine API's bodies as types: what each route takes and answers. Handlers build
//! these, and the OpenAPI document describes them from the same definitions (`ToSchema`), so
//! the document cannot name a field the server does not send. Request bodies also serialize,
//! so tests send them as typed values: a misspelt field does not compile.

use domain::model::{CreateKeyForm, KeyRow};
use domain::permissions::PermissionSet;
use domain::routes::RouteId;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::ToSchema;
use uuid::Uuid;

/// Every error: a short phrase per status, what went wrong, and the request's id (also in
/// `X-Request-Id`).
#[derive(Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    /// `Unauthorized.`, `Forbidden.`, … one per status.
    pub error: &'a str,
    pub message: &'a str,
    pub request_id: &'a str,
    /// The request field at fault, when one is (422).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
}

/// `GET /api/v1/me`: who is calling, with what.
#[derive(Serialize, ToSchema)]
pub struct WhoAmI<'a> {
    /// `user`, `service` or `agent`.
    pub principal: &'static str,
    pub user_id: Uuid,
    pub workspace_id: Uuid,
    pub key_id: Option<&'a str>,
    pub key_name: Option<&'a str>,
    pub application_id: Option<Uuid>,
    pub agent: Option<&'a str>,
    /// What the credential may do now: the key's permissions within its owner's role.
    pub permissions: PermissionSet,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

/// `GET /api/v1/me/coverage`: the caller and every declared route it reaches or not.
#[derive(Serialize, ToSchema)]
pub struct Coverage<'a> {
    #[serde(flatten)]
    pub principal: WhoAmI<'a>,
    pub coverage: Vec<domain::coverage::CoverageLine>,
}

/// An agent of an application.
#[derive(Serialize, ToSchema)]
pub struct Agent {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub description: String,
}

/// An application with its agents.
#[derive(Serialize, ToSchema)]
pub struct Application {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    pub agents: Vec<Agent>,
}

impl From<domain::model::ApplicationRow> for Application {
    fn from(a: domain::model::ApplicationRow) -> Application {
        Application {
            id: a.id.to_string(),
            name: a.name,
            created_at: a.created_at,
            agents: a
                .agents
                .into_iter()
                .map(|g| Agent {
                    id: g.id.to_string(),
                    name: g.name,
                    description: g.description,
                })
                .collect(),
        }
    }
}

/// `GET /api/v1/applications/{id}`: an application and its content.
#[derive(Serialize, ToSchema)]
pub struct ApplicationWithContent {
    #[serde(flatten)]
    pub application: Application,
    pub content: String,
}

/// A page of applications by name; `next_cursor` continues it.
#[derive(Serialize, ToSchema)]
pub struct ApplicationPage {
    pub applications: Vec<Application>,
    pub next_cursor: Option<String>,
}

/// Creates or renames an application.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationName {
    /// 1 to 100 characters (surrounding spaces are trimmed), no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
}

/// Replaces an application's content.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationContent {
    pub content: String,
}

/// The agents of one application.
#[derive(Serialize, ToSchema)]
pub struct AgentList {
    #[schema(format = Uuid)]
    pub application_id: String,
    pub agents: Vec<Agent>,
}

/// Registers an agent.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// 1 to 100 characters (surrounding spaces are trimmed), no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// The agent just registered.
#[derive(Serialize, ToSchema)]
pub struct CreatedAgent {
    pub id: Uuid,
    pub application_id: Uuid,
    pub name: String,
}

/// Public metadata of a key: never a secret or digest.
#[derive(Serialize, ToSchema)]
pub struct TokenMeta {
    pub key_id: String,
    /// `kw_svc_<key id>` or `kw_agt_<key id>`.
    pub prefix: String,
    pub name: String,
    /// `service` or `agent`.
    pub principal: &'static str,
    #[schema(format = Uuid)]
    pub application_id: Option<String>,
    pub application: Option<String>,
    pub agent: Option<String>,
    /// `active`, `expiring`, `expired`, `revoked` or `rotated`.
    pub status: &'static str,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// A page of keys scoped to applications, newest first.
#[derive(Serialize, ToSchema)]
pub struct TokenPage {
    pub tokens: Vec<TokenMeta>,
    pub next_cursor: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditLog {
    pub events: Vec<domain::audit::AuditEvent>,
    /// Where the next (older) page starts: pass it back as `cursor` with the same filters.
    pub next_cursor: Option<String>,
}

/// Asks whether a secret is valid, and whether it holds `permissions`.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The secret to check.
    pub key: String,
    /// Permission ids from the catalog.
    #[serde(default)]
    #[schema(value_type = Vec<domain::permissions::Permission>)]
    pub permissions: Vec<String>,
}

/// The answer for a secret: always 200, whether the secret is good or not.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Verification {
    Matched(VerifiedKey),
    Refused(VerificationRefused),
}

/// A secret that matched a key of the caller's workspace.
#[derive(Serialize, ToSchema)]
pub struct VerifiedKey {
    /// The key is usable and holds every permission asked for.
    pub valid: bool,
    /// `VALID` or `INSUFFICIENT_PERMISSIONS`.
    pub code: &'static str,
    pub key_id: String,
    /// `service` or `agent`.
    pub principal: &'static str,
    pub owner_id: Uuid,
    #[schema(format = Uuid)]
    pub application_id: Option<String>,
    pub permissions: PermissionSet,
    /// Asked for but not held.
    pub missing_permissions: PermissionSet,
    pub expires_at: Option<i64>,
}

/// A secret that is not valid here, and why.
#[derive(Serialize, ToSchema)]
pub struct VerificationRefused {
    /// Always false.
    pub valid: bool,
    /// `NOT_FOUND`, `EXPIRED`, `REVOKED`, `ROTATED_OUT`, `MALFORMED`, …
    pub code: &'static str,
}

/// A user token for the user-only routes.
#[derive(Serialize, ToSchema)]
pub struct UserToken {
    pub token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    pub expires_at: i64,
}

/// The caller's own keys.
#[derive(Serialize, ToSchema)]
pub struct OwnKeys {
    pub keys: Vec<KeyRow>,
}

/// A new or rotated key with its secret: the only answer that ever holds one.
#[derive(Serialize, ToSchema)]
pub struct IssuedKey<'a> {
    pub key: &'a KeyRow,
    /// Shown this once; Keyward keeps only a digest.
    pub secret: &'a str,
}

/// Rotates one of the caller's keys.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateRequest {
    /// How long the old secret keeps working, in seconds: 0 (stops now), 3600, 86400 or
    /// 604800; -1: until the new secret is first used, at most 7 days.
    #[serde(default)]
    pub grace_seconds: i64,
    /// As in the create form; absent: the old lifetime's length from now.
    #[serde(default)]
    pub expiration: String,
    #[serde(default)]
    pub expires_on: String,
}

/// Imports an existing secret as one of the caller's keys: the create form's fields and the
/// secret. Answered with the key's metadata only: the caller already holds the secret.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ImportRequest {
    #[serde(flatten)]
    pub key: CreateKeyForm,
    /// The secret to import: 32 to 256 printable characters, at least 128 bits by Keyward's
    /// estimate, not a Keyward secret, not already a secret here.
    pub existing_secret: String,
}

/// A body's schema, named in the document's components.
pub struct BodySchema {
    pub name: Cow<'static, str>,
    /// Adds the schema and every schema it refers to.
    pub collect: fn(&mut Vec<(String, RefOr<Schema>)>),
}

fn body<T: ToSchema>() -> BodySchema {
    BodySchema {
        name: T::name(),
        collect: |all| {
            all.push((T::name().into_owned(), T::schema()));
            T::schemas(all);
        },
    }
}

/// What a route takes and answers.
pub struct Contract {
    pub request: Option<BodySchema>,
    /// The success status and its body (`None`: no content).
    pub success: (u16, Option<BodySchema>),
    /// Query parameters: name and description.
    pub query: &'static [(&'static str, &'static str)],
}

const AUDIT_FILTERS: &[(&str, &str)] = &[
    (
        "actor",
        "A member's email, or the key id of a key that acted.",
    ),
    (
        "action",
        "One action of the catalog, such as `key.revoked`.",
    ),
    (
        "target",
        "What events are about, such as `key:AbCd1234` or `application:<id>`.",
    ),
    ("from", "The first day, `YYYY-MM-DD` (UTC), included."),
    ("to", "The last day, `YYYY-MM-DD` (UTC), included."),
    ("limit", "Rows per page, 1 to 200 (default 50)."),
    (
        "cursor",
        "`next_cursor` of the previous page, under the same filters.",
    ),
];

const PAGE: &[(&str, &str)] = &[
    ("limit", "Rows per page, 1 to 200 (default 50)."),
    ("cursor", "`next_cursor` of the previous page."),
];

/// The contract of every declared route. Exhaustive: a new `RouteId` does not compile until
/// its bodies are declared here.
pub fn of(id: RouteId) -> Contract {
    let answer = |status, schema| Contract {
        request: None,
        success: (status, schema),
        query: &[],
    };
    let takes = |request, status, schema| Contract {
        request: Some(request),
        success: (status, schema),
        query: &[],
    };
    match id {
        RouteId::Me => answer(200, Some(body::<WhoAmI>())),
        RouteId::MeCoverage => answer(200, Some(body::<Coverage>())),
        RouteId::ApplicationsList => Contract {
            query: PAGE,
            ..answer(200, Some(body::<ApplicationPage>()))
        },
        RouteId::ApplicationsCreate => {
            takes(body::<ApplicationName>(), 201, Some(body::<Application>()))
        }
        RouteId::ApplicationRead => answer(200, Some(body::<ApplicationWithContent>())),
        RouteId::ApplicationUpdate => {
            takes(body::<ApplicationName>(), 200, Some(body::<Application>()))
        }
        RouteId::ApplicationDelete => answer(204, None),
        RouteId::ApplicationContentPut => takes(body::<ApplicationContent>(), 204, None),
        RouteId::ApplicationTokens => Contract {
            query: PAGE,
            ..answer(200, Some(body::<TokenPage>()))
        },
        RouteId::ApplicationAgentsByUuid => answer(200, Some(body::<AgentList>())),
        RouteId::AgentsCreate => takes(body::<NewAgent>(), 201, Some(body::<CreatedAgent>())),
        RouteId::KeysVerify => takes(body::<VerifyRequest>(), 200, Some(body::<Verification>())),
        RouteId::AuthToken => answer(200, Some(body::<UserToken>())),
        RouteId::UserKeysList => answer(200, Some(body::<OwnKeys>())),
        RouteId::UserKeysCreate => takes(body::<CreateKeyForm>(), 201, Some(body::<IssuedKey>())),
        RouteId::UserKeysImport => takes(body::<ImportRequest>(), 201, Some(body::<KeyRow>())),
        RouteId::UserKeyRotate => takes(body::<RotateRequest>(), 200, Some(body::<IssuedKey>())),
        RouteId::UserKeyRevoke => answer(204, None),
        RouteId::AuditList => Contract {
            query: AUDIT_FILTERS,
            ..answer(200, Some(body::<AuditLog>()))
        },
    }
}

/// The error body's schema, shared by every error answer.
pub fn error_body() -> BodySchema {
    body::<ErrorBody>()
}
