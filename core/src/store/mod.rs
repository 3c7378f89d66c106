//! Storage: the database handle and its transactions, change notifications between
//! instances and their acknowledgements, keyset paging, the session store, and the verified-key cache.

pub mod audit_chain;
pub mod changes;
pub mod clause;
pub mod db;
pub mod instances;
pub mod key_cache;
pub mod paging;
pub mod session_store;
