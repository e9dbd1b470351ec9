//! `check` on a `[pay]` section through the real binary, against the Odoo 17 snapshot with
//! products (`support::pay_sim`): groups named by XML id must resolve to groups, add-on
//! product domains must select products, the models `setup` creates must exist, and a person
//! Odoo puts in two plans paying the same component is refused — each as
//! `file:line:column key: message`, exit 2. `run pay` refuses the same before writing anything.

use std::process::Output;

use crate::support::Served;
use crate::support::cli::sk_async;
use crate::support::pay_sim::pay_sim;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The 1-based line of the first line of `config` containing `needle`.
fn line_of(config: &str, needle: &str) -> usize {
    config
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in the config"))
        + 1
}

fn config(url: &str, pay: &str) -> String {
    format!(
        "[odoo]\nurl = \"{url}\"\ndatabase = \"crm17c\"\nlogin = \"admin\"\n\
         password_env = \"SCOREKEEPER_ODOO_PASSWORD\"\n[state]\npath = \"state.db\"\n{pay}"
    )
}

const BAD_REFS: &str = r#"
[pay]
[[pay.plans]]
key = "reps"
name = "Sales reps"
group = "sales_team.group_sale_salesmen"
basic = "5%"

[[pay.plans.addons]]
key = "warranty"
products = "[('default_code', '=like', 'WRN-%')]"
rate = "10%"

[[pay.plans]]
key = "menus"
name = "Not a group"
group = "crm.crm_menu_root"
basic = "1%"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_refuses_unknown_groups_and_products_at_their_keys_and_run_refuses_the_same() {
    let served = Served::start(pay_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pay.toml");
    let body = config(&served.url, BAD_REFS);
    std::fs::write(&path, &body).unwrap();
    let c = path.to_str().unwrap();
    let setup = sk_async(&["setup", "-c", c]).await;
    assert!(setup.status.success(), "{}", text(&setup));

    let expected = [
        format!(
            "pay.toml:{}:9 pay.plans[0].group: no XML id sales_team.group_sale_salesmen in Odoo",
            line_of(&body, "group_sale_salesmen")
        ),
        format!(
            "pay.toml:{}:12 pay.plans[0].addons[0].products: no product.product matches \
             [('default_code', '=like', 'WRN-%')]",
            line_of(&body, "WRN-")
        ),
        format!(
            "pay.toml:{}:9 pay.plans[1].group: crm.crm_menu_root names a ir.ui.menu, not a res.groups",
            line_of(&body, "crm_menu_root")
        ),
    ];
    let check = sk_async(&["check", "-c", c]).await;
    let out = text(&check);
    assert_eq!(check.status.code(), Some(2), "{out}");
    for e in &expected {
        assert!(out.contains(e.as_str()), "missing {e:?} in\n{out}");
    }

    let run = sk_async(&[
        "run",
        "-c",
        c,
        "pay",
        "--period",
        "2026-11",
        "--now",
        "2026-11-23 08:00:00",
    ])
    .await;
    let out = text(&run);
    assert_eq!(run.status.code(), Some(2), "{out}");
    for e in &expected {
        assert!(out.contains(e.as_str()), "run: missing {e:?} in\n{out}");
    }
    assert_eq!(
        served.sim.read().count("x_sk_statement"),
        0,
        "nothing written"
    );
    served.stop().await;
}

const OVERLAP: &str = r#"
[pay]
[[pay.plans]]
key = "closers"
name = "Closers"
users = ["demo"]
basic = "5%"

[[pay.plans]]
key = "salespeople"
name = "Every salesperson"
group = "sales_team.group_sale_salesman"
basic = "2%"

[[pay.plans.addons]]
key = "warranty"
products = "[('default_code', '=like', 'WAR-%')]"
rate = "10%"
"#;

/// Demo is a salesman in the snapshot (group 21), so Odoo puts demo in both plans; the config
/// alone cannot tell (a login and a group). Before `setup`, the statement models are missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_refuses_a_person_odoo_puts_in_two_plans_and_models_setup_has_not_created() {
    let served = Served::start(pay_sim()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pay.toml");
    let body = config(&served.url, OVERLAP);
    std::fs::write(&path, &body).unwrap();
    let c = path.to_str().unwrap();

    let check = sk_async(&["check", "-c", c]).await;
    let out = text(&check);
    assert_eq!(check.status.code(), Some(2), "{out}");
    let pay_line = line_of(&body, "[pay]");
    assert!(
        out.contains(&format!(
            "pay.toml:{pay_line}:1 pay: models x_sk_statement, x_sk_statement_line are not in \
             Odoo yet (hint: run `scorekeeper setup -c {c}` first: it creates them)"
        )),
        "{out}"
    );
    let second = line_of(&body, "name = \"Every salesperson\"");
    assert!(
        out.contains(&format!(
            "pay.toml:{second}:8 pay.plans[1]: user \"demo\" (id 6) is also in plan \"closers\" \
             (as Odoo lists the members), and both pay basic"
        )),
        "{out}"
    );

    // Both plans stacking, and setup done: check passes and a run writes. (The add-on goes:
    // the snapshot has no invoice lines to read it from, and check says so.)
    let addon = body.find("[[pay.plans.addons]]").unwrap();
    let stacked = body[..addon]
        .replace("basic = \"5%\"", "basic = \"5%\"\nstack = true")
        .replace("basic = \"2%\"", "basic = \"2%\"\nstack = true");
    std::fs::write(&path, &stacked).unwrap();
    assert!(sk_async(&["setup", "-c", c]).await.status.success());
    let check = sk_async(&["check", "-c", c]).await;
    assert!(check.status.success(), "{}", text(&check));
    let run = sk_async(&[
        "run",
        "-c",
        c,
        "pay",
        "--period",
        "2026-11",
        "--now",
        "2026-11-23 08:00:00",
    ])
    .await;
    assert!(run.status.success(), "{}", text(&run));
    assert!(served.sim.read().count("x_sk_statement") > 0);
    served.stop().await;
}
