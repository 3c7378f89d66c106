//! Ids as the database holds them: UUIDs stored as text (both databases, one schema).

use std::fmt;
use uuid::Uuid;

/// A UUID read back from a text column, checked once at the storage boundary: a row whose id
/// is not a UUID fails to load instead of turning into the nil UUID. It keeps the text too,
/// so binding it again, on the machine API's hot path, allocates nothing.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StoredId {
    uuid: Uuid,
    text: String,
}

impl StoredId {
    pub fn uuid(&self) -> Uuid {
        self.uuid
    }

    /// The stored text, to bind in a query.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl TryFrom<String> for StoredId {
    type Error = uuid::Error;

    fn try_from(text: String) -> Result<StoredId, uuid::Error> {
        Ok(StoredId {
            uuid: Uuid::parse_str(&text)?,
            text,
        })
    }
}

impl From<Uuid> for StoredId {
    fn from(uuid: Uuid) -> StoredId {
        StoredId {
            uuid,
            text: uuid.to_string(),
        }
    }
}

/// Serialized as the text it is stored as.
impl serde::Serialize for StoredId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl fmt::Display for StoredId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_id_is_a_uuid_or_nothing() {
        let id = Uuid::new_v4();
        let stored = StoredId::try_from(id.to_string()).unwrap();
        assert_eq!(stored.uuid(), id);
        assert_eq!(stored.as_str(), id.to_string());
        assert!(StoredId::try_from("not-a-uuid".to_string()).is_err());
        assert!(StoredId::try_from(String::new()).is_err());
    }
}
