//! The contact keys: the short names `--contact` takes and the annotations they stand for.

use std::fmt;
use std::str::FromStr;

/// One contact field of an ownership card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContactKey {
    Chat,
    Runbook,
    Incidents,
    Repository,
    Documentation,
    Support,
    Owner,
}

impl ContactKey {
    /// Every contact key, in display order.
    pub const ALL: [ContactKey; 7] = [
        ContactKey::Chat,
        ContactKey::Runbook,
        ContactKey::Incidents,
        ContactKey::Repository,
        ContactKey::Documentation,
        ContactKey::Support,
        ContactKey::Owner,
    ];

    /// The short key (`chat`), as `--contact` takes it and JSON documents name it.
    pub fn short(self) -> &'static str {
        match self {
            ContactKey::Chat => "chat",
            ContactKey::Runbook => "runbook",
            ContactKey::Incidents => "incidents",
            ContactKey::Repository => "repository",
            ContactKey::Documentation => "documentation",
            ContactKey::Support => "support",
            ContactKey::Owner => "owner",
        }
    }

    /// The annotation that holds it (`a8r.io/chat`).
    pub fn annotation(self) -> &'static str {
        match self {
            ContactKey::Chat => "a8r.io/chat",
            ContactKey::Runbook => "a8r.io/runbook",
            ContactKey::Incidents => "a8r.io/incidents",
            ContactKey::Repository => "a8r.io/repository",
            ContactKey::Documentation => "a8r.io/documentation",
            ContactKey::Support => "a8r.io/support",
            ContactKey::Owner => "a8r.io/owner",
        }
    }

    /// `chat, runbook, …, owner`, for help texts and errors.
    pub fn list() -> String {
        ContactKey::ALL.map(ContactKey::short).join(", ")
    }
}

impl FromStr for ContactKey {
    type Err = String;

    fn from_str(short: &str) -> Result<ContactKey, String> {
        if let Some(key) = ContactKey::ALL.into_iter().find(|k| k.short() == short) {
            return Ok(key);
        }
        // The full annotation is a likely slip: point at its short key.
        let hint = match ContactKey::ALL
            .into_iter()
            .find(|k| k.annotation() == short)
        {
            Some(k) => format!("; did you mean \"{}\"?", k.short()),
            None => super::nearest::nearest(short, ContactKey::ALL.map(ContactKey::short))
                .map(|k| format!("; did you mean \"{k}\"?"))
                .unwrap_or_default(),
        };
        Err(format!(
            "unknown contact key \"{short}\" (one of: {}){hint}",
            ContactKey::list()
        ))
    }
}

impl fmt::Display for ContactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_and_hints() {
        assert_eq!("chat".parse::<ContactKey>(), Ok(ContactKey::Chat));
        assert_eq!(ContactKey::Owner.annotation(), "a8r.io/owner");
        let err = "a8r.io/runbook".parse::<ContactKey>().unwrap_err();
        assert!(err.ends_with("did you mean \"runbook\"?"), "{err}");
        let err = "chta".parse::<ContactKey>().unwrap_err();
        assert!(err.ends_with("did you mean \"chat\"?"), "{err}");
        assert!("pager".parse::<ContactKey>().unwrap_err().starts_with(
            "unknown contact key \"pager\" (one of: chat, runbook, incidents, repository, documentation, support, owner)"
        ));
    }
}
