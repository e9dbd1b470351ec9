//! What a gamification refresh costs in calls, counted on the simulator in each world (Odoo
//! 17 over XML-RPC, Odoo 19 over JSON-2): when nothing changed since the last run, a refresh
//! of a challenge with `user_ids` participants and three lines counting one model (`crm.lead`)
//! is one `web_search_read` (challenges, lines, definitions, fields, users), one goal read and
//! one probe of `crm.lead`; a write on a lead makes the next run ask again.

use scorekeeper::gamification::compute::MissingRows;
use scorekeeper::jobs::gamification::{self, Options};
use scorekeeper::odoo::OdooClient;
use scorekeeper::state::State;
use scorekeeper::xmlrpc::{Struct, Value as X};

use crate::support::gamification::{apply_options, goals, sim_at_074_of, today};
use crate::support::{Served, Wire, over_each_world};

/// "Lead Acquisition" (challenge 4: New Leads, Time to Qualify, Days to Close, all on
/// `crm.lead`), started by the first run, for its `user_ids` (admin and demo).
fn options() -> Options {
    let mut opts = Options::new(today());
    opts.start = vec![4];
    opts.only = Some(vec![4]);
    opts.missing_rows = MissingRows::Zero;
    opts
}

/// One refresh: the calls it made and what it wrote.
async fn refresh(client: &OdooClient, state: &mut State) -> (u64, usize) {
    let before = client.metrics().calls;
    let (outcome, report) = gamification::run(client, state, &options(), &apply_options())
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert!(outcome.skipped.is_empty(), "{:?}", outcome.skipped);
    (
        client.metrics().calls - before,
        outcome.plan.create_count() + outcome.plan.field_change_count(),
    )
}

async fn a_refresh_in_which_nothing_changed_costs_three_calls(wire: Wire) {
    let served = Served::start_over(sim_at_074_of(wire.odoo()), wire).await;
    let client = served.client("admin", "admin");
    // Participants by `user_ids` only (a `user_domain` costs one search per run).
    let mut no_domain = Struct::new();
    no_domain.push("user_domain", X::Bool(false));
    client
        .write("gamification.challenge", &[4], no_domain)
        .await
        .unwrap();
    let mut state = State::open_in_memory().unwrap();

    let (first_calls, first_changes) = refresh(&client, &mut state).await;
    assert!(first_changes > 0, "the first run starts the challenge");
    let after_first = goals(&served.sim);

    // Nothing changed: one web_search_read, one goal read, one probe of crm.lead.
    let (calls, changes) = refresh(&client, &mut state).await;
    assert_eq!(
        (calls, changes),
        (3, 0),
        "first run took {first_calls} calls"
    );
    let (calls, changes) = refresh(&client, &mut state).await;
    assert_eq!((calls, changes), (3, 0));
    assert_eq!(goals(&served.sim), after_first);

    // The same refresh without kept answers (`plan`) agrees: nothing to do.
    let fresh = gamification::plan(&client, &options()).await.unwrap();
    assert!(fresh.plan.is_empty(), "{:?}", fresh.plan.changes());
    assert!(fresh.queries > 0);

    // A new lead for demo this month: the probe sees it, the queries are asked again and
    // demo's "New Leads" goal moves by one.
    let demo = crate::support::uid_of(&served.sim, "demo");
    let count = |g: &std::collections::HashMap<(i64, i64, i64), (f64, String, bool)>| {
        g.get(&(4, 6, demo)).map(|v| v.0).unwrap()
    };
    let before = count(&goals(&served.sim));
    let mut lead = Struct::new();
    lead.push("name", X::String("Probe me".into()));
    lead.push("type", X::String("lead".into()));
    lead.push("user_id", X::Int(demo));
    client.create("crm.lead", vec![lead]).await.unwrap();
    let (calls, changes) = refresh(&client, &mut state).await;
    assert!(calls > 3, "{calls}");
    assert_eq!(changes, 1);
    assert_eq!(count(&goals(&served.sim)), before + 1.0);
    let (calls, changes) = refresh(&client, &mut state).await;
    assert_eq!((calls, changes), (3, 0));
    served.stop().await;
}

over_each_world!(a_refresh_in_which_nothing_changed_costs_three_calls);
