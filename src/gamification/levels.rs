//! Levels with rewards (issue 16 item 1): the config's `[[gamification.levels]]` name Odoo
//! karma ranks (`gamification.karma.rank`, which Odoo itself uses for `res.users.rank_id`) and
//! the badge that reaching each one earns. This engine decides, from each person's karma and
//! the level grants that exist, which badges to grant and — when `level_drop = "revoke"` —
//! which to take back from people whose karma fell below the level again (a compensating
//! karma entry, a refund). With `level_drop = "keep"` the badge stays, and the pass says so.
//!
//! A grant's key names the level, the person and the karma tracking with which they crossed
//! into it (`level:level=<key>:user=<id>:at=<tracking>`): reaching a level grants once; a
//! lost answer, a retry or a rerun finds the key and grants nothing more. After a
//! revocation, crossing into the level again is a new tracking, hence a new key and a new
//! grant. Pure: the job reads, this decides, apply writes.

use std::collections::{BTreeMap, HashMap};

use crate::plan::{IdemKey, InvalidKey};

/// What happens to a level's badge when its holder's karma falls below the level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnDrop {
    /// The badge stays; the pass lists the holder as below the level.
    #[default]
    Keep,
    /// The grant is deleted (journaled with its values, so `undo` gives it back).
    Revoke,
}

/// A level as the pass needs it: config values resolved against Odoo's records.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    /// The config key, stable, part of every grant key.
    pub key: String,
    /// The karma rank's name.
    pub name: String,
    /// Odoo's `karma_min` for the rank (what Odoo's own `rank_id` follows).
    pub karma_min: i64,
    /// The badge reaching it earns.
    pub badge_id: i64,
}

/// A person's karma now.
#[derive(Clone, Debug, PartialEq)]
pub struct Holder {
    pub user_id: i64,
    pub name: String,
    pub karma: i64,
}

/// A level grant that exists in Odoo (a `gamification.badge.user` carrying a `level:` key).
#[derive(Clone, Debug, PartialEq)]
pub struct HeldGrant {
    pub id: i64,
    pub user_id: i64,
    pub key: IdemKey,
    /// What the grant holds, journaled with a revocation so that undo creates it again.
    pub values: Vec<(String, crate::record::Value)>,
}

/// A badge to grant for a level reached.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelGrant {
    pub user_id: i64,
    pub badge_id: i64,
    pub key: IdemKey,
    /// The grant's `comment`, as people read it.
    pub comment: String,
}

/// A level grant to delete: its holder fell below the level and the config says revoke.
#[derive(Clone, Debug, PartialEq)]
pub struct Revocation {
    pub grant: HeldGrant,
    pub reason: String,
}

/// What the pass decided.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decision {
    pub grants: Vec<LevelGrant>,
    pub revocations: Vec<Revocation>,
    /// Holders below a level whose badge they keep (`level_drop = "keep"`), one line each:
    /// never silent.
    pub kept: Vec<String>,
}

/// The input of one pass.
#[derive(Clone, Copy, Debug)]
pub struct LevelInput<'a> {
    pub levels: &'a [Level],
    /// Everyone whose karma reaches the lowest level, plus everyone holding a level grant.
    pub holders: &'a [Holder],
    pub held: &'a [HeldGrant],
    /// (level key, user) → the newest karma tracking that crossed into the level (its
    /// `old_value` below `karma_min`, its `new_value` at or above). Missing when the karma
    /// got there without a tracking: the key then says `at=0`.
    pub crossings: &'a HashMap<(String, i64), i64>,
    pub on_drop: OnDrop,
}

/// The key of the grant for reaching `level` with tracking `at`.
pub fn grant_key(level: &str, user: i64, at: i64) -> Result<IdemKey, InvalidKey> {
    IdemKey::new(format!("level:level={level}:user={user}:at={at}"))
}

/// (level key, user) of a level grant's key.
pub fn parse_grant_key(key: &str) -> Option<(String, i64)> {
    let rest = key.strip_prefix("level:level=")?;
    let (level, rest) = rest.split_once(":user=")?;
    let (user, _) = rest.split_once(":at=")?;
    Some((level.to_owned(), user.parse().ok()?))
}

/// Grants for levels reached without a grant, revocations (or kept notes) for grants whose
/// holder is below their level now.
pub fn decide(input: &LevelInput<'_>) -> Result<Decision, InvalidKey> {
    let mut out = Decision::default();
    let karma: HashMap<i64, &Holder> = input.holders.iter().map(|h| (h.user_id, h)).collect();
    // (level, user) → grants held, oldest first (ids grow).
    let mut held: BTreeMap<(String, i64), Vec<&HeldGrant>> = BTreeMap::new();
    for g in input.held {
        if let Some((level, user)) = parse_grant_key(g.key.as_str()) {
            held.entry((level, user)).or_default().push(g);
        }
    }
    for level in input.levels {
        for h in input.holders {
            if h.karma < level.karma_min || h.karma <= 0 {
                continue;
            }
            if held.contains_key(&(level.key.clone(), h.user_id)) {
                continue;
            }
            let at = input
                .crossings
                .get(&(level.key.clone(), h.user_id))
                .copied()
                .unwrap_or(0);
            out.grants.push(LevelGrant {
                user_id: h.user_id,
                badge_id: level.badge_id,
                key: grant_key(&level.key, h.user_id, at)?,
                comment: format!(
                    "Level {} reached: {} karma (the level starts at {})",
                    level.name, h.karma, level.karma_min
                ),
            });
        }
    }
    for ((level_key, user), grants) in &held {
        // A grant of a level no longer configured is left alone: the config decides which
        // levels the pass manages.
        let Some(level) = input.levels.iter().find(|l| &l.key == level_key) else {
            continue;
        };
        // A person not read has karma 0 (the job reads every holder of a level grant).
        let (name, now) = karma
            .get(user)
            .map_or((format!("user {user}"), 0), |h| (h.name.clone(), h.karma));
        if now >= level.karma_min {
            continue;
        }
        match input.on_drop {
            OnDrop::Keep => out.kept.push(format!(
                "{name} is below level {} ({now} karma < {}) and keeps its badge (level_drop = \"keep\")",
                level.name, level.karma_min
            )),
            OnDrop::Revoke => {
                for g in grants {
                    out.revocations.push(Revocation {
                        grant: (*g).clone(),
                        reason: format!(
                            "level {} revoked from {name}: {now} karma < {} (level_drop = \"revoke\")",
                            level.name, level.karma_min
                        ),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Is the ladder strictly increasing? The index of the first level that is not.
pub fn first_not_increasing(mins: &[i64]) -> Option<usize> {
    mins.windows(2).position(|w| w[1] <= w[0]).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn levels() -> Vec<Level> {
        vec![
            Level {
                key: "student".into(),
                name: "Student".into(),
                karma_min: 100,
                badge_id: 21,
            },
            Level {
                key: "bachelor".into(),
                name: "Bachelor".into(),
                karma_min: 500,
                badge_id: 22,
            },
        ]
    }

    fn holder(user_id: i64, karma: i64) -> Holder {
        Holder {
            user_id,
            name: format!("Người {user_id}"),
            karma,
        }
    }

    fn held_from(d: &Decision, first_id: i64) -> Vec<HeldGrant> {
        d.grants
            .iter()
            .enumerate()
            .map(|(i, g)| HeldGrant {
                id: first_id + i as i64,
                user_id: g.user_id,
                key: g.key.clone(),
                values: vec![],
            })
            .collect()
    }

    #[test]
    fn crossing_a_level_grants_its_badge_once() {
        let levels = levels();
        // User 7 went 90 → 130 with tracking 301: Student, not Bachelor.
        let crossings: HashMap<(String, i64), i64> =
            [(("student".to_owned(), 7), 301)].into_iter().collect();
        let holders = [holder(7, 130), holder(8, 99)];
        let input = LevelInput {
            levels: &levels,
            holders: &holders,
            held: &[],
            crossings: &crossings,
            on_drop: OnDrop::Keep,
        };
        let d = decide(&input).unwrap();
        assert_eq!(d.grants.len(), 1);
        assert_eq!(d.grants[0].badge_id, 21);
        assert_eq!(
            d.grants[0].key.as_str(),
            "level:level=student:user=7:at=301"
        );
        assert_eq!(
            d.grants[0].comment,
            "Level Student reached: 130 karma (the level starts at 100)"
        );
        assert_eq!(
            parse_grant_key(d.grants[0].key.as_str()),
            Some(("student".into(), 7))
        );
        // Once granted, the same karma (or more, within the level) grants nothing more.
        let held = held_from(&d, 900);
        let holders = [holder(7, 480), holder(8, 99)];
        let again = decide(&LevelInput {
            held: &held,
            holders: &holders,
            ..input
        })
        .unwrap();
        assert_eq!(again, Decision::default());
    }

    #[test]
    fn falling_below_keeps_or_revokes_as_configured_never_silently() {
        let levels = levels();
        let crossings = HashMap::new();
        let held = vec![HeldGrant {
            id: 900,
            user_id: 7,
            key: grant_key("student", 7, 301).unwrap(),
            values: vec![],
        }];
        // A refund took 7 from 130 to 60.
        let holders = [holder(7, 60)];
        let keep = decide(&LevelInput {
            levels: &levels,
            holders: &holders,
            held: &held,
            crossings: &crossings,
            on_drop: OnDrop::Keep,
        })
        .unwrap();
        assert!(keep.revocations.is_empty() && keep.grants.is_empty());
        assert_eq!(
            keep.kept,
            [
                "Người 7 is below level Student (60 karma < 100) and keeps its badge (level_drop = \"keep\")"
            ]
        );
        let revoke = decide(&LevelInput {
            levels: &levels,
            holders: &holders,
            held: &held,
            crossings: &crossings,
            on_drop: OnDrop::Revoke,
        })
        .unwrap();
        assert_eq!(revoke.revocations.len(), 1);
        assert_eq!(revoke.revocations[0].grant.id, 900);
        assert_eq!(
            revoke.revocations[0].reason,
            "level Student revoked from Người 7: 60 karma < 100 (level_drop = \"revoke\")"
        );
        // Back above with a new tracking (412): a new grant, a new key.
        let crossings: HashMap<(String, i64), i64> =
            [(("student".to_owned(), 7), 412)].into_iter().collect();
        let holders = [holder(7, 150)];
        let regained = decide(&LevelInput {
            levels: &levels,
            holders: &holders,
            held: &[],
            crossings: &crossings,
            on_drop: OnDrop::Revoke,
        })
        .unwrap();
        assert_eq!(
            regained.grants[0].key.as_str(),
            "level:level=student:user=7:at=412"
        );
    }

    #[test]
    fn a_ladder_must_increase() {
        assert_eq!(first_not_increasing(&[1, 100, 500]), None);
        assert_eq!(first_not_increasing(&[1, 500, 500]), Some(2));
        assert_eq!(first_not_increasing(&[100, 1]), Some(1));
    }
}
