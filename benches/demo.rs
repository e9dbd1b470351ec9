//! Throughput of the demo-dataset generator alone: a store that answers the reference lookups
//! with fixed ids and drops every record after counting it, so only generation is measured.
//! Run: `cargo bench --bench demo`.

use scorekeeper::demo::{DatasetSpec, generate};
use scorekeeper::record::{RecordStore, Value};

fn main() {
    divan::main();
}

/// Pretends every reference exists (id 1) except what must be absent for a fresh load: the
/// demo logins, invoice numbers and `ir.model.fields` rows.
#[derive(Default)]
struct NullStore {
    created: usize,
}

impl RecordStore for NullStore {
    fn create(&mut self, _model: &str, values: Vec<(String, Value)>) -> i64 {
        self.created += 1;
        divan::black_box(values);
        self.created as i64
    }

    fn search_eq(&self, model: &str, field: &str, value: &Value) -> Vec<i64> {
        let absent = match (model, field) {
            ("res.users", "login") => value.as_str() != Some("admin"),
            ("account.move", "name") | ("ir.model.fields", _) => true,
            _ => false,
        };
        if absent { Vec::new() } else { vec![1] }
    }

    fn set_password(&mut self, _uid: i64, _password: &str) {}
}

#[divan::bench(args = [2_000, 1_000_000], sample_count = 3, sample_size = 1)]
fn generate_dataset(bencher: divan::Bencher, leads: usize) {
    let spec = DatasetSpec::with_leads(leads);
    bencher.bench_local(|| {
        let mut store = NullStore::default();
        let summary = generate(&spec, &mut store).expect("dataset");
        divan::black_box(summary.count("crm.lead"))
    });
}
