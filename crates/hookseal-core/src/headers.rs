//! Reading request headers without depending on any web framework.

/// Read access to a request's headers.
///
/// The verifier needs every value of a name, not just the first, so that a
/// repeated signature header is seen and refused. Names are matched ASCII
/// case-insensitively.
///
/// Implemented for `http::HeaderMap` (feature `http`, on by default) and for
/// slices of `(name, value)` pairs, which is handy in tests and for other
/// frameworks:
///
/// ```
/// use hookseal_core::Headers;
/// let headers = [("X-Toran-Event", "lead.captured")];
/// let values: Vec<&[u8]> = headers.values("x-toran-event").collect();
/// assert_eq!(values, [b"lead.captured".as_slice()]);
/// ```
pub trait Headers {
    /// Every value of the header `name`, in order.
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]>;
}

impl<T: Headers + ?Sized> Headers for &T {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        (**self).values(name)
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> Headers for [(N, V)] {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.iter().filter(move |(n, _)| n.as_ref().eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref())
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>, const LEN: usize> Headers for [(N, V); LEN] {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.as_slice().values(name)
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> Headers for Vec<(N, V)> {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.as_slice().values(name)
    }
}

#[cfg(feature = "http")]
impl Headers for http::HeaderMap {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.get_all(name).iter().map(http::HeaderValue::as_bytes)
    }
}

/// The single value of `name`, if there is exactly one; `Err(count)` if repeated.
pub(crate) fn single<'h>(headers: &'h impl Headers, name: &str) -> Result<Option<&'h [u8]>, usize> {
    let mut values = headers.values(name);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    match values.count() {
        0 => Ok(Some(first)),
        more => Err(more + 1),
    }
}

/// Trims optional whitespace (space and tab) around a header value.
pub(crate) fn trim_ows(value: &[u8]) -> &[u8] {
    value.trim_ascii()
}

/// The most distinct header names [`HeaderName::new`] keeps for the life of the process.
pub const MAX_CONFIGURED_NAMES: usize = 1024;

/// A header name a [`Scheme`](crate::Scheme) reads, checked once.
///
/// Built-in schemes and literals use [`from_static`](Self::from_static) at no
/// cost. Names read from configuration at run time go through
/// [`new`](Self::new), which checks that the name is an HTTP token and stores
/// it once for the life of the process (a second `new` with the same name,
/// in any case, returns the stored one), so that schemes stay `Copy` and
/// every [`Error`](crate::Error) can name the header without allocating. What
/// is stored is bounded: at most [`MAX_CONFIGURED_NAMES`] distinct names of at
/// most 128 bytes each. Names come from your configuration, never from requests.
///
/// ```
/// use hookseal_core::HeaderName;
/// let from_config = String::from("X-Acme-Signature");
/// let name = HeaderName::new(&from_config)?;
/// assert_eq!(name.as_str(), "X-Acme-Signature");
/// assert!(HeaderName::new("X Acme").is_err());
/// # Ok::<(), hookseal_core::InvalidHeaderName>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderName(&'static str);

/// Why a configured header name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidHeaderName {
    /// The name is empty, longer than 128 bytes, or holds a byte that is not an HTTP token character.
    #[error("a header name must be 1 to 128 HTTP token characters")]
    Invalid,
    /// [`MAX_CONFIGURED_NAMES`] distinct names are already stored.
    #[error("too many distinct configured header names (at most {MAX_CONFIGURED_NAMES})")]
    TooMany,
}

/// Whether `name` is an RFC 9110 token of at most 128 bytes.
const fn is_token(name: &[u8]) -> bool {
    if name.is_empty() || name.len() > 128 {
        return false;
    }
    let mut i = 0;
    while i < name.len() {
        let byte = name[i];
        let ok = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

impl HeaderName {
    /// A name known at compile time.
    ///
    /// # Panics
    ///
    /// If `name` is not an HTTP token (in a `const`, a compile error).
    #[must_use]
    pub const fn from_static(name: &'static str) -> Self {
        assert!(is_token(name.as_bytes()), "not an HTTP header name");
        Self(name)
    }

    /// A name read at run time: checked, then stored once (see the type's docs).
    ///
    /// # Errors
    ///
    /// [`InvalidHeaderName`] if it is not an HTTP token, or too many names are stored.
    pub fn new(name: impl AsRef<str>) -> Result<Self, InvalidHeaderName> {
        use std::sync::{Mutex, PoisonError};
        static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

        let name = name.as_ref();
        if !is_token(name.as_bytes()) {
            return Err(InvalidHeaderName::Invalid);
        }
        let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(stored) = names.iter().find(|stored| stored.eq_ignore_ascii_case(name)) {
            return Ok(Self(stored));
        }
        if names.len() >= MAX_CONFIGURED_NAMES {
            return Err(InvalidHeaderName::TooMany);
        }
        // Bounded above: at most MAX_CONFIGURED_NAMES names of 128 bytes, for the process's life.
        let stored: &'static str = Box::leak(name.to_owned().into_boxed_str());
        names.push(stored);
        Ok(Self(stored))
    }

    /// The name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for HeaderName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::str::FromStr for HeaderName {
    type Err = InvalidHeaderName;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::new(name)
    }
}
