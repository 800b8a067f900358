//! Shared signing secrets: opaque, redacted, zeroized.

use std::fmt;
use std::sync::Arc;

use hmac::{Hmac, KeyInit};
use sha2::Sha256;
use zeroize::Zeroizing;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// A webhook signing secret.
///
/// Built from the secret string the provider shows you (its UTF-8 bytes are
/// the HMAC key) or from raw bytes. An empty secret is refused, so a missing
/// configuration value can never turn into "every signature verifies with the
/// empty key". The bytes are zeroized on drop, `Debug` prints
/// `Secret([redacted])`, and there is no `Display`.
///
/// ```
/// use hookseal_core::Secret;
/// let secret = Secret::new("whsec_from_the_dashboard")?;
/// assert_eq!(format!("{secret:?}"), "Secret([redacted])");
/// assert!(Secret::new("").is_err());
/// # Ok::<(), hookseal_core::EmptySecret>(())
/// ```
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

/// The error for an empty secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a webhook secret must not be empty")]
pub struct EmptySecret;

impl Secret {
    /// A secret from the string shown by the provider (its UTF-8 bytes).
    ///
    /// # Errors
    ///
    /// [`EmptySecret`] if the string is empty.
    pub fn new(secret: impl Into<String>) -> Result<Self, EmptySecret> {
        Self::from_bytes(secret.into().into_bytes())
    }

    /// A secret from raw key bytes.
    ///
    /// # Errors
    ///
    /// [`EmptySecret`] if there are no bytes.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<Self, EmptySecret> {
        let bytes = Zeroizing::new(bytes.into());
        if bytes.is_empty() {
            return Err(EmptySecret);
        }
        Ok(Self(bytes))
    }

    /// The HMAC state keyed with this secret, ready to be cloned per message.
    pub(crate) fn keyed(&self) -> HmacSha256 {
        // HMAC accepts keys of any length; an error here is impossible.
        <HmacSha256 as KeyInit>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl TryFrom<&str> for Secret {
    type Error = EmptySecret;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<String> for Secret {
    type Error = EmptySecret;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

/// Which of a verifier's secrets produced a signature (its position in the
/// list given at construction), so a rotation can tell when the old secret is
/// no longer in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyMatch {
    /// The secret at this index matched.
    Secret(usize),
    /// The request carried no signature and was accepted through an explicit
    /// insecure opt-in (ConnectGain webhooks without a secret).
    Unsigned,
}

/// Pre-keyed HMAC states, one per secret, so no request re-hashes a key.
///
/// Shared: cloning a verifier (axum's `FromRef` does, per request) only bumps a count.
#[derive(Clone)]
pub(crate) struct Keys(Arc<[HmacSha256]>);

impl Keys {
    pub(crate) fn new(secrets: impl IntoIterator<Item = Secret>) -> Self {
        Self(secrets.into_iter().map(|s| s.keyed()).collect())
    }

    /// The index of the first key whose MAC of `body` equals `tag`, in constant time per key.
    pub(crate) fn find(&self, body: &[u8], tag: &[u8; 32]) -> Option<usize> {
        use hmac::Mac;
        self.0.iter().position(|key| {
            let mut mac = key.clone();
            mac.update(body);
            mac.verify_slice(tag).is_ok()
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} redacted]", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_states_and_secret_bytes_are_zeroized_on_drop() {
        fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        // A keyed HMAC state is two SHA-256 states (inner and outer key
        // blocks absorbed); with the `zeroize` feature each wipes itself.
        zeroized_on_drop::<sha2::block_api::Sha256VarCore>();
        zeroized_on_drop::<Zeroizing<Vec<u8>>>();
    }
}
