//! What the gamification run would refuse about `[recognition]` that only the server can
//! tell: `mail.message` has the key field its posts carry (without it a lost answer could
//! post twice), and the channel exists. `setup` creates both.

use crate::config::{Config, Diagnostic, Location, RecognitionConfig};
use crate::jobs::gamification::KEY_FIELD;
use crate::jobs::gamification::recognition::{CHANNEL, MESSAGE};
use crate::odoo::{OdooClient, OdooError, leaf};

pub(super) async fn verify_recognition(
    client: &OdooClient,
    cfg: &Config,
    recognition: &RecognitionConfig,
) -> Result<Vec<Diagnostic>, OdooError> {
    let at = cfg
        .located
        .get("recognition")
        .cloned()
        .unwrap_or_else(|| Location {
            file: cfg.path.clone(),
            line: 1,
            column: 1,
        });
    let setup = format!(
        "run `scorekeeper setup -c {}` first: it creates it",
        cfg.path.display()
    );
    let mut diags = Vec::new();
    let field = client
        .search(
            "ir.model.fields",
            vec![leaf("name", "=", KEY_FIELD), leaf("model", "=", MESSAGE)],
            &Default::default(),
        )
        .await?;
    if field.is_empty() {
        diags.push(at.clone().diagnostic(
            "recognition",
            format!(
                "{MESSAGE}.{KEY_FIELD} not in Odoo yet: posts carry their key there, so that one whose answer was lost is never posted twice"
            ),
            Some(setup.clone()),
        ));
    }
    if let Some(name) = &recognition.channel {
        let found = client
            .search(
                CHANNEL,
                vec![leaf("name", "=", name.as_str())],
                &Default::default(),
            )
            .await?;
        if found.is_empty() {
            diags.push(at.diagnostic(
                "recognition.channel",
                format!("no {CHANNEL} named {name:?} in Odoo"),
                Some(setup),
            ));
        }
    }
    Ok(diags)
}
