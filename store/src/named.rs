//! Names as the wire form of small enums: a type that prints as its name (`Display`) and
//! reads it back (`FromStr`) serializes as that name, so reports and failure files say
//! `shuttle-pct` or `P3 violated` rather than a variant index.

/// Implements serde's `Serialize` (as the `Display` text) and `Deserialize` (through
/// `FromStr`, whose error becomes the deserializer's) for `$ty`.
#[macro_export]
macro_rules! serde_by_name {
    ($ty:ty) => {
        impl $crate::__serde::Serialize for $ty {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $ty {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let name: ::std::string::String =
                    $crate::__serde::Deserialize::deserialize(deserializer)?;
                name.parse().map_err($crate::__serde::de::Error::custom)
            }
        }
    };
}

crate::serde_by_name!(crate::SeededBug);
crate::serde_by_name!(crate::LockGranularity);
