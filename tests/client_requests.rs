//! What the client sends is what a real Odoo 17 accepted: each request decodes to the same
//! method call as the recorded one (transcripts 001, 002, 017, 025, 045, 102/103), and each
//! recorded answer decodes to the typed result.

use std::time::Duration;

use scorekeeper::record::FieldType;
use scorekeeper::xmlrpc::{Struct, Value, decode_call};

use crate::support::fake_odoo::{FakeOdoo, Request, client_with_secret, recorded, transcript};

const TIMEOUT: Duration = Duration::from_secs(5);

fn assert_same_call(seen: &Request, number: u32) {
    let expected = decode_call(transcript(number).request.as_bytes()).unwrap();
    assert_eq!(
        seen.call(),
        expected,
        "request differs from transcript {number}"
    );
    assert!(
        seen.content_type.starts_with("text/xml"),
        "{}",
        seen.content_type
    );
}

/// Answers `common` calls with `common` and object calls with `object`.
fn server(common: u32, object: u32) -> FakeOdoo {
    FakeOdoo::start(move |req, _| {
        if req.path.ends_with("/common") {
            recorded(common)
        } else {
            recorded(object)
        }
    })
}

#[tokio::test]
async fn version_and_authenticate() {
    let s = FakeOdoo::start(|req, _| {
        if req.call().name == "version" {
            recorded(1)
        } else {
            recorded(2)
        }
    });
    let client = client_with_secret(&s, TIMEOUT, 1, "admin");
    let v = client.version().await.unwrap();
    assert_eq!(
        (v.server_version.as_str(), v.major(), v.protocol_version),
        ("17.0", Some(17), Some(1))
    );
    assert_eq!(client.authenticate().await.unwrap(), 2);
    assert_eq!(client.uid(), Some(2));
    let seen = s.requests();
    assert_eq!(seen[0].path, "/xmlrpc/2/common");
    assert_same_call(&seen[0], 1);
    assert_same_call(&seen[1], 2);
}

#[tokio::test]
async fn api_key_goes_where_the_password_does() {
    let key = "0103fda22b847d23908ca3ca45120c4537bc5fcb";
    let s = server(102, 103);
    let client = client_with_secret(&s, TIMEOUT, 1, key);
    assert_eq!(client.search_count("crm.lead", vec![]).await.unwrap(), 44);
    let seen = s.requests();
    assert_same_call(&seen[0], 102);
    assert_eq!(seen[1].path, "/xmlrpc/2/object");
    assert_same_call(&seen[1], 103);
}

#[tokio::test]
async fn fields_get_with_attributes() {
    let s = server(2, 17);
    let client = client_with_secret(&s, TIMEOUT, 1, "admin");
    let attrs = [
        "string",
        "type",
        "relation",
        "required",
        "readonly",
        "store",
        "selection",
    ];
    let fields = client.fields_get("crm.lead", &attrs).await.unwrap();
    assert_same_call(&s.object_requests()[0], 17);
    let country = fields.field("country_id").unwrap();
    assert_eq!(country.ty, FieldType::Many2one);
    assert_eq!(country.relation.as_deref(), Some("res.country"));
    let score = fields.field("x_lead_score").unwrap();
    assert_eq!(score.string, "Lead Score");
}

#[tokio::test]
async fn grouped_write_of_one_value_is_one_call() {
    let s = server(2, 45);
    let client = client_with_secret(&s, TIMEOUT, 1, "admin");
    let score = |n| {
        let mut v = Struct::new();
        v.push("x_lead_score", Value::Int(n));
        v
    };
    let calls = client
        .write_grouped(
            "crm.lead",
            vec![(47, score(35)), (45, score(35)), (46, score(35))],
        )
        .await
        .unwrap();
    assert_eq!(calls, 1);
    assert_same_call(&s.object_requests()[0], 45);
}

#[tokio::test]
async fn batch_create_sends_a_list_and_returns_ids() {
    let s = server(2, 25);
    let client = client_with_secret(&s, TIMEOUT, 1, "admin");
    let lead = |name: &str, kind: &str| {
        let mut v = Struct::new();
        v.push("name", name.into());
        v.push("type", kind.into());
        v
    };
    let ids = client
        .create(
            "crm.lead",
            vec![
                lead("Batch lead A", "lead"),
                lead("Batch lead B", "opportunity"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(ids, vec![49, 50]);
    assert_same_call(&s.object_requests()[0], 25);
}

#[tokio::test]
async fn client_context_is_merged_into_kwargs() {
    let s = server(2, 103);
    let mut ctx = Struct::new();
    ctx.push("tracking_disable", Value::Bool(true));
    ctx.push("lang", "en_US".into());
    let client = client_with_secret(&s, TIMEOUT, 1, "admin").with_context(ctx);
    let mut kwargs = Struct::new();
    let mut own = Struct::new();
    own.push("lang", "vi_VN".into());
    kwargs.push("context", Value::Struct(own));
    client
        .execute_kw(
            "crm.lead",
            "search_count",
            vec![Value::Array(vec![])],
            kwargs,
        )
        .await
        .unwrap();
    client.search_count("crm.lead", vec![]).await.unwrap();
    let seen = s.object_requests();
    let ctx_of = |r: &Request| {
        r.kwargs()
            .get("context")
            .and_then(Value::as_struct)
            .cloned()
            .unwrap()
    };
    let first = ctx_of(&seen[0]);
    assert_eq!(
        first.get("lang").and_then(Value::as_str),
        Some("vi_VN"),
        "the call's own key wins"
    );
    assert_eq!(first.get("tracking_disable"), Some(&Value::Bool(true)));
    let second = ctx_of(&seen[1]);
    assert_eq!(second.get("lang").and_then(Value::as_str), Some("en_US"));
}
