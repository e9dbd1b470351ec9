//! A writable collection of records, as the demo-dataset generator sees the simulator: it
//! creates records (ids come from the store's per-model sequences) and looks up reference data.

use super::Value;

/// Where generated records go. The simulator's store implements it; so can a test's `Vec`.
pub trait RecordStore {
    /// Creates a record and returns its id (the model's next sequence value).
    /// Fields not given take the store's defaults (`Null`, or `false` for booleans).
    fn create(&mut self, model: &str, values: Vec<(String, Value)>) -> i64;
    /// Ids of the records of `model` whose `field` equals `value`, ascending.
    fn search_eq(&self, model: &str, field: &str, value: &Value) -> Vec<i64>;
    /// Lets user `uid` log in with `password` (the simulator keeps credentials outside records).
    fn set_password(&mut self, uid: i64, password: &str);
    /// Whether `model` has `field` (the generator picks each Odoo version's field names,
    /// e.g. `groups_id` on 17, `group_ids` on 19); stores without a schema have every field.
    fn has_field(&self, _model: &str, _field: &str) -> bool {
        true
    }
}
