//! Paging and batching against a fake Odoo that serves the snapshot's leads: `search_read`
//! asks `domain + [('id', '>', last)]` pages ordered by id with `limit = batch_size` and yields
//! every record once, in order; grouped writes and batch creates make the expected calls.

use std::num::NonZeroUsize;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use scorekeeper::odoo::{OdooError, leaf};
use scorekeeper::xmlrpc::{Struct, Value};

use crate::support::fake_odoo::{
    FakeOdoo, Reply, Request, client_for, json_to_value, recorded, snapshot,
};

const TIMEOUT: Duration = Duration::from_secs(5);

fn lead_ids() -> Vec<i64> {
    snapshot()["models"]["crm.lead"]["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// The `(id > n)` bound and limit of a paged `search_read`.
fn page_bounds(req: &Request) -> (i64, i64) {
    let domain = req.args()[0].as_array().unwrap().to_vec();
    let last = domain.last().unwrap().as_array().unwrap().to_vec();
    assert_eq!(&last[..2], &[Value::from("id"), Value::from(">")]);
    (
        last[2].as_i64().unwrap(),
        req.kwargs().get("limit").unwrap().as_i64().unwrap(),
    )
}

/// Serves `search_read` over the snapshot's leads honouring only the `id >` leaf and limit,
/// returning `id`, `name` and `type`.
fn lead_server() -> FakeOdoo {
    FakeOdoo::start(|req, _| {
        if req.path.ends_with("/common") {
            return recorded(2);
        }
        let (after, limit) = page_bounds(req);
        let page: Vec<Value> = snapshot()["models"]["crm.lead"]["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["id"].as_i64().unwrap() > after)
            .take(limit as usize)
            .map(|r| {
                let mut s = Struct::new();
                for f in ["id", "name", "type"] {
                    s.push(f, json_to_value(&r[f]));
                }
                Value::Struct(s)
            })
            .collect();
        Reply::value(Value::Array(page))
    })
}

#[tokio::test]
async fn search_read_pages_by_id() {
    let ids = lead_ids();
    assert!(ids.len() > 20 && ids.windows(2).all(|w| w[0] < w[1]));
    let server = lead_server();
    let client = client_for(&server, TIMEOUT, 1).with_batch_size(NonZeroUsize::new(10).unwrap());
    let domain = vec![leaf("type", "=", "lead")];
    let fields = ["name", "type"];
    let records: Vec<Struct> = client
        .search_read_stream("crm.lead", domain.clone(), &fields)
        .try_collect()
        .await
        .unwrap();
    let got: Vec<i64> = records
        .iter()
        .map(|r| r.get("id").unwrap().as_i64().unwrap())
        .collect();
    assert_eq!(got, ids, "every record once, in id order");
    let first = &records[0];
    assert_eq!(
        first.get("name"),
        Some(&json_to_value(
            &snapshot()["models"]["crm.lead"]["records"][0]["name"]
        ))
    );

    let pages = server.object_requests();
    assert_eq!(
        pages.len(),
        ids.len().div_ceil(10) + usize::from(ids.len().is_multiple_of(10))
    );
    let mut expected_after = 0;
    for (i, req) in pages.iter().enumerate() {
        assert_eq!(
            req.target(),
            ("crm.lead".to_owned(), "search_read".to_owned())
        );
        let domain_sent = req.args()[0].as_array().unwrap().to_vec();
        assert_eq!(domain_sent[0], domain[0], "the caller's domain comes first");
        assert_eq!(domain_sent.len(), 2);
        assert_eq!(page_bounds(req), (expected_after, 10), "page {i}");
        let kw = req.kwargs();
        assert_eq!(kw.get("order"), Some(&Value::from("id")));
        assert_eq!(kw.get("fields"), Some(&Value::from(vec!["name", "type"])));
        expected_after = ids[((i + 1) * 10).min(ids.len()) - 1];
    }
    assert_eq!(client.metrics().calls as usize, pages.len() + 1);
}

#[tokio::test]
async fn exact_multiple_ends_on_an_empty_page() {
    let ids = lead_ids();
    let server = lead_server();
    let batch = ids.len() / 2;
    assert_eq!(ids.len() % 2, 0, "the snapshot has an even number of leads");
    let client = client_for(&server, TIMEOUT, 1).with_batch_size(NonZeroUsize::new(batch).unwrap());
    let pages: Vec<Vec<Struct>> = client
        .search_read_pages("crm.lead", vec![], &["name"])
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![batch, batch]
    );
    let bounds: Vec<_> = server.object_requests().iter().map(page_bounds).collect();
    assert_eq!(
        bounds,
        vec![
            (0, batch as i64),
            (ids[batch - 1], batch as i64),
            (ids[2 * batch - 1], batch as i64)
        ]
    );
}

#[tokio::test]
async fn an_error_ends_the_stream() {
    let server = FakeOdoo::start(|req, n| {
        if req.path.ends_with("/common") {
            recorded(2)
        } else if n == 1 {
            let mut s = Struct::new();
            s.push("id", Value::Int(1));
            Reply::value(Value::Array(vec![Value::Struct(s)]))
        } else {
            recorded(40)
        }
    });
    let client = client_for(&server, TIMEOUT, 1).with_batch_size(NonZeroUsize::new(1).unwrap());
    let items: Vec<Result<Struct, OdooError>> = client
        .search_read_stream("crm.lead", vec![], &["name"])
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    assert_eq!(
        items[1].as_ref().unwrap_err().last_line(),
        Some("ValueError: Invalid field crm.lead.no_such_field in leaf ('no_such_field', '=', 1)")
    );
}

#[tokio::test]
async fn a_server_ignoring_the_id_filter_cannot_loop_forever() {
    let server = FakeOdoo::start(|req, _| {
        if req.path.ends_with("/common") {
            return recorded(2);
        }
        let mut s = Struct::new();
        s.push("id", Value::Int(7));
        Reply::value(Value::Array(vec![Value::Struct(s)]))
    });
    let client = client_for(&server, TIMEOUT, 1).with_batch_size(NonZeroUsize::new(1).unwrap());
    let err = client
        .search_read_all("crm.lead", vec![], &[])
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("ids above the previous page"),
        "{err}"
    );
    assert_eq!(server.object_requests().len(), 2);
}

#[tokio::test]
async fn grouped_writes_and_batched_creates() {
    let server = FakeOdoo::start(|req, _| {
        if req.path.ends_with("/common") {
            return recorded(2);
        }
        match req.target().1.as_str() {
            "write" => Reply::value(Value::Bool(true)),
            "create" => {
                let n = req.args()[0].as_array().unwrap().len() as i64;
                let base = 100
                    * req.args()[0].as_array().unwrap()[0]
                        .as_struct()
                        .unwrap()
                        .get("n")
                        .unwrap()
                        .as_i64()
                        .unwrap();
                Reply::value(Value::Array((0..n).map(|i| Value::Int(base + i)).collect()))
            }
            other => panic!("unexpected {other}"),
        }
    });
    let client = client_for(&server, TIMEOUT, 1).with_batch_size(NonZeroUsize::new(2).unwrap());
    let vals = |score: i64| {
        let mut s = Struct::new();
        s.push("x_lead_score", Value::Int(score));
        s
    };
    let calls = client
        .write_grouped(
            "crm.lead",
            vec![
                (9, vals(10)),
                (4, vals(20)),
                (3, vals(10)),
                (1, vals(10)),
                (3, vals(10)),
            ],
        )
        .await
        .unwrap();
    assert_eq!(calls, 3, "score 10: ids [1, 3] then [9]; score 20: [4]");
    let writes: Vec<(Vec<Value>, Value)> = server
        .object_requests()
        .iter()
        .map(|r| {
            (
                r.args()[0].as_array().unwrap().to_vec(),
                r.args()[1].clone(),
            )
        })
        .collect();
    assert_eq!(
        writes,
        vec![
            (vec![Value::Int(1), Value::Int(3)], Value::Struct(vals(10))),
            (vec![Value::Int(9)], Value::Struct(vals(10))),
            (vec![Value::Int(4)], Value::Struct(vals(20))),
        ]
    );

    let records: Vec<Struct> = (1..=5)
        .map(|n| {
            let mut s = Struct::new();
            s.push("n", Value::Int(n));
            s
        })
        .collect();
    let ids = client.create("crm.lead", records).await.unwrap();
    assert_eq!(ids, vec![100, 101, 300, 301, 500]);
    let creates = server.object_requests().len() - 3;
    assert_eq!(creates, 3);
}
