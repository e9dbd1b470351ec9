//! The `[recognition]` section: when someone reaches a goal or is granted a badge, the
//! gamification run posts a message once to a Discuss channel and/or the person's own chatter
//! in Odoo (mission G4), journaled and keyed like every other create.

use serde::Deserialize;
use toml::Spanned;

use super::context::Ctx;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRecognition {
    pub enabled: Option<Spanned<bool>>,
    /// The Discuss channel posted to, by name (`setup` creates it when missing).
    pub channel: Option<Spanned<String>>,
    /// Also post on the person's own contact (their `res.partner` chatter).
    pub chatter: Option<Spanned<bool>>,
    /// What is recognised: `"goal"`, `"badge"` (default both).
    pub on: Option<Spanned<Vec<String>>>,
}

/// What is recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Occasion {
    /// A challenge goal reached in its current period.
    Goal,
    /// A badge granted by a challenge.
    Badge,
}

impl Occasion {
    fn parse(s: &str) -> Option<Occasion> {
        match s {
            "goal" => Some(Occasion::Goal),
            "badge" => Some(Occasion::Badge),
            _ => None,
        }
    }
}

/// Validated `[recognition]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RecognitionConfig {
    /// The Discuss channel's name.
    pub channel: Option<String>,
    /// Post on the person's own chatter too.
    pub chatter: bool,
    pub on: Vec<Occasion>,
}

impl RecognitionConfig {
    pub fn recognises(&self, occasion: Occasion) -> bool {
        self.on.contains(&occasion)
    }
}

/// `None` when the section is absent or `enabled = false`; a mistake is a diagnostic.
pub(super) fn validate(
    raw: Option<Spanned<RawRecognition>>,
    has_gamification: bool,
    ctx: &mut Ctx<'_>,
) -> Option<RecognitionConfig> {
    let raw = raw?;
    let span = raw.span();
    ctx.locates("recognition", span.clone());
    let raw = raw.into_inner();
    if raw.enabled.as_ref().is_some_and(|e| !*e.get_ref()) {
        return None;
    }
    if !has_gamification {
        ctx.error(
            span.clone(),
            "recognition",
            "goals and badges are recognised by the gamification run, and there is no [gamification]",
            Some("add a [gamification] section, or set [recognition] enabled = false".into()),
        );
        return None;
    }
    let channel = match raw.channel {
        Some(c) if c.get_ref().trim().is_empty() => {
            ctx.error(
                c.span(),
                "recognition.channel",
                "must not be empty",
                Some("the Discuss channel's name, e.g. \"Sales floor\"".into()),
            );
            return None;
        }
        Some(c) => Some(c.get_ref().trim().to_owned()),
        None => None,
    };
    let chatter = raw.chatter.as_ref().is_some_and(|c| *c.get_ref());
    if channel.is_none() && !chatter {
        ctx.error(
            span,
            "recognition",
            "nowhere to post: no channel and chatter = false",
            Some("set channel = \"Sales floor\" and/or chatter = true".into()),
        );
        return None;
    }
    let on = match raw.on {
        None => vec![Occasion::Goal, Occasion::Badge],
        Some(list) => {
            let mut on = Vec::new();
            for s in list.get_ref() {
                match Occasion::parse(s) {
                    Some(o) if !on.contains(&o) => on.push(o),
                    Some(_) => {}
                    None => {
                        ctx.error(
                            list.span(),
                            "recognition.on",
                            format!("unknown occasion {s:?}"),
                            Some("\"goal\" and/or \"badge\"".into()),
                        );
                        return None;
                    }
                }
            }
            if on.is_empty() {
                ctx.error(
                    list.span(),
                    "recognition.on",
                    "recognises nothing",
                    Some("\"goal\" and/or \"badge\", or enabled = false".into()),
                );
                return None;
            }
            on
        }
    };
    Some(RecognitionConfig {
        channel,
        chatter,
        on,
    })
}
