//! One set of secrets per provider, read from the environment: what the
//! reference receivers (`examples/*_receiver.rs`, `hookseal listen`) are
//! configured with.
//!
//! | variable | what it holds |
//! |---|---|
//! | `HOOKSEAL_SECRET_TOCC`, `HOOKSEAL_SECRET_TORAN`, `HOOKSEAL_SECRET_ZAPITO`, `HOOKSEAL_SECRET_TUCO`, `HOOKSEAL_SECRET_CONNECTGAIN` | that provider's secret; during a rotation, several separated by whitespace, the new one first |
//! | `HOOKSEAL_SECRET` | a fallback for every provider without its own variable: one secret, taken whole; using it is reported as a [warning](ProviderSecrets::fallback_warning) |
//!
//! **Why one secret per provider.** Every provider signs the same way
//! (HMAC-SHA256 over the raw body), so a signature made with a secret is
//! valid on every route that accepts that secret. With one secret shared by
//! all five routes, a delivery captured on its way to one provider's route
//! can be replayed to another's: a Tuco `message.sent` posted to the
//! ConnectGain route verifies, and types as ConnectGain's `message.sent`.
//! Each provider gives each webhook its own secret: configure each one, and a
//! delivery verifies only on its own provider's route.
//!
//! ```
//! use hookseal_core::ProviderId;
//! use hookseal_core::env::{ProviderSecrets, SecretOrigin};
//!
//! let env = [("HOOKSEAL_SECRET_TORAN", "whsec_new whsec_old"), ("HOOKSEAL_SECRET", "whsec_shared")];
//! let secrets = ProviderSecrets::from_lookup(|name| {
//!     env.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string())
//! })?;
//! assert_eq!(secrets.get(ProviderId::Toran).len(), 2);
//! assert_eq!(secrets.origin(ProviderId::Toran), SecretOrigin::Own);
//! assert_eq!(secrets.origin(ProviderId::Tuco), SecretOrigin::Shared);
//! assert!(secrets.fallback_warning().is_some_and(|w| w.contains("tocc, zapito, tuco, connectgain")));
//! # Ok::<(), hookseal_core::env::SecretsError>(())
//! ```

use crate::provider::ProviderId;
use crate::secret::Secret;

/// The fallback variable: one secret for every provider without its own.
pub const SHARED_VAR: &str = "HOOKSEAL_SECRET";

/// The variable holding `provider`'s secrets: `HOOKSEAL_SECRET_TORAN` and so on.
#[must_use]
pub fn var_name(provider: ProviderId) -> String {
    format!("{SHARED_VAR}_{}", provider.name().to_ascii_uppercase())
}

/// Where a provider's secrets came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretOrigin {
    /// Its own variable ([`var_name`]).
    Own,
    /// The shared fallback ([`SHARED_VAR`], or whatever the lookup answers for it).
    Shared,
}

/// Why the secrets could not be read. No variant holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsError {
    /// Neither a provider's own variable nor the fallback is set.
    #[error("no secret for {providers}: set {vars} (or {SHARED_VAR} for all of them, not advised)")]
    Missing {
        /// The providers without a secret, comma-separated.
        providers: String,
        /// Their variables, comma-separated.
        vars: String,
    },
    /// A variable is set but holds no secret (empty, or only whitespace).
    #[error("{var} is set but holds no secret")]
    Empty {
        /// The variable.
        var: String,
    },
    /// A variable is set but is not valid Unicode.
    #[error("{var} is not valid Unicode")]
    NotUnicode {
        /// The variable.
        var: String,
    },
}

/// Every provider's secrets (one or more each), and where they came from.
#[derive(Debug, Clone)]
pub struct ProviderSecrets {
    entries: Vec<(ProviderId, Vec<Secret>, SecretOrigin)>,
}

impl ProviderSecrets {
    /// Reads [`var_name`] for each provider, then [`SHARED_VAR`] for those without one, from the
    /// process environment.
    ///
    /// # Errors
    ///
    /// [`SecretsError`]: a provider has no secret, or a variable is empty or not Unicode.
    pub fn from_env() -> Result<Self, SecretsError> {
        let mut names: Vec<String> = ProviderId::ALL.into_iter().map(var_name).collect();
        names.push(SHARED_VAR.to_owned());
        let mut values = Vec::with_capacity(names.len());
        for name in names {
            match std::env::var(&name) {
                Ok(value) => values.push((name, value)),
                Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) => return Err(SecretsError::NotUnicode { var: name }),
            }
        }
        Self::from_lookup(|name| values.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone()))
    }

    /// Like [`from_env`](Self::from_env), reading each variable through `lookup` (for tests, or
    /// to answer [`SHARED_VAR`] from a file).
    ///
    /// A provider's own variable lists its secrets separated by whitespace (secrets from the
    /// providers never contain any); the fallback is taken whole, as one secret.
    ///
    /// # Errors
    ///
    /// [`SecretsError`]: a provider has no secret, or a variable is empty.
    pub fn from_lookup(mut lookup: impl FnMut(&str) -> Option<String>) -> Result<Self, SecretsError> {
        let mut shared: Option<Option<Secret>> = None;
        let mut entries = Vec::with_capacity(ProviderId::ALL.len());
        let mut missing = Vec::new();
        for provider in ProviderId::ALL {
            let var = var_name(provider);
            if let Some(value) = lookup(&var) {
                let secrets: Vec<Secret> = value.split_whitespace().filter_map(|item| Secret::new(item).ok()).collect();
                if secrets.is_empty() {
                    return Err(SecretsError::Empty { var });
                }
                entries.push((provider, secrets, SecretOrigin::Own));
                continue;
            }
            let fallback = match &shared {
                Some(fallback) => fallback.clone(),
                None => {
                    let fallback = match lookup(SHARED_VAR) {
                        Some(value) => {
                            Some(Secret::new(value).map_err(|_| SecretsError::Empty { var: SHARED_VAR.to_owned() })?)
                        }
                        None => None,
                    };
                    shared = Some(fallback.clone());
                    fallback
                }
            };
            match fallback {
                Some(secret) => entries.push((provider, vec![secret], SecretOrigin::Shared)),
                None => missing.push(provider),
            }
        }
        if !missing.is_empty() {
            return Err(SecretsError::Missing {
                providers: join(missing.iter().map(|p| p.name().to_owned())),
                vars: join(missing.iter().map(|p| var_name(*p))),
            });
        }
        Ok(Self { entries })
    }

    /// `provider`'s secrets, the current one first (never empty).
    #[must_use]
    pub fn get(&self, provider: ProviderId) -> &[Secret] {
        self.entries.iter().find(|(p, _, _)| *p == provider).map_or(&[], |(_, secrets, _)| secrets.as_slice())
    }

    /// Where `provider`'s secrets came from.
    #[must_use]
    pub fn origin(&self, provider: ProviderId) -> SecretOrigin {
        self.entries.iter().find(|(p, _, _)| *p == provider).map_or(SecretOrigin::Shared, |(_, _, origin)| *origin)
    }

    /// The providers verified with the shared fallback secret.
    #[must_use]
    pub fn shared(&self) -> Vec<ProviderId> {
        self.entries.iter().filter(|(_, _, origin)| *origin == SecretOrigin::Shared).map(|(p, _, _)| *p).collect()
    }

    /// A warning to print when some providers share the fallback secret (`None` when each has
    /// its own): why that is unsafe, and which variables to set.
    #[must_use]
    pub fn fallback_warning(&self) -> Option<String> {
        let shared = self.shared();
        if shared.is_empty() {
            return None;
        }
        Some(format!(
            "{} use the shared {SHARED_VAR}: a delivery captured for one of them can be replayed to \
             another's route; set {} instead",
            join(shared.iter().map(|p| p.name().to_owned())),
            join(shared.iter().map(|p| var_name(*p))),
        ))
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{Provider, Toran};
    use crate::signature::Signer;

    /// The secrets' signatures of a probe, standing for the secrets (which cannot be compared).
    fn tags(secrets: &[Secret]) -> Vec<String> {
        secrets.iter().map(|secret| Signer::new(secret, Toran::SCHEME.format()).sign(b"probe")).collect()
    }

    fn tags_of(texts: &[&str]) -> Vec<String> {
        tags(&texts.iter().map(|text| Secret::new(*text).unwrap()).collect::<Vec<_>>())
    }

    fn lookup<'a>(env: &'a [(&str, &str)]) -> impl FnMut(&str) -> Option<String> + 'a {
        |name| env.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned())
    }

    #[test]
    fn own_variables_win_and_list_several_secrets() {
        let env: Vec<(String, &str)> = ProviderId::ALL.into_iter().map(|p| (var_name(p), "a  b\tc\n")).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), *v)).chain([(SHARED_VAR, "s")]).collect();
        let secrets = ProviderSecrets::from_lookup(lookup(&env)).unwrap();
        for provider in ProviderId::ALL {
            assert_eq!(tags(secrets.get(provider)), tags_of(&["a", "b", "c"]));
            assert_eq!(secrets.origin(provider), SecretOrigin::Own);
        }
        assert!(secrets.shared().is_empty());
        assert_eq!(secrets.fallback_warning(), None);
    }

    #[test]
    fn the_fallback_is_one_whole_secret_and_warned_about() {
        let env = [("HOOKSEAL_SECRET_TUCO", "t"), (SHARED_VAR, "one secret")];
        let secrets = ProviderSecrets::from_lookup(lookup(&env)).unwrap();
        assert_eq!(tags(secrets.get(ProviderId::Toran)), tags_of(&["one secret"]));
        assert_eq!(tags(secrets.get(ProviderId::Tuco)), tags_of(&["t"]));
        assert_eq!(
            secrets.shared(),
            [ProviderId::Tocc, ProviderId::Toran, ProviderId::Zapito, ProviderId::ConnectGain]
        );
        let warning = secrets.fallback_warning().unwrap();
        assert!(warning.starts_with("tocc, toran, zapito, connectgain use the shared HOOKSEAL_SECRET"), "{warning}");
        assert!(warning.ends_with("set HOOKSEAL_SECRET_TOCC, HOOKSEAL_SECRET_TORAN, HOOKSEAL_SECRET_ZAPITO, HOOKSEAL_SECRET_CONNECTGAIN instead"), "{warning}");
        assert!(!warning.contains("one secret"));
    }

    #[test]
    fn missing_and_empty_variables_are_errors_that_show_no_secret() {
        let err = ProviderSecrets::from_lookup(lookup(&[("HOOKSEAL_SECRET_TORAN", "x")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no secret for tocc, zapito, tuco, connectgain: set HOOKSEAL_SECRET_TOCC, HOOKSEAL_SECRET_ZAPITO, \
             HOOKSEAL_SECRET_TUCO, HOOKSEAL_SECRET_CONNECTGAIN (or HOOKSEAL_SECRET for all of them, not advised)"
        );
        let err = ProviderSecrets::from_lookup(lookup(&[("HOOKSEAL_SECRET_ZAPITO", " \t"), (SHARED_VAR, "s")]));
        assert_eq!(err.unwrap_err(), SecretsError::Empty { var: "HOOKSEAL_SECRET_ZAPITO".to_owned() });
        let err = ProviderSecrets::from_lookup(lookup(&[(SHARED_VAR, "")]));
        assert_eq!(err.unwrap_err(), SecretsError::Empty { var: SHARED_VAR.to_owned() });
    }
}
