//! Shared signing secrets: opaque, redacted, zeroized.

use std::fmt;
use std::sync::Arc;

use hmac::{Hmac, KeyInit};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::signature::SecretEncoding;

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
///
/// A Standard Webhooks `whsec_<base64>` secret is decoded by the scheme that
/// needs it ([`SecretEncoding::Whsec`](crate::SecretEncoding::Whsec)), or up
/// front by [`Secret::from_whsec`], which refuses what cannot be a key.
#[derive(Clone)]
pub struct Secret {
    bytes: Zeroizing<Vec<u8>>,
    /// Built from raw key bytes, not from a secret string: never decoded again.
    raw: bool,
}

/// The fewest bytes a decoded `whsec_` secret may have: the Standard Webhooks
/// specification's minimum (24 to 64 bytes). Shorter keys are refused rather
/// than used, since a short key is weak and usually a decoding mistake; a
/// longer one is accepted (HMAC takes any length).
pub const MIN_WHSEC_BYTES: usize = 24;

/// Why a secret string cannot be a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidSecret {
    /// The secret is empty (after its `whsec_` prefix, for a `whsec_` secret).
    #[error("a webhook secret must not be empty")]
    Empty,
    /// The part after `whsec_` is not canonical padded standard base64.
    #[error("a `whsec_` secret must be canonical base64 after the prefix")]
    NotBase64,
    /// The decoded key is shorter than [`MIN_WHSEC_BYTES`].
    #[error("a `whsec_` secret must decode to at least {MIN_WHSEC_BYTES} bytes, not {0}")]
    TooShort(usize),
}

impl From<EmptySecret> for InvalidSecret {
    fn from(_: EmptySecret) -> Self {
        Self::Empty
    }
}

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
        Self::build(Zeroizing::new(secret.into().into_bytes()), false)
    }

    /// A secret from raw key bytes.
    ///
    /// # Errors
    ///
    /// [`EmptySecret`] if there are no bytes.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<Self, EmptySecret> {
        Self::build(Zeroizing::new(bytes.into()), true)
    }

    fn build(bytes: Zeroizing<Vec<u8>>, raw: bool) -> Result<Self, EmptySecret> {
        if bytes.is_empty() {
            return Err(EmptySecret);
        }
        Ok(Self { bytes, raw })
    }

    /// A Standard Webhooks secret, `whsec_<base64>` (the prefix may be
    /// omitted), decoded to its key bytes.
    ///
    /// Decoding is strict: canonical padded standard base64 and nothing else
    /// (no whitespace, no URL-safe alphabet, no stray characters skipped), of
    /// at least [`MIN_WHSEC_BYTES`] bytes.
    ///
    /// ```
    /// use hookseal_core::{InvalidSecret, Secret};
    /// assert!(Secret::from_whsec("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
    /// assert_eq!(Secret::from_whsec("whsec_").unwrap_err(), InvalidSecret::Empty);
    /// assert_eq!(Secret::from_whsec("whsec_!!!!").unwrap_err(), InvalidSecret::NotBase64);
    /// assert_eq!(Secret::from_whsec("whsec_AAAA").unwrap_err(), InvalidSecret::TooShort(3));
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidSecret`] saying why.
    pub fn from_whsec(text: &str) -> Result<Self, InvalidSecret> {
        Self::build(decode_whsec(text.as_bytes())?, true).map_err(InvalidSecret::from)
    }

    /// The HMAC state keyed with this secret's bytes, ready to be cloned per message.
    pub(crate) fn keyed(&self) -> HmacSha256 {
        key(&self.bytes)
    }

    /// The HMAC state keyed as `encoding` reads this secret.
    pub(crate) fn keyed_as(&self, encoding: SecretEncoding) -> Result<HmacSha256, InvalidSecret> {
        match encoding {
            SecretEncoding::Whsec if !self.raw => Ok(key(&decode_whsec(&self.bytes)?)),
            _ => Ok(self.keyed()),
        }
    }
}

fn key(bytes: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; an error here is impossible.
    <HmacSha256 as KeyInit>::new_from_slice(bytes).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

/// `whsec_<base64>` (or the base64 alone) to at least [`MIN_WHSEC_BYTES`] key bytes.
fn decode_whsec(text: &[u8]) -> Result<Zeroizing<Vec<u8>>, InvalidSecret> {
    let encoded = text.strip_prefix(b"whsec_").unwrap_or(text);
    if encoded.is_empty() {
        return Err(InvalidSecret::Empty);
    }
    let len = crate::base64::decoded_len(encoded).ok_or(InvalidSecret::NotBase64)?;
    let mut bytes = Zeroizing::new(vec![0u8; len]);
    crate::base64::decode_into(encoded, &mut bytes).ok_or(InvalidSecret::NotBase64)?;
    if bytes.len() < MIN_WHSEC_BYTES {
        return Err(InvalidSecret::TooShort(bytes.len()));
    }
    Ok(bytes)
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
/// A state is `None` when the scheme cannot read that secret (a `whsec_`
/// secret that is not valid base64 of 24 bytes or more): such a key matches
/// nothing, rather than being read loosely into a short or empty key.
///
/// Shared: cloning a verifier (axum's `FromRef` does, per request) only bumps
/// a count. The secrets are kept (zeroized on drop) only so that
/// `Verifier::with_scheme` can re-key under another secret encoding.
#[derive(Clone)]
pub(crate) struct Keys {
    states: Arc<[Option<HmacSha256>]>,
    secrets: Arc<[Secret]>,
}

impl Keys {
    pub(crate) fn new(secrets: impl IntoIterator<Item = Secret>, encoding: SecretEncoding) -> Self {
        let secrets: Arc<[Secret]> = secrets.into_iter().collect();
        Self { states: Self::key_all(&secrets, encoding), secrets }
    }

    fn key_all(secrets: &[Secret], encoding: SecretEncoding) -> Arc<[Option<HmacSha256>]> {
        secrets.iter().map(|s| s.keyed_as(encoding).ok()).collect()
    }

    /// The same secrets keyed as `encoding` reads them.
    pub(crate) fn rekeyed(&self, encoding: SecretEncoding) -> Self {
        Self { states: Self::key_all(&self.secrets, encoding), secrets: Arc::clone(&self.secrets) }
    }

    /// The index of the first key whose MAC of `body` equals `tag`, in constant time per key.
    pub(crate) fn find(&self, body: &[u8], tag: &[u8; 32]) -> Option<usize> {
        use hmac::Mac;
        self.states.iter().position(|key| {
            key.as_ref().is_some_and(|key| {
                let mut mac = key.clone();
                mac.update(body);
                mac.verify_slice(tag).is_ok()
            })
        })
    }

    /// The index of the first key whose MAC of the concatenated `parts`
    /// equals any of the tags `candidates()` yields. Each key's MAC is
    /// computed once; every comparison is constant-time.
    pub(crate) fn find_any<I: Iterator<Item = [u8; 32]>>(
        &self,
        parts: &[&[u8]],
        candidates: impl Fn() -> I,
    ) -> Option<usize> {
        use hmac::Mac;
        use subtle::ConstantTimeEq;
        self.states.iter().position(|key| {
            key.as_ref().is_some_and(|key| {
                let mut mac = key.clone();
                for part in parts {
                    mac.update(part);
                }
                let expected: [u8; 32] = mac.finalize().into_bytes().into();
                // Every candidate is compared (no early exit on a match).
                candidates().fold(subtle::Choice::from(0), |found, tag| found | expected.ct_eq(&tag)).into()
            })
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} redacted]", self.states.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whsec_decoding_is_strict_and_has_a_24_byte_floor() {
        let good = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"; // 24 bytes
        assert_eq!(Secret::from_whsec(good).unwrap().bytes.len(), 24);
        assert_eq!(Secret::from_whsec(&good[6..]).unwrap().bytes, Secret::from_whsec(good).unwrap().bytes);
        // 23 bytes (a valid spelling) is below the floor.
        let short = crate::base64::encode(&[7u8; 23]);
        assert_eq!(Secret::from_whsec(&format!("whsec_{short}")).unwrap_err(), InvalidSecret::TooShort(23));
        for (text, err) in [
            ("whsec_", InvalidSecret::Empty),
            ("", InvalidSecret::Empty),
            ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", InvalidSecret::NotBase64), // 31 chars
            ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!", InvalidSecret::NotBase64),
            ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZI o2LaLaSw", InvalidSecret::NotBase64),
            ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", InvalidSecret::NotBase64),
            ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa_w", InvalidSecret::NotBase64),
            ("whsec_====", InvalidSecret::NotBase64),
        ] {
            assert_eq!(Secret::from_whsec(text).unwrap_err(), err, "{text:?}");
        }
    }

    #[test]
    fn a_text_secret_is_decoded_only_by_the_whsec_encoding_and_raw_bytes_never_are() {
        let text = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let decoded = Secret::from_whsec("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let mac = |key: HmacSha256| {
            use hmac::Mac;
            let mut key = key;
            key.update(b"x");
            key.finalize().into_bytes()
        };
        let literal = mac(text.keyed_as(SecretEncoding::Literal).unwrap());
        let whsec = mac(text.keyed_as(SecretEncoding::Whsec).unwrap());
        assert_ne!(literal, whsec);
        assert_eq!(whsec, mac(decoded.keyed_as(SecretEncoding::Whsec).unwrap()));
        assert_eq!(whsec, mac(decoded.keyed_as(SecretEncoding::Literal).unwrap()));
        assert_eq!(
            Secret::new("whsec_x").unwrap().keyed_as(SecretEncoding::Whsec).err(),
            Some(InvalidSecret::NotBase64)
        );
    }

    #[test]
    fn keyed_states_and_secret_bytes_are_zeroized_on_drop() {
        fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        // A keyed HMAC state is two SHA-256 states (inner and outer key
        // blocks absorbed); with the `zeroize` feature each wipes itself.
        zeroized_on_drop::<sha2::block_api::Sha256VarCore>();
        zeroized_on_drop::<Zeroizing<Vec<u8>>>();
    }
}
