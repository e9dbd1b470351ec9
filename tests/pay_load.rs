//! Statements for 1,000 people over 100,000 invoice lines: 50,000 posted invoices of two
//! lines each (`SK_PAY_INVOICES`, default 50,000; `SK_PAY_PEOPLE`, default 1,000), each with
//! its two `account.invoice.report` rows (a Large Meeting Table and an Office Design
//! Software licence), through the real job against the simulator: a basic rate on every
//! invoice and an add-on on the software lines, so the job reads every invoice line and
//! writes one basic and one add-on line per invoice. Plan, first run (every statement and line
//! created), second run (nothing written). Wall time, RPC calls and the process's peak RSS
//! (the simulator runs in the same process and holds the data too) are printed for
//! BENCHMARKS.md, never asserted; only the shape (two lines per invoice, nothing on the
//! second run) is. Ignored by default:
//! `cargo test --locked --test lib pay_load -- --ignored --nocapture`.

use std::time::Instant;

use chrono::NaiveDate;
use scorekeeper::apply::ApplyOptions;
use scorekeeper::record::{RecordStore, Value as RV};
use scorekeeper::state::State;

use crate::support::load::{cpu_secs, env_or, peak_rss_mib};
use crate::support::{Served, snapshot_sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load figure for BENCHMARKS.md"]
async fn pay_statements_for_1000_people_over_100000_invoice_lines() {
    let people = env_or("SK_PAY_PEOPLE", 1_000);
    let invoices = env_or("SK_PAY_INVOICES", 50_000);
    let sim = snapshot_sim();
    let mut users = Vec::with_capacity(people);
    {
        let mut store = sim.write();
        for i in 0..people {
            let name = format!("Rep {i:04}");
            let partner = store.create(
                "res.partner",
                vec![
                    ("name".into(), RV::Str(name.clone())),
                    ("active".into(), RV::Bool(true)),
                ],
            );
            users.push(store.create(
                "res.users",
                vec![
                    ("login".into(), RV::Str(format!("rep{i:04}"))),
                    ("name".into(), RV::Str(name)),
                    ("active".into(), RV::Bool(true)),
                    ("partner_id".into(), RV::Many2one(partner)),
                    ("company_id".into(), RV::Many2one(1)),
                ],
            ));
        }
        // The recorded products (the simulator's product.product, from the snapshot's rows).
        let table = store.search_eq(
            "product.product",
            "default_code",
            &RV::Str("FURN_6741".into()),
        )[0];
        let software = store.search_eq(
            "product.product",
            "default_code",
            &RV::Str("FURN_9999".into()),
        )[0];
        for i in 0..invoices {
            let day = 1 + (i % 28);
            let date = format!("2026-11-{day:02}");
            let user = users[i % people];
            let main = 100.0 + (i % 997) as f64;
            let move_id = store.create(
                "account.move",
                vec![
                    ("name".into(), RV::Str(format!("INV/2026/{i:06}"))),
                    ("move_type".into(), RV::Str("out_invoice".into())),
                    ("state".into(), RV::Str("posted".into())),
                    ("invoice_date".into(), RV::Str(date.clone())),
                    ("invoice_user_id".into(), RV::Many2one(user)),
                    ("commercial_partner_id".into(), RV::Many2one(10)),
                    ("amount_untaxed_signed".into(), RV::Float(main + 50.0)),
                ],
            );
            for (product, qty, amount) in [(table, 1.0, main), (software, 2.0, 50.0)] {
                store.create(
                    "account.invoice.report",
                    vec![
                        ("move_id".into(), RV::Many2one(move_id)),
                        ("move_type".into(), RV::Str("out_invoice".into())),
                        ("state".into(), RV::Str("posted".into())),
                        ("invoice_date".into(), RV::Str(date.clone())),
                        ("invoice_user_id".into(), RV::Many2one(user)),
                        ("product_id".into(), RV::Many2one(product)),
                        ("quantity".into(), RV::Float(qty)),
                        ("price_subtotal".into(), RV::Float(amount)),
                    ],
                );
            }
        }
    }
    let served = Served::start(sim).await;
    let admin = served.client("admin", "admin");
    let text = "[odoo]\nurl = \"http://x\"\ndatabase = \"crm17c\"\nlogin = \"admin\"\npassword_env = \"PW\"\n\
                [pay]\n[[pay.plans]]\nkey = \"reps\"\nname = \"Reps\"\nuser_domain = \"[('login', '=like', 'rep%')]\"\nbasic = \"5%\"\n\
                [[pay.plans.addons]]\nkey = \"software\"\nproducts = \"[('default_code', '=', 'FURN_9999')]\"\nrate = \"10%\"\n";
    let cfg = scorekeeper::config::load_str(std::path::Path::new("load.toml"), text, &|_| {
        Some("x".into())
    })
    .unwrap();
    let pay = cfg.pay.unwrap();
    scorekeeper::jobs::pay::setup(&admin, &pay).await.unwrap();
    let nov = scorekeeper::pay::Period::parse("2026-11").unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let opts = ApplyOptions {
        batch_size: 2000,
        ..ApplyOptions::default()
    };
    let mut state = State::open_in_memory().unwrap();
    for (label, write) in [("plan", false), ("first run", true), ("second run", true)] {
        let before = admin.metrics().calls;
        let cpu = cpu_secs();
        let t = Instant::now();
        let st = if write { Some(&mut state) } else { None };
        let outcome = scorekeeper::jobs::pay::run(&admin, st, &pay, nov, today, &opts)
            .await
            .unwrap();
        let lines: usize = outcome.statements.iter().map(|s| s.lines.len()).sum();
        assert_eq!((outcome.statements.len(), lines), (people, 2 * invoices));
        let written: usize = outcome
            .reports
            .iter()
            .map(|r| r.records_written + r.created.len())
            .sum();
        if label == "second run" {
            assert_eq!(written, 0);
        }
        println!(
            "pay {label}: {people} people, {invoices} invoices, {} invoice lines: {:.1?} wall, {:.1} s CPU, {} RPC calls, {written} records written, peak RSS {:.0} MiB",
            2 * invoices,
            t.elapsed(),
            cpu_secs() - cpu,
            admin.metrics().calls - before,
            peak_rss_mib()
        );
    }
    served.stop().await;
}
