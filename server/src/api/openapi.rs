//! The OpenAPI 3.1 document, generated from the route table (paths, principals, permissions)
//! and the body types of [`super::contract`] (schemas).

use super::contract::{self, BodySchema};
use axum::Json;
use domain::routes::ROUTES;
use serde_json::{json, Map, Value};

/// The error statuses a route can answer, besides those every route can.
fn errors(r: &domain::routes::MachineRoute) -> Vec<u16> {
    let mut statuses = vec![400, 401, 403, 429, 503];
    // A change can meet a state that refuses it (a name taken, a key already revoked).
    if r.method != domain::routes::Method::Get {
        statuses.push(409);
    }
    if r.targets_application || r.path.contains('{') {
        statuses.push(404);
    }
    if r.json_body {
        statuses.extend([413, 415, 422]);
    } else if !contract::of(r.id).query.is_empty() {
        statuses.push(422);
    }
    statuses.sort_unstable();
    statuses
}

fn reference(schema: &BodySchema) -> Value {
    json!({ "$ref": format!("#/components/schemas/{}", schema.name) })
}

pub fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    let mut schemas = Vec::new();
    let error_body = contract::error_body();
    (error_body.collect)(&mut schemas);
    for r in ROUTES {
        let c = contract::of(r.id);
        let mut params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        params.extend(c.query.iter().map(|(name, description)| {
            json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } })
        }));
        let mut responses = Map::new();
        let (status, success) = &c.success;
        let mut ok = json!({ "description": "Success" });
        if let Some(body) = success {
            ok["content"] = json!({ "application/json": { "schema": reference(body) } });
            (body.collect)(&mut schemas);
        }
        responses.insert(status.to_string(), ok);
        for status in errors(r) {
            responses.insert(
                status.to_string(),
                json!({ "$ref": "#/components/responses/Error" }),
            );
        }
        let mut op = json!({
            "operationId": format!("{:?}", r.id),
            "summary": r.summary,
            "parameters": params,
            "x-keyward-principals": r.requirement.principals.iter().map(|p| p.id()).collect::<Vec<_>>(),
            "x-keyward-permissions": r.requirement.permissions.iter().map(|p| p.id()).collect::<Vec<_>>(),
            "x-keyward-agent-binding": r.requirement.agent_binding,
            "x-keyward-rate-limit-class": r.limit.id(),
            "security": [{ "apiKeyHeader": [] }, { "bearer": [] }],
            "responses": responses,
        });
        if let Some(body) = &c.request {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": reference(body) } } });
            (body.collect)(&mut schemas);
        }
        paths
            .entry(r.path.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("object")
            .insert(r.method.as_str().to_lowercase(), op);
    }
    // Sorted by name, so the document is the same on every build.
    let schemas: std::collections::BTreeMap<String, Value> = schemas
        .into_iter()
        .map(|(name, schema)| {
            let value = serde_json::to_value(schema).expect("a schema serializes");
            (name, value)
        })
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Keyward machine API", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKeyHeader": { "type": "apiKey", "in": "header", "name": "X-Keyward-Api-Token" },
                "bearer": { "type": "http", "scheme": "bearer" }
            },
            "schemas": schemas,
            "responses": {
                "Error": {
                    "description": "An error: the status says which",
                    "content": { "application/json": { "schema": reference(&error_body) } }
                }
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the whole document: a changed body, route or status shows as a diff to review.
    #[test]
    fn the_document_is_pinned() {
        insta::assert_json_snapshot!("openapi", build());
    }

    /// Every reference points at a schema the document holds.
    #[test]
    fn every_reference_resolves() {
        let doc = build();
        let text = doc.to_string();
        let schemas = &doc["components"]["schemas"];
        for piece in text.split("\"#/components/schemas/").skip(1) {
            let name = &piece[..piece.find('"').expect("closing quote")];
            assert!(
                schemas[name].is_object(),
                "{name} is referenced, not defined"
            );
        }
    }
}
