//! The OpenAPI 3.1 document, generated from the route table.

use axum::Json;
use domain::routes::ROUTES;
use serde_json::{json, Map, Value};

pub fn build() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for r in ROUTES {
        let path = r.path.to_string();
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let mut op = json!({
            "operationId": format!("{:?}", r.id),
            "summary": r.summary,
            "parameters": params,
            "x-keyward-principals": r.requirement.principals.iter().map(|p| p.id()).collect::<Vec<_>>(),
            "x-keyward-permissions": r.requirement.permissions.iter().map(|p| p.id()).collect::<Vec<_>>(),
            "x-keyward-agent-binding": r.requirement.agent_binding,
            "security": [{ "apiKeyHeader": [] }, { "bearer": [] }],
            "responses": {
                "200": { "description": "Success" },
                "401": { "$ref": "#/components/responses/Error" },
                "403": { "$ref": "#/components/responses/Error" },
                "429": { "$ref": "#/components/responses/Error" },
            }
        });
        if r.json_body {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } });
        }
        paths
            .entry(path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("object")
            .insert(r.method.as_str().to_lowercase(), op);
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Keyward machine API", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "apiKeyHeader": { "type": "apiKey", "in": "header", "name": "X-Keyward-Api-Token" },
                "bearer": { "type": "http", "scheme": "bearer" }
            },
            "responses": {
                "Error": {
                    "description": "An error",
                    "content": { "application/json": { "schema": {
                        "type": "object",
                        "required": ["error", "message", "request_id"],
                        "properties": { "error": { "type": "string" }, "message": { "type": "string" }, "request_id": { "type": "string" } }
                    } } }
                }
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
