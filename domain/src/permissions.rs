//! The one permission catalog: `resource:action`, deny by default.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A resource that permissions are granted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Resource {
    Applications,
    Builds,
    Agents,
    Members,
    Keys,
    Audit,
}

/// What a permission allows on its resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    Read,
    Write,
}

/// One entry of the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission(u8);

/// Every permission, in display order, with its one-line description.
const CATALOG: [(&str, &str); 12] = [
    ("applications:read", "See applications and their content"),
    (
        "applications:write",
        "Create, change and delete applications",
    ),
    ("builds:read", "See builds and their logs"),
    ("builds:write", "Start, cancel and change builds"),
    ("agents:read", "See the agents of applications"),
    ("agents:write", "Register, change and remove agents"),
    (
        "members:read",
        "See the workspace's members and their roles",
    ),
    ("members:write", "Invite and remove members, change roles"),
    ("keys:read", "See every API key's metadata in the workspace"),
    ("keys:write", "Rotate and revoke anyone's API keys"),
    ("audit:read", "Read the audit log"),
    ("audit:write", "Write to the audit log"),
];

impl Permission {
    pub const APPLICATIONS_READ: Permission = Permission(0);
    pub const APPLICATIONS_WRITE: Permission = Permission(1);
    pub const BUILDS_READ: Permission = Permission(2);
    pub const BUILDS_WRITE: Permission = Permission(3);
    pub const AGENTS_READ: Permission = Permission(4);
    pub const AGENTS_WRITE: Permission = Permission(5);
    pub const MEMBERS_READ: Permission = Permission(6);
    pub const MEMBERS_WRITE: Permission = Permission(7);
    pub const KEYS_READ: Permission = Permission(8);
    pub const KEYS_WRITE: Permission = Permission(9);
    pub const AUDIT_READ: Permission = Permission(10);
    pub const AUDIT_WRITE: Permission = Permission(11);

    /// Every permission of the catalog.
    pub fn all() -> impl Iterator<Item = Permission> {
        (0..CATALOG.len() as u8).map(Permission)
    }

    /// The id, such as `applications:read`.
    pub fn id(self) -> &'static str {
        CATALOG[self.0 as usize].0
    }

    /// The one-line description the console shows.
    pub fn description(self) -> &'static str {
        CATALOG[self.0 as usize].1
    }

    pub fn resource(self) -> Resource {
        match self.0 / 2 {
            0 => Resource::Applications,
            1 => Resource::Builds,
            2 => Resource::Agents,
            3 => Resource::Members,
            4 => Resource::Keys,
            _ => Resource::Audit,
        }
    }

    pub fn action(self) -> Action {
        if self.0.is_multiple_of(2) {
            Action::Read
        } else {
            Action::Write
        }
    }

    /// Parses an id of the catalog; anything else is refused.
    pub fn parse(id: &str) -> Result<Permission, UnknownPermission> {
        CATALOG
            .iter()
            .position(|(known, _)| *known == id)
            .map(|i| Permission(i as u8))
            .ok_or_else(|| UnknownPermission(id.chars().take(64).collect()))
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        Permission::parse(&id).map_err(serde::de::Error::custom)
    }
}

/// A permission id outside the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission `{0}`")]
pub struct UnknownPermission(pub String);

/// A set of permissions.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PermissionSet(u16);

impl PermissionSet {
    pub const EMPTY: PermissionSet = PermissionSet(0);

    pub fn all() -> PermissionSet {
        Permission::all().collect()
    }

    /// Every `:read` permission.
    pub fn all_reads() -> PermissionSet {
        Permission::all()
            .filter(|p| p.action() == Action::Read)
            .collect()
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & (1 << p.0) != 0
    }

    pub fn insert(&mut self, p: Permission) {
        self.0 |= 1 << p.0;
    }

    pub fn intersect(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 & other.0)
    }

    /// The permissions of `self` that `other` lacks.
    pub fn minus(self, other: PermissionSet) -> PermissionSet {
        PermissionSet(self.0 & !other.0)
    }

    pub fn is_subset_of(self, other: PermissionSet) -> bool {
        self.minus(other).is_empty()
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::all().filter(move |p| self.contains(*p))
    }

    /// Parses a list of ids, refusing any outside the catalog.
    pub fn parse_list<'a>(
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<PermissionSet, UnknownPermission> {
        ids.into_iter()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Permission::parse)
            .collect()
    }

    /// The storage form: ids joined by spaces.
    pub fn to_storage(self) -> String {
        self.iter()
            .map(Permission::id)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reads the storage form; ids that left the catalog are dropped (deny by default).
    pub fn from_storage(s: &str) -> PermissionSet {
        s.split_whitespace()
            .filter_map(|id| Permission::parse(id).ok())
            .collect()
    }

    pub fn ids(self) -> Vec<String> {
        self.iter().map(|p| p.id().to_string()).collect()
    }
}

impl FromIterator<Permission> for PermissionSet {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut set = PermissionSet::EMPTY;
        for p in iter {
            set.insert(p);
        }
        set
    }
}

impl fmt::Debug for PermissionSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(Permission::id))
            .finish()
    }
}

impl Serialize for PermissionSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PermissionSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Permission>::deserialize(d)?.into_iter().collect())
    }
}

/// In the machine API's schema a permission is one of the catalog's ids, and a set is a list
/// of them: the document names every permission there is.
#[cfg(feature = "openapi")]
mod schema {
    use super::{Permission, PermissionSet};
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
    use utoipa::openapi::RefOr;

    impl utoipa::PartialSchema for Permission {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(Permission::all().map(Permission::id)))
                .description(Some("A permission, `resource:action`."))
                .into()
        }
    }

    impl utoipa::ToSchema for Permission {}

    impl utoipa::PartialSchema for PermissionSet {
        fn schema() -> RefOr<Schema> {
            ArrayBuilder::new()
                .items(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "Permission",
                )))
                .unique_items(true)
                .into()
        }
    }

    impl utoipa::ToSchema for PermissionSet {
        fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
            schemas.push((
                "Permission".into(),
                <Permission as utoipa::PartialSchema>::schema(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_parses_back_to_itself() {
        for p in Permission::all() {
            assert_eq!(Permission::parse(p.id()), Ok(p));
            let (resource, action) = p.id().split_once(':').unwrap();
            assert_eq!(format!("{:?}", p.resource()).to_lowercase(), resource);
            assert_eq!(format!("{:?}", p.action()).to_lowercase(), action);
        }
        assert_eq!(Permission::all().count(), 12);
    }

    #[test]
    fn unknown_ids_are_refused() {
        for bad in [
            "",
            "applications",
            "applications:delete",
            "APPLICATIONS:READ",
            "keys:read ",
        ] {
            assert!(Permission::parse(bad).is_err(), "{bad:?}");
        }
        assert!(PermissionSet::parse_list(["keys:read", "nope:read"]).is_err());
    }

    #[test]
    fn storage_round_trips_and_drops_retired_ids() {
        let set = PermissionSet::parse_list(["keys:read", "audit:read"]).unwrap();
        assert_eq!(PermissionSet::from_storage(&set.to_storage()), set);
        assert_eq!(
            PermissionSet::from_storage("keys:read retired:write"),
            PermissionSet::parse_list(["keys:read"]).unwrap()
        );
    }

    #[test]
    fn set_algebra() {
        let a = PermissionSet::parse_list(["keys:read", "keys:write"]).unwrap();
        let b = PermissionSet::parse_list(["keys:read"]).unwrap();
        assert_eq!(a.intersect(b), b);
        assert_eq!(a.minus(b).ids(), vec!["keys:write"]);
        assert!(b.is_subset_of(a) && !a.is_subset_of(b));
        assert_eq!(PermissionSet::all_reads().len(), 6);
    }
}
