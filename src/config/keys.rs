//! The roles a profile key plays, and `profile_keys!`, which declares
//! `RawProfile` from one table: each key is written once with the flavour
//! that takes it, how `[defaults]` fill it and whether it counts in the
//! fingerprint. The merge, the flavour filter and the fingerprint's
//! exclusions are generated from that table, so a key added to it is
//! handled everywhere or does not compile.

/// Which flavour takes a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Both,
    OAuth2,
    Http,
    /// `flavour = "jwt"`: a self-signed token, no request.
    Jwt,
}

impl Takes {
    /// Whether a profile of `flavour` takes the key. A profile with no or an
    /// unknown flavour keeps every key: its validation says what is wrong.
    pub fn by(self, flavour: Option<&str>) -> bool {
        !matches!(
            (self, flavour),
            (Takes::OAuth2, Some("http" | "jwt"))
                | (Takes::Http, Some("oauth2" | "jwt"))
                | (Takes::Jwt, Some("oauth2" | "http"))
        )
    }
}

/// Whether a key's value decides which token comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// Part of the fingerprint (secret literals masked there).
    Counts,
    /// How a token is shown, kept or fetched, not which one: left out.
    Ignored,
}

/// How a key of `[defaults]` reaches a profile that does not set it.
pub trait Merge<T> {
    /// Whether the key may be written in `[defaults]` at all.
    const IN_DEFAULTS: bool;
    fn merge(own: &mut Option<T>, defaults: &Option<T>);
}

/// The profile's own value, else the one of `[defaults]`.
pub struct Fill;

impl<T: Clone> Merge<T> for Fill {
    const IN_DEFAULTS: bool = true;
    fn merge(own: &mut Option<T>, defaults: &Option<T>) {
        if own.is_none() {
            own.clone_from(defaults);
        }
    }
}

/// A table merged key by key with the one of `[defaults]`.
pub struct ByKey;

/// A table whose keys `[defaults]` fill one by one.
pub trait FillByKey {
    fn fill_from(&mut self, defaults: &Self);
}

impl<T: Clone + FillByKey> Merge<T> for ByKey {
    const IN_DEFAULTS: bool = true;
    fn merge(own: &mut Option<T>, defaults: &Option<T>) {
        match (own.as_mut(), defaults) {
            (Some(own), Some(defaults)) => own.fill_from(defaults),
            (None, Some(_)) => own.clone_from(defaults),
            _ => {}
        }
    }
}

/// Set in each profile only: refused in `[defaults]`.
pub struct Own;

impl<T> Merge<T> for Own {
    const IN_DEFAULTS: bool = false;
    fn merge(_: &mut Option<T>, _: &Option<T>) {}
}

/// One key of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// As written in the file.
    pub name: &'static str,
    pub takes: Takes,
    pub identity: Identity,
    /// Whether `[defaults]` may set it.
    pub in_defaults: bool,
}

/// Declares the profile struct from its table of keys:
/// `key: Type => Takes, Merge, Identity,` (attributes and docs above a key
/// are kept). Every key is an `Option` of its type. Generates `KEYS`,
/// `set_keys`, `for_flavour`, `merged_with` and `identity`.
macro_rules! profile_keys {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$attr:meta])*
                $key:ident: $ty:ty => $takes:ident, $merge:ident, $identity:ident,
            )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$attr])* pub $key: Option<$ty>, )*
        }

        impl $name {
            /// Every key, in the order of the table.
            pub const KEYS: &'static [$crate::config::keys::Key] = &[
                $( $crate::config::keys::Key {
                    name: stringify!($key),
                    takes: $crate::config::keys::Takes::$takes,
                    identity: $crate::config::keys::Identity::$identity,
                    in_defaults:
                        <$crate::config::keys::$merge as $crate::config::keys::Merge<$ty>>::IN_DEFAULTS,
                }, )*
            ];

            /// The names of the keys that are set, in the order of the table.
            pub fn set_keys(&self) -> Vec<&'static str> {
                let mut set = Vec::new();
                $( if self.$key.is_some() { set.push(stringify!($key)); } )*
                set
            }

            /// `[defaults]` as they apply to a profile of `flavour`: keys that
            /// only the other flavour takes are left out, so shared defaults
            /// never break a profile of the other kind.
            pub fn for_flavour(&self, flavour: Option<&str>) -> $name {
                let mut d = self.clone();
                $(
                    if !$crate::config::keys::Takes::$takes.by(flavour) {
                        d.$key = None;
                    }
                )*
                d
            }

            /// Fills every key `self` lacks from `defaults`, each as its
            /// table line says.
            pub fn merged_with(mut self, defaults: &$name) -> $name {
                $(
                    <$crate::config::keys::$merge as $crate::config::keys::Merge<$ty>>::merge(
                        &mut self.$key,
                        &defaults.$key,
                    );
                )*
                self
            }

            /// The keys that decide which token comes back: those marked
            /// `Ignored` are unset.
            pub fn identity(&self) -> $name {
                let mut r = self.clone();
                $(
                    if $crate::config::keys::Identity::$identity
                        == $crate::config::keys::Identity::Ignored
                    {
                        r.$key = None;
                    }
                )*
                r
            }
        }
    };
}

pub(super) use profile_keys;
