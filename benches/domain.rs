//! Domain evaluation speed: 12 realistic lead-scoring rules over 100,000 in-memory leads.
//! The throughput divan prints for `score_100k_leads` is leaf evaluations per second.
#![allow(clippy::unwrap_used)]

use std::sync::OnceLock;

use divan::Bencher;
use divan::counter::ItemsCount;
use scorekeeper::domain::{Domain, EvalOptions, MemorySource};
use scorekeeper::record::{FieldDef, FieldType, Value};

fn main() {
    divan::main();
}

const LEADS: i64 = 100_000;

const RULES: [&str; 12] = [
    "[('country_id.code', '=', 'VN')]",
    "[('country_id.code', 'in', ['VN', 'CN', 'RU'])]",
    "[('expected_revenue', '>=', 10000)]",
    "[('email_from', 'ilike', '@gmail.com')]",
    "[('phone', '!=', False), ('email_from', '!=', False)]",
    "['|', ('priority', '=', '3'), ('priority', '=', '2')]",
    "[('tag_ids.name', '=', 'VIP')]",
    "[('type', '=', 'opportunity'), ('probability', '>', 50)]",
    "[('create_date', '>=', '2026-11-01')]",
    "[('partner_id.is_company', '=', True), ('stage_id', 'not in', [4])]",
    "['|', ('user_id', '=', False), ('team_id', '=', False)]",
    "[('name', 'ilike', 'nguyễn')]",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn data() -> &'static (MemorySource, Vec<i64>) {
    static DATA: OnceLock<(MemorySource, Vec<i64>)> = OnceLock::new();
    DATA.get_or_init(|| {
        let f = FieldDef::new;
        let rel = |n: &str, t: FieldType, c: &str| FieldDef::new(n, t).with_relation(c);
        let mut src = MemorySource::new();
        src.add_model(
            "res.country",
            [f("name", FieldType::Char), f("code", FieldType::Char)],
        );
        src.add_model("crm.tag", [f("name", FieldType::Char)]);
        src.add_model(
            "res.partner",
            [
                f("name", FieldType::Char),
                f("is_company", FieldType::Boolean),
                f("active", FieldType::Boolean),
            ],
        );
        src.add_model(
            "crm.lead",
            [
                f("name", FieldType::Char),
                f("email_from", FieldType::Char),
                f("phone", FieldType::Char),
                rel("country_id", FieldType::Many2one, "res.country"),
                rel("partner_id", FieldType::Many2one, "res.partner"),
                rel("tag_ids", FieldType::Many2many, "crm.tag"),
                rel("stage_id", FieldType::Many2one, "crm.stage"),
                rel("user_id", FieldType::Many2one, "res.users"),
                rel("team_id", FieldType::Many2one, "crm.team"),
                f("expected_revenue", FieldType::Monetary),
                f("probability", FieldType::Float),
                f("priority", FieldType::Selection),
                f("type", FieldType::Selection),
                f("create_date", FieldType::Datetime),
                f("active", FieldType::Boolean),
            ],
        );
        let codes = ["VN", "CN", "RU", "FR", "US", "DE", "BE", "IN", "JP", "BR"];
        for (i, c) in codes.iter().enumerate() {
            src.insert(
                "res.country",
                i as i64 + 1,
                [
                    ("name", Value::from(format!("Country {c}"))),
                    ("code", Value::from(*c)),
                ],
            )
            .unwrap();
        }
        for (i, t) in ["VIP", "Product", "Services", "Hot", "Cold"]
            .iter()
            .enumerate()
        {
            src.insert("crm.tag", i as i64 + 1, [("name", Value::from(*t))])
                .unwrap();
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for p in 1..=5_000i64 {
            src.insert(
                "res.partner",
                p,
                [
                    ("name", Value::from(format!("Partner {p}"))),
                    ("is_company", Value::Bool(rng.below(3) == 0)),
                    ("active", Value::Bool(rng.below(20) != 0)),
                ],
            )
            .unwrap();
        }
        let names = [
            "Nguyễn Văn An",
            "Trần Thị Bình",
            "Иван Петров",
            "王伟",
            "John Smith",
            "Marie Dupont",
        ];
        let domains = ["gmail.com", "yahoo.com", "example.vn", "mail.ru", "qq.com"];
        for id in 1..=LEADS {
            let name = names[rng.below(names.len() as u64) as usize];
            let opt = |rng: &mut Rng, v: Value| if rng.below(10) == 0 { Value::Null } else { v };
            let country = Value::Many2one(rng.below(10) as i64 + 1);
            let partner = Value::Many2one(rng.below(5_000) as i64 + 1);
            let user = Value::Many2one(rng.below(20) as i64 + 1);
            let team = Value::Many2one(rng.below(3) as i64 + 1);
            let email = opt(
                &mut rng,
                Value::from(format!("lead{id}@{}", domains[(id % 5) as usize])),
            );
            let phone = opt(&mut rng, Value::from(format!("+84 {id:09}")));
            let ntags = rng.below(3);
            let tags: Vec<i64> = (0..ntags).map(|_| rng.below(5) as i64 + 1).collect();
            let values = [
                ("name", Value::from(format!("{name} #{id}"))),
                ("email_from", email),
                ("phone", phone),
                ("country_id", opt(&mut rng, country)),
                ("partner_id", opt(&mut rng, partner)),
                ("tag_ids", Value::Ids(tags)),
                ("stage_id", Value::Many2one(rng.below(4) as i64 + 1)),
                ("user_id", opt(&mut rng, user)),
                ("team_id", opt(&mut rng, team)),
                ("expected_revenue", Value::Float(rng.below(50_000) as f64)),
                ("probability", Value::Float(rng.below(101) as f64)),
                (
                    "priority",
                    Value::from(["0", "1", "2", "3"][rng.below(4) as usize]),
                ),
                (
                    "type",
                    Value::from(if rng.below(2) == 0 {
                        "lead"
                    } else {
                        "opportunity"
                    }),
                ),
                (
                    "create_date",
                    Value::from(format!(
                        "2026-{:02}-{:02} 10:00:00",
                        rng.below(12) + 1,
                        rng.below(28) + 1
                    )),
                ),
                ("active", Value::Bool(rng.below(50) != 0)),
            ];
            src.insert("crm.lead", id, values).unwrap();
        }
        let ids: Vec<i64> = (1..=LEADS).collect();
        (src, ids)
    })
}

fn rules() -> Vec<Domain> {
    RULES.iter().map(|r| Domain::parse(r).unwrap()).collect()
}

/// All 12 rules over every lead; throughput = leaf evaluations per second.
#[divan::bench]
fn score_100k_leads(bencher: Bencher) {
    let (src, ids) = data();
    let opts = EvalOptions::default();
    let prepared: Vec<_> = rules()
        .iter()
        .map(|d| d.prepare(src, "crm.lead", &opts).unwrap())
        .collect();
    // one untimed pass to count the leaf evaluations a pass performs
    let before: u64 = prepared.iter().map(|p| p.leaf_evals()).sum();
    let matched: usize = prepared.iter().map(|p| p.filter(ids).len()).sum();
    let per_pass = prepared.iter().map(|p| p.leaf_evals()).sum::<u64>() - before;
    assert!(matched > 0);
    bencher.counter(ItemsCount::new(per_pass)).bench(|| {
        prepared
            .iter()
            .map(|p| p.filter(divan::black_box(ids)).len())
            .sum::<usize>()
    });
}

/// Compiling the 12 rules (parse + prepare), what a scoring run pays once.
#[divan::bench]
fn parse_and_prepare_12_rules(bencher: Bencher) {
    let (src, _) = data();
    let opts = EvalOptions::default();
    bencher.bench(|| {
        RULES
            .iter()
            .map(|r| {
                let d = Domain::parse(divan::black_box(r)).unwrap();
                d.prepare(src, "crm.lead", &opts).unwrap().leaf_evals()
            })
            .sum::<u64>()
    });
}
