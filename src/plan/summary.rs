//! How a plan reads to a person (`scorekeeper plan`) and to a program (`--json`): counts per
//! model and field, then the first examples with old → new and the reason.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value as Json, json};

use super::names::Names;
use super::{ChangeRef, Plan, value_to_json};

/// Examples shown by `Display for Plan`.
const DEFAULT_EXAMPLES: usize = 10;

/// model → field → records changing it.
type WriteCounts<'a> = BTreeMap<&'a str, BTreeMap<&'a str, usize>>;
/// model → records created.
type CreateCounts<'a> = BTreeMap<&'a str, usize>;

/// A readable summary of a plan with at most `examples` example lines.
pub struct Summary<'a> {
    plan: &'a Plan,
    examples: usize,
    /// Names of the records and values the examples show; ids alone without them.
    names: Option<&'a Names>,
}

impl Plan {
    pub(crate) fn summary(&self, examples: usize) -> Summary<'_> {
        Summary {
            plan: self,
            examples,
            names: None,
        }
    }

    /// The summary with the examples' records and values named (see [`Plan::wanted_names`]).
    pub(crate) fn summary_named<'a>(&'a self, examples: usize, names: &'a Names) -> Summary<'a> {
        Summary {
            plan: self,
            examples,
            names: Some(names),
        }
    }

    /// (model → (field → number of records changing it)) and (model → number of creates).
    fn counts(&self) -> (WriteCounts<'_>, CreateCounts<'_>) {
        let mut writes: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
        let mut creates: BTreeMap<&str, usize> = BTreeMap::new();
        for change in self.iter() {
            match change {
                ChangeRef::Write { model, values, .. } => {
                    let fields = writes.entry(model).or_default();
                    for value in values {
                        *fields.entry(value.field.as_str()).or_default() += 1;
                    }
                }
                ChangeRef::Create { model, .. } => *creates.entry(model).or_default() += 1,
                // Unlinks are counted by `unlink_counts`.
                ChangeRef::Unlink { .. } => {}
            }
        }
        (writes, creates)
    }

    /// model → records deleted.
    fn unlink_counts(&self) -> BTreeMap<&str, usize> {
        let mut out: BTreeMap<&str, usize> = BTreeMap::new();
        for (model, ..) in self.unlinks() {
            *out.entry(model).or_default() += 1;
        }
        out
    }

    /// The plan as JSON for `scorekeeper plan --json`; values use the journal's encoding
    /// (see `value_json`).
    pub(crate) fn to_json(&self) -> Json {
        let (writes, creates) = self.counts();
        let changes: Vec<Json> = self
            .iter()
            .map(|change| match change {
                ChangeRef::Write {
                    model,
                    id,
                    values,
                    reason,
                } => json!({
                    "kind": "write",
                    "model": model,
                    "id": id,
                    "reason": reason,
                    "fields": values.iter().map(|c| json!({
                        "field": c.field,
                        "old": value_to_json(&c.old),
                        "new": value_to_json(&c.new),
                    })).collect::<Vec<_>>(),
                }),
                ChangeRef::Create {
                    model,
                    values,
                    key,
                    reason,
                } => json!({
                    "kind": "create",
                    "model": model,
                    "key": key.as_str(),
                    "reason": reason,
                    "values": values_json(values),
                }),
                ChangeRef::Unlink {
                    model,
                    id,
                    values,
                    reason,
                } => json!({
                    "kind": "unlink",
                    "model": model,
                    "id": id,
                    "reason": reason,
                    "values": values_json(values),
                }),
            })
            .collect();
        let mut out = json!({
            "job": self.job,
            "field_changes": self.field_change_count(),
            "creates": self.create_count(),
            "counts": { "write": writes, "create": creates },
            "changes": changes,
        });
        if self.unlink_count() > 0 {
            out["unlinks"] = json!(self.unlink_count());
            out["counts"]["unlink"] = json!(self.unlink_counts());
        }
        out
    }
}

/// A record's values as a JSON object, in the journal's encoding.
fn values_json(values: &[(String, crate::record::Value)]) -> Json {
    let mut fields = Map::new();
    for (field, value) in values {
        fields.insert(field.clone(), value_to_json(value));
    }
    Json::Object(fields)
}

impl fmt::Display for Summary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plan = self.plan;
        if plan.is_empty() {
            return writeln!(f, "plan for {}: nothing to change", plan.job);
        }
        let records = plan.writes().count();
        writeln!(
            f,
            "plan for {}: {} field change(s) on {} record(s), {} create(s)",
            plan.job,
            plan.field_change_count(),
            records,
            plan.create_count()
        )?;
        let (writes, creates) = plan.counts();
        for (model, fields) in &writes {
            for (field, count) in fields {
                writeln!(f, "  {model}.{field}: {count} record(s)")?;
            }
        }
        for (model, count) in &creates {
            writeln!(f, "  {model}: {count} create(s)")?;
        }
        for (model, count) in &plan.unlink_counts() {
            writeln!(f, "  {model}: {count} duplicate(s) to delete")?;
        }
        if self.examples == 0 {
            return Ok(());
        }
        writeln!(f, "examples:")?;
        let unnamed = Names::default();
        let names = self.names.unwrap_or(&unnamed);
        for change in plan.iter().take(self.examples) {
            match change {
                ChangeRef::Write {
                    model,
                    id,
                    values,
                    reason,
                } => {
                    let fields: Vec<String> = values
                        .iter()
                        .map(|c| {
                            format!(
                                "{}: {} → {}",
                                c.field,
                                names.value(model, &c.field, &c.old),
                                names.value(model, &c.field, &c.new)
                            )
                        })
                        .collect();
                    let record = names.record(model, id);
                    writeln!(f, "  {record}  {}  ({reason})", fields.join(", "))?;
                }
                ChangeRef::Create {
                    model,
                    values,
                    key,
                    reason,
                } => {
                    let fields: Vec<String> = values
                        .iter()
                        .map(|(k, v)| format!("{k}={}", names.value(model, k, v)))
                        .collect();
                    writeln!(
                        f,
                        "  create {model} [{key}]  {}  ({reason})",
                        fields.join(", ")
                    )?;
                }
                ChangeRef::Unlink {
                    model, id, reason, ..
                } => writeln!(f, "  delete {}  ({reason})", names.record(model, id))?,
            }
        }
        let more = plan.len().saturating_sub(self.examples);
        if more > 0 {
            writeln!(f, "  … and {more} more")?;
        }
        Ok(())
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.summary(DEFAULT_EXAMPLES).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{FieldChange, IdemKey, decode_value};
    use super::*;
    use crate::record::Value;

    fn sample() -> Plan {
        let mut plan = Plan::new("scoring");
        for id in 1..=3 {
            plan.push_write(
                "crm.lead",
                id,
                vec![FieldChange::new(
                    "x_score",
                    Value::Int(0),
                    Value::Int(10 * id),
                )],
                "Vietnam market +10",
            );
        }
        plan.push_create(
            "gamification.badge.user",
            vec![
                ("badge_id".into(), Value::Many2one(2)),
                ("user_id".into(), Value::Many2one(6)),
            ],
            IdemKey::new("badge:challenge=4:user=6").unwrap(),
            "reached every goal",
        );
        plan
    }

    #[test]
    fn display_counts_and_examples() {
        let text = sample().summary(2).to_string();
        assert_eq!(
            text,
            "plan for scoring: 3 field change(s) on 3 record(s), 1 create(s)\n\
             \x20 crm.lead.x_score: 3 record(s)\n\
             \x20 gamification.badge.user: 1 create(s)\n\
             examples:\n\
             \x20 crm.lead 1  x_score: 0 → 10  (Vietnam market +10)\n\
             \x20 crm.lead 2  x_score: 0 → 20  (Vietnam market +10)\n\
             \x20 … and 2 more\n"
        );
        assert_eq!(
            Plan::new("x").to_string(),
            "plan for x: nothing to change\n"
        );
    }

    #[test]
    fn named_examples_say_what_people_call_records_and_values() {
        let mut names = Names::default();
        names.insert_record("crm.lead", 1, "Bàn họp lớn");
        names.insert_relation("gamification.badge.user", "user_id", "res.users");
        names.insert_record("res.users", 6, "Marc Demo");
        let text = sample().summary_named(5, &names).to_string();
        assert!(
            text.contains("  crm.lead Bàn họp lớn (#1)  x_score: 0 → 10  (Vietnam market +10)\n"),
            "{text}"
        );
        assert!(text.contains("  crm.lead 2  x_score: 0 → 20"), "{text}");
        assert!(
            text.contains("badge_id=2, user_id=Marc Demo (#6)  (reached every goal)"),
            "{text}"
        );
    }

    #[test]
    fn json_carries_every_change_with_encoded_values() {
        let json = sample().to_json();
        assert_eq!(json["field_changes"], 3);
        assert_eq!(json["counts"]["write"]["crm.lead"]["x_score"], 3);
        assert_eq!(json["changes"][2]["fields"][0]["new"], 30);
        assert_eq!(json["changes"][3]["key"], "badge:challenge=4:user=6");
        let badge = &json["changes"][3]["values"]["badge_id"];
        assert_eq!(
            decode_value(&badge.to_string()).unwrap(),
            Value::Many2one(2)
        );
    }
}
