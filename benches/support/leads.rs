//! The generated `search_read` answer the codec benches decode (`xmlrpc`, `wire`): 20 fields
//! per lead, deterministic, shaped like Odoo's answer.

use scorekeeper::xmlrpc::{Struct, Value};

/// A deterministic generator, so every run measures the same document.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() as usize) % items.len()]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn m2o(id: u64, name: &str) -> Value {
    Value::Array(vec![Value::Int(id as i64), Value::from(name)])
}

/// `count` leads with 20 fields each, shaped like Odoo's `search_read` answer: many2one pairs,
/// `False` for empty values, Unicode names, doubles, id lists.
pub fn leads(count: u64) -> Value {
    let mut rng = Lcg(42);
    let names = [
        "Interest in your products",
        "Cơ hội: phần mềm quản trị cộng tác viên",
        "销售积分制试点项目",
        "Запись встречи: выездной представитель",
        "Smith & Sons <VIP> — emoji 😀",
        "Office Design Project",
        "Quote for 150 carpets",
        "Need 20 Desks",
    ];
    let partners = [
        "Deco Addict",
        "Lumber Inc",
        "Ready Mat",
        "Gemini Furniture",
        "Azure Interior",
    ];
    let users = ["Mitchell Admin", "Marc Demo", "Nguyễn Văn An", "李明"];
    let stages = ["New", "Qualified", "Proposition", "Won"];
    let cities = [
        "Hà Nội",
        "北京",
        "Москва",
        "Bruxelles",
        "São Paulo",
        "Zürich",
    ];
    let mut out = Vec::with_capacity(count as usize);
    for id in 1..=count {
        let mut lead = Struct::with_capacity(20);
        let false_or = |rng: &mut Lcg, v: Value| {
            if rng.chance(30) {
                Value::Bool(false)
            } else {
                v
            }
        };
        lead.push("id", Value::Int(id as i64));
        lead.push("name", Value::from(format!("{} #{id}", rng.pick(&names))));
        let partner = m2o(rng.next() % 500 + 1, rng.pick(&partners));
        lead.push("partner_id", false_or(&mut rng, partner));
        lead.push("user_id", m2o(rng.next() % 20 + 1, rng.pick(&users)));
        lead.push("team_id", m2o(rng.next() % 5 + 1, "Sales"));
        lead.push("stage_id", m2o(rng.next() % 4 + 1, rng.pick(&stages)));
        let email = Value::from(format!("contact{id}@example.com"));
        lead.push("email_from", false_or(&mut rng, email));
        let phone = Value::from(format!(
            "+32 10 {:03} {:03}",
            rng.next() % 1000,
            rng.next() % 1000
        ));
        lead.push("phone", false_or(&mut rng, phone));
        lead.push(
            "probability",
            Value::Double((rng.next() % 10_000) as f64 / 100.0),
        );
        lead.push(
            "expected_revenue",
            Value::Double((rng.next() % 1_000_000) as f64),
        );
        lead.push("priority", Value::from(rng.pick(&["0", "1", "2", "3"])));
        lead.push("type", Value::from(rng.pick(&["lead", "opportunity"])));
        lead.push("active", Value::Bool(rng.chance(90)));
        let tags = (0..rng.next() % 4)
            .map(|_| Value::Int((rng.next() % 30) as i64))
            .collect();
        lead.push("tag_ids", Value::Array(tags));
        lead.push("create_date", Value::from("2026-11-01 09:30:00"));
        let deadline = Value::from(format!("2026-12-{:02}", rng.next() % 28 + 1));
        lead.push("date_deadline", false_or(&mut rng, deadline));
        lead.push("city", Value::from(rng.pick(&cities)));
        lead.push("country_id", m2o(rng.next() % 250 + 1, "Việt Nam"));
        let description = Value::from("Call back <b>Monday</b> & send the quote.\nBudget: 10k €");
        lead.push("description", false_or(&mut rng, description));
        lead.push("company_id", m2o(1, "My Company (San Francisco)"));
        out.push(Value::Struct(lead));
    }
    Value::Array(out)
}
