//! `wire_enum!`: an enum whose variants each have one wire string, used as the serde name,
//! the sqlx and rusqlite column value, `as_str()` and `Display`.

/// Declares an enum with `Variant = "wire"` pairs and derives or implements everything that
/// crosses a boundary from those strings alone.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:tt, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, sqlx::Type, utoipa::ToSchema,
        )]
        // A TEXT column on both backends (PostgreSQL would otherwise look for a type of
        // the enum's name).
        #[sqlx(type_name = "text")]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] #[sqlx(rename = $wire)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($wire),+].len()] = [$($name::$variant),+];
            /// Every wire string, in declaration order (for "one of ..." messages).
            pub const WIRE: [&'static str; [$($wire),+].len()] = [$($wire),+];

            /// The wire string: the column value and the JSON string.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire, )+
                }
            }

            /// The value whose wire string is `s`.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $( $wire => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownValue;
            fn from_str(s: &str) -> Result<$name, Self::Err> {
                $name::parse(s).ok_or_else(|| $crate::domain::UnknownValue {
                    what: stringify!($name),
                    value: s.to_string(),
                })
            }
        }

        // The hot write path (`Store::write_now`) reads and writes these columns with rusqlite.
        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(rusqlite::types::ToSqlOutput::Borrowed(
                    rusqlite::types::ValueRef::Text(self.as_str().as_bytes()),
                ))
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<$name> {
                let text = value.as_str()?;
                text.parse().map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
            }
        }
    };
}
