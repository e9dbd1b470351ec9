//! A fake Odoo 19 speaking JSON-2 from the recordings of `fixtures/odoo19/json2`: a request
//! whose method, path and body (compared as JSON) equal a recorded one gets the recorded
//! status, content type and body. As on the real server, the database and the key are checked
//! first: an unknown `X-Odoo-Database` gets Werkzeug's 404 page (`fixtures/odoo19/README.md`),
//! no key the answer of 003, a wrong one the answer of 004 (`Invalid apikey`). `GET
//! /web/version` answers what Odoo 19 writes there (`addons/rpc/controllers/__init__.py`:
//! `version_info` and `version`), with the version of the XML-RPC recording 001.

use super::fake_odoo::{Reply, Request};
use super::replay::transcripts;

/// The key the fake accepts (the recordings mask theirs; this is the simulator's 19 key).
pub const KEY: &str = "d61eca8317a7d9fd7aa48bdb49fdac1b630a866b";

/// The database of the recordings.
pub const DATABASE: &str = "crm19";

const JSON: &str = "application/json; charset=utf-8";

/// Werkzeug's 404 page, what Odoo 19 answers for a database it does not have.
pub const NOT_FOUND_PAGE: &str = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n";

/// One recorded JSON-2 exchange.
pub struct Json2Exchange {
    pub name: String,
    pub http_method: String,
    pub endpoint: String,
    /// The request body as JSON (`None` for a body that is not JSON, or none).
    pub request: Option<serde_json::Value>,
    pub status: u16,
    pub content_type: String,
    pub response: String,
}

/// Every exchange of `fixtures/odoo19/json2`, in order.
pub fn json2_exchanges() -> Vec<Json2Exchange> {
    transcripts("odoo19/json2")
        .into_iter()
        .map(|t| Json2Exchange {
            http_method: t.text("http_method").unwrap(),
            endpoint: t.text("endpoint").unwrap(),
            request: t
                .text("request")
                .and_then(|r| serde_json::from_str(&r).ok()),
            status: t.status(),
            content_type: t.text("content_type").unwrap_or_default(),
            response: t.text("response").unwrap_or_default(),
            name: t.name,
        })
        .collect()
}

/// The recorded answer of exchange `number` (`004` → 4).
pub fn recorded_json2(number: u32) -> Reply {
    let prefix = format!("{number:03}-");
    let e = json2_exchanges()
        .into_iter()
        .find(|e| e.name.starts_with(&prefix))
        .unwrap();
    answer(&e)
}

fn answer(e: &Json2Exchange) -> Reply {
    Reply::Http {
        status: e.status,
        content_type: if e.content_type.contains("html") {
            "text/html; charset=utf-8"
        } else {
            JSON
        },
        body: e.response.clone(),
    }
}

/// `GET /web/version` on Odoo 19.
pub fn web_version() -> Reply {
    Reply::Http {
        status: 200,
        content_type: JSON,
        body: r#"{"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"}"#.to_owned(),
    }
}

/// The recorded Odoo 19 over JSON-2 (see the module's documentation). A request no
/// recording matches gets a 599, which no client takes for Odoo's answer.
pub fn odoo19_json2(req: &Request) -> Reply {
    if req.method == "GET" && req.path == "/web/version" {
        return web_version();
    }
    let page = |status| Reply::Http {
        status,
        content_type: "text/html; charset=utf-8",
        body: NOT_FOUND_PAGE.to_owned(),
    };
    if !req.path.starts_with("/json/2/") || req.header("x-odoo-database") != Some(DATABASE) {
        return page(404);
    }
    match req.header("authorization") {
        None => return recorded_json2(3),
        Some(auth) if auth != format!("bearer {KEY}") => return recorded_json2(4),
        Some(_) => {}
    }
    let body: Option<serde_json::Value> = serde_json::from_slice(&req.body).ok();
    json2_exchanges()
        .iter()
        .find(|e| {
            e.status != 401
                && e.http_method == req.method
                && e.endpoint == req.path
                && e.request == body
        })
        .map_or_else(
            || Reply::Http {
                status: 599,
                content_type: "text/plain",
                body: format!(
                    "no recording of {} {} {}",
                    req.method,
                    req.path,
                    String::from_utf8_lossy(&req.body)
                ),
            },
            answer,
        )
}
