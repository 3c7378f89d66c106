//! Typed ids: a user's id cannot be passed where a workspace's is expected. Each is a UUID,
//! written as its hyphenated text on the wire and in both databases (one schema), parsed once
//! where it enters (a form field, a path, a row) and never defaulted: text that is not a UUID
//! is an error, not the nil id.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use uuid::Uuid;

/// The id of one `T` (a marker from [`of`]).
pub struct Id<T> {
    uuid: Uuid,
    of: PhantomData<fn() -> T>,
}

/// What an id names. Uninhabited markers: they exist only as type parameters.
pub mod of {
    pub enum User {}
    pub enum Workspace {}
    pub enum Application {}
    pub enum Agent {}
    pub enum ApiKey {}
    pub enum Invitation {}
    pub enum AccessReview {}
    pub enum Webhook {}
    pub enum Notification {}
}

pub type UserId = Id<of::User>;

impl UserId {
    /// No user: the instance's operator at the command line acts as nobody in a workspace.
    /// No account ever has this id (accounts get random ones).
    pub const NOBODY: UserId = Id::from_uuid(Uuid::nil());
}
pub type WorkspaceId = Id<of::Workspace>;
pub type ApplicationId = Id<of::Application>;
pub type AgentId = Id<of::Agent>;
/// An API key's row id: internal, unlike its public key id ([`crate::secret::KeyId`]).
pub type ApiKeyId = Id<of::ApiKey>;
pub type InvitationId = Id<of::Invitation>;
pub type AccessReviewId = Id<of::AccessReview>;
pub type WebhookId = Id<of::Webhook>;
pub type NotificationId = Id<of::Notification>;

/// Text that is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an id")]
pub struct NotAnId;

impl<T> Id<T> {
    pub const fn from_uuid(uuid: Uuid) -> Id<T> {
        Id {
            uuid,
            of: PhantomData,
        }
    }

    /// A fixed id, for tests and examples.
    pub const fn from_u128(n: u128) -> Id<T> {
        Id::from_uuid(Uuid::from_u128(n))
    }

    /// A fresh random id (UUID v4): it says nothing of when it was made.
    #[cfg(feature = "store")]
    pub fn random() -> Id<T> {
        Id::from_uuid(Uuid::new_v4())
    }

    /// A fresh id ordered by creation time (UUID v7), for rows written often and listed
    /// newest first, so new rows land at the end of the index.
    #[cfg(feature = "store")]
    pub fn ordered() -> Id<T> {
        Id::from_uuid(Uuid::now_v7())
    }

    pub const fn uuid(self) -> Uuid {
        self.uuid
    }

    /// Parses an id as a person or a client sends it (surrounding blanks ignored).
    pub fn parse(text: &str) -> Result<Id<T>, NotAnId> {
        Uuid::parse_str(text.trim())
            .map(Id::from_uuid)
            .map_err(|_| NotAnId)
    }

    /// The same UUID seen as the id of something else: only where one row is both (a
    /// member's id is their user's id; an agent key's agent is the agent's id).
    pub const fn cast<U>(self) -> Id<U> {
        Id::from_uuid(self.uuid)
    }
}

impl<T> From<Uuid> for Id<T> {
    fn from(uuid: Uuid) -> Id<T> {
        Id::from_uuid(uuid)
    }
}

impl<T> From<Id<T>> for Uuid {
    fn from(id: Id<T>) -> Uuid {
        id.uuid
    }
}

impl<T> FromStr for Id<T> {
    type Err = NotAnId;
    fn from_str(text: &str) -> Result<Id<T>, NotAnId> {
        Id::parse(text)
    }
}

// By hand rather than derived: a derive would ask the marker to implement each trait.
impl<T> Clone for Id<T> {
    fn clone(&self) -> Id<T> {
        *self
    }
}
impl<T> Copy for Id<T> {}
impl<T> PartialEq for Id<T> {
    fn eq(&self, other: &Id<T>) -> bool {
        self.uuid == other.uuid
    }
}
impl<T> Eq for Id<T> {}
impl<T> std::hash::Hash for Id<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.uuid.hash(state)
    }
}
impl<T> PartialOrd for Id<T> {
    fn partial_cmp(&self, other: &Id<T>) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Id<T> {
    fn cmp(&self, other: &Id<T>) -> std::cmp::Ordering {
        self.uuid.cmp(&other.uuid)
    }
}

impl<T> fmt::Display for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.uuid.hyphenated(), f)
    }
}

impl<T> fmt::Debug for Id<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.uuid.hyphenated(), f)
    }
}

impl<T> serde::Serialize for Id<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.uuid.hyphenated())
    }
}

impl<'de, T> serde::Deserialize<'de> for Id<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Id<T>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Id::parse(&text).map_err(|_| serde::de::Error::custom("not an id"))
    }
}

/// Stored as text through sqlx's `Any` driver (both databases): bound as its hyphenated
/// text, and decoded by parsing, so a row whose id is not a UUID fails to load.
#[cfg(feature = "store")]
mod store {
    use super::Id;
    use sqlx::any::{Any, AnyTypeInfo};
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::{Database, Decode, Encode, Type};

    impl<T> Type<Any> for Id<T> {
        fn type_info() -> AnyTypeInfo {
            <String as Type<Any>>::type_info()
        }
        fn compatible(ty: &AnyTypeInfo) -> bool {
            <String as Type<Any>>::compatible(ty)
        }
    }

    impl<'q, T> Encode<'q, Any> for Id<T> {
        fn encode_by_ref(
            &self,
            buf: &mut <Any as Database>::ArgumentBuffer<'q>,
        ) -> Result<IsNull, BoxDynError> {
            <String as Encode<'q, Any>>::encode(self.to_string(), buf)
        }
    }

    impl<'r, T> Decode<'r, Any> for Id<T> {
        fn decode(value: <Any as Database>::ValueRef<'r>) -> Result<Id<T>, BoxDynError> {
            let text = <String as Decode<'r, Any>>::decode(value)?;
            Ok(Id::parse(&text).map_err(|_| format!("{text:?} is not an id"))?)
        }
    }
}

/// Described in the machine API's contract as a string in UUID format.
#[cfg(feature = "openapi")]
mod schema {
    use super::Id;
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    use utoipa::openapi::{RefOr, Schema};

    impl<T> utoipa::PartialSchema for Id<T> {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                .into()
        }
    }

    impl<T> utoipa::ToSchema for Id<T> {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_a_uuid_or_nothing() {
        let uuid = Uuid::from_u128(7);
        let id: ApiKeyId = Id::parse(&format!(" {uuid} ")).unwrap();
        assert_eq!(id.uuid(), uuid);
        assert_eq!(id.to_string(), uuid.hyphenated().to_string());
        assert_eq!(Id::<of::ApiKey>::parse("not-a-uuid"), Err(NotAnId));
        assert_eq!(Id::<of::ApiKey>::parse(""), Err(NotAnId));
    }

    #[test]
    fn an_id_crosses_the_wire_as_its_text() {
        let id = UserId::from_uuid(Uuid::from_u128(42));
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.uuid()));
        assert_eq!(serde_json::from_str::<UserId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<UserId>("\"nil\"").is_err());
    }
}
